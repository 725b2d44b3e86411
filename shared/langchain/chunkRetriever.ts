import type { CallbackManagerForRetrieverRun } from '@langchain/core/callbacks/manager';
import { Document } from '@langchain/core/documents';
import { BaseRetriever, type BaseRetrieverInput } from '@langchain/core/retrievers';
import { compileFilter, type FilterExpression } from '../filters.js';
import type { ChunkReader, Embedder } from '../ports.js';
import { retrieve, type RetrievalMode } from '../retrieval.js';

export interface ChunkRetrieverOptions extends BaseRetrieverInput {
  embedder: Embedder;
  store: ChunkReader;
  /** Chunks per query. @default 20 */
  k?: number;
  /** Only chunks of this source. */
  source?: string;
  /** Only chunks matching this Bedrock-style filter (as POST /query's `filter`); a bad one throws BadRequestError. */
  filter?: FilterExpression;
  /** First stage, as RETRIEVAL_MODE. @default 'vector' */
  mode?: RetrievalMode;
}

/**
 * LangChain retriever over this project's vector store: the first stage, as a LangChain building block.
 * Documents carry `source`, `chunk`, `retrievalScore` and the citation (`offsets`, `pages`) in metadata.
 */
export class ChunkRetriever extends BaseRetriever {
  lc_namespace = ['rerank-pipeline', 'retrievers'];
  readonly #embedder: Embedder;
  readonly #store: ChunkReader;
  readonly #k: number;
  readonly #source: string | undefined;
  readonly #where: string | undefined;
  readonly #mode: RetrievalMode;

  constructor(options: ChunkRetrieverOptions) {
    super(options);
    this.#embedder = options.embedder;
    this.#store = options.store;
    this.#k = options.k ?? 20;
    this.#source = options.source;
    // Compiled once, so a bad filter fails when the retriever is made, not at its first query.
    this.#where = options.filter === undefined ? undefined : compileFilter(options.filter);
    this.#mode = options.mode ?? 'vector';
  }

  async _getRelevantDocuments(query: string, _runManager?: CallbackManagerForRetrieverRun): Promise<Document[]> {
    const { hits } = await retrieve(query, this.#embedder, this.#store, {
      mode: this.#mode,
      k: this.#k,
      source: this.#source,
      where: this.#where,
    });
    return hits.map(
      (hit) =>
        new Document({
          id: hit.id,
          pageContent: hit.text,
          metadata: {
            source: hit.source,
            chunk: hit.chunk,
            retrievalScore: hit.score,
            offsets: hit.offsets ?? null,
            pages: hit.pages ?? null,
          },
        }),
    );
  }
}
