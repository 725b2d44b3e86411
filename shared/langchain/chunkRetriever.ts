import type { CallbackManagerForRetrieverRun } from '@langchain/core/callbacks/manager';
import { Document } from '@langchain/core/documents';
import { BaseRetriever, type BaseRetrieverInput } from '@langchain/core/retrievers';
import type { ChunkReader, Embedder } from '../ports.js';
import { retrieve, type RetrievalMode } from '../retrieval.js';

export interface ChunkRetrieverOptions extends BaseRetrieverInput {
  embedder: Embedder;
  store: ChunkReader;
  /** Chunks per query. @default 20 */
  k?: number;
  /** Only chunks of this source. */
  source?: string;
  /** First stage, as RETRIEVAL_MODE. @default 'vector' */
  mode?: RetrievalMode;
}

/**
 * LangChain retriever over this project's vector store: the first stage, as a LangChain building block.
 * Documents carry `id`, `source`, `chunk` and `retrievalScore` in metadata.
 */
export class ChunkRetriever extends BaseRetriever {
  lc_namespace = ['rerank-pipeline', 'retrievers'];
  readonly #embedder: Embedder;
  readonly #store: ChunkReader;
  readonly #k: number;
  readonly #source: string | undefined;
  readonly #mode: RetrievalMode;

  constructor(options: ChunkRetrieverOptions) {
    super(options);
    this.#embedder = options.embedder;
    this.#store = options.store;
    this.#k = options.k ?? 20;
    this.#source = options.source;
    this.#mode = options.mode ?? 'vector';
  }

  async _getRelevantDocuments(query: string, _runManager?: CallbackManagerForRetrieverRun): Promise<Document[]> {
    const { hits } = await retrieve(query, this.#embedder, this.#store, {
      mode: this.#mode,
      k: this.#k,
      source: this.#source,
    });
    return hits.map(
      (hit) =>
        new Document({
          id: hit.id,
          pageContent: hit.text,
          metadata: { source: hit.source, chunk: hit.chunk, retrievalScore: hit.score },
        }),
    );
  }
}
