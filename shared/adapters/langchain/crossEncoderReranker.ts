import type { Callbacks } from '@langchain/core/callbacks/manager';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import { BaseDocumentCompressor } from '@langchain/core/retrievers/document_compressors';
import { rerank } from '../../pipeline/rerank/crossEncoder.js';
import type { CrossEncoder } from '../../pipeline/ports.js';

export interface CrossEncoderRerankerOptions {
  /** Any cross-encoder: in-process (LocalCrossEncoder) or a SageMaker endpoint. */
  model: CrossEncoder;
  /** Documents to keep. @default 3 */
  topN?: number;
}

/**
 * LangChain.js document compressor that reranks with a cross-encoder, like Python LangChain's
 * `CrossEncoderReranker`. Use it inside `ContextualCompressionRetriever` with any base retriever. Returns
 * new Document objects with `metadata.relevanceScore` (the raw logit); the input documents are not mutated.
 * @example
 * import { ContextualCompressionRetriever } from '@langchain/classic/retrievers/contextual_compression';
 * import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';
 * import { LocalCrossEncoder } from 'rerank-pipeline';
 * import { CrossEncoderReranker, TransformersEmbedder } from 'rerank-pipeline/langchain';
 *
 * const embeddings = await TransformersEmbedder.create({ model: 'Xenova/all-MiniLM-L6-v2' });
 * const texts = ['We will fight inflation.', 'The weather was mild.', 'Jobs are coming back.'];
 * const vectorStore = await MemoryVectorStore.fromTexts(texts, {}, embeddings);
 * const retriever = new ContextualCompressionRetriever({
 *   baseCompressor: new CrossEncoderReranker({ model: await LocalCrossEncoder.create({ model: 'Xenova/ms-marco-MiniLM-L-6-v2' }), topN: 2 }),
 *   baseRetriever: vectorStore.asRetriever({ k: 20 }),
 * });
 * const documents = await retriever.invoke('What is the plan for the economy?');
 * console.log(documents.length); // 2, best first, each with metadata.relevanceScore
 */
export class CrossEncoderReranker extends BaseDocumentCompressor {
  readonly model: CrossEncoder;
  readonly topN: number;

  constructor(options: CrossEncoderRerankerOptions) {
    super();
    this.model = options.model;
    this.topN = options.topN ?? 3;
  }

  async compressDocuments(
    documents: DocumentInterface[],
    query: string,
    _callbacks?: Callbacks,
  ): Promise<DocumentInterface[]> {
    const ranked = await rerank(
      this.model,
      query,
      documents.map((d) => d.pageContent),
      this.topN,
    );
    return ranked.map(({ index, score }) => {
      const original = documents[index]!;
      return new Document({
        pageContent: original.pageContent,
        id: original.id,
        metadata: { ...original.metadata, relevanceScore: score },
      });
    });
  }
}
