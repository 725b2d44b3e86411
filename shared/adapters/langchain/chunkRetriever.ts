import type { CallbackManagerForRetrieverRun } from '@langchain/core/callbacks/manager';
import { Document } from '@langchain/core/documents';
import { BaseRetriever, type BaseRetrieverInput } from '@langchain/core/retrievers';
import { filterFieldsOf, searchFilterOf, type FilterExpression } from '../../pipeline/query/filters.js';
import type { ChunkReader, Embedder } from '../../pipeline/ports.js';
import { retrieve, type RetrievalMode } from '../../pipeline/query/retrieval.js';
import { FilterExpressionSchema } from '../../api/filterSchema.js';

export interface ChunkRetrieverOptions extends BaseRetrieverInput {
  embedder: Embedder;
  store: ChunkReader;
  /** Chunks per query. @default 20 */
  k?: number;
  /** Only chunks of this source. */
  source?: string;
  /**
   * Only chunks matching this Bedrock-style filter (as POST /query's `filter`, metadata attributes included). A
   * malformed one throws when the retriever is made; a key the table lacks throws BadRequestError at the query.
   */
  filter?: FilterExpression;
  /** Only this tenant's chunks (shared/pipeline/tenants.ts): no filter can reach past it. */
  tenant?: string;
  /** First stage, as RETRIEVAL_MODE. @default 'vector' */
  mode?: RetrievalMode;
}

/**
 * LangChain retriever over this project's vector store: the first stage, as a LangChain building block.
 * Documents carry `source`, `chunk`, `retrievalScore`, the citation (`offsets`, `pages`) and the document's
 * metadata attributes (`attributes`, nested so no attribute can shadow the others) in metadata.
 */
export class ChunkRetriever extends BaseRetriever {
  lc_namespace = ['rerank-pipeline', 'retrievers'];
  readonly #embedder: Embedder;
  readonly #store: ChunkReader;
  readonly #k: number;
  readonly #source: string | undefined;
  readonly #filter: FilterExpression | undefined;
  readonly #tenant: string | null;
  readonly #mode: RetrievalMode;

  constructor(options: ChunkRetrieverOptions) {
    super(options);
    this.#embedder = options.embedder;
    this.#store = options.store;
    this.#k = options.k ?? 20;
    this.#source = options.source;
    // Checked now, so a malformed filter fails when the retriever is made; compiled per query against the table's
    // attributes, which grow as documents with new metadata arrive.
    this.#filter = options.filter === undefined ? undefined : FilterExpressionSchema.parse(options.filter);
    this.#tenant = options.tenant ?? null;
    this.#mode = options.mode ?? 'vector';
  }

  async _getRelevantDocuments(query: string, _runManager?: CallbackManagerForRetrieverRun): Promise<Document[]> {
    const fields = this.#filter === undefined ? undefined : filterFieldsOf(await this.#store.attributeTypes());
    const { where } = searchFilterOf(this.#filter, fields, this.#tenant);
    const { hits } = await retrieve(query, this.#embedder, this.#store, {
      mode: this.#mode,
      k: this.#k,
      source: this.#source,
      where,
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
            attributes: hit.metadata ?? {},
          },
        }),
    );
  }
}
