import { encodePair, lengthSortedBatches, padBatch, type Encoded } from './encoding.js';
import { loadEncoderModel, type Dtype, type EncoderModel } from './transformersModel.js';
import type { Pair, CrossEncoder, ScoreOptions } from '../../pipeline/ports.js';
import { TokenLimitError } from '../../pipeline/errors.js';

export interface LocalCrossEncoderOptions {
  /** Hugging Face model id (or folder name under MODELS_DIR) of a sequence-classification cross-encoder. */
  model: string;
  /** @default 'int8' */
  dtype?: Dtype;
  /** Pairs per ONNX run, length-sorted and padded to the longest in their batch (measured on 2 vCPUs: 8 → 266 ms, 20 → 305 ms for 20 pairs). @default 8 */
  batchSize?: number;
  /**
   * Most padded tokens in one model run: long pairs go in smaller batches, so that one run (which blocks the
   * thread) stays short and a server sharing the thread answers health checks meanwhile. Measured on MiniLM-L6
   * int8, 32 pairs of 512 tokens, 2 vCPUs: longest event-loop stall 222 ms at 2048 vs 667 ms with batches of 8,
   * and 1.72 s vs 2.46 s in all. Short pairs still fill `batchSize`. @default 2048
   */
  maxBatchTokens?: number;
  /** onnxruntime intra-op threads; 0 keeps its default, one per physical core (bench: fanout). @default 0 */
  threads?: number;
  /** Logit column to report. @default the only one for one label; for two, the log-odds l1 − l0 (see relevanceLogits) */
  labelIndex?: number;
}

/**
 * The relevance score of each row of a [rows, labels] logits matrix: the only column of a one-label head; for a
 * two-label head the log-odds of the "relevant" class (index 1), l1 − l0, so that sigmoid(score) is its softmax
 * probability, as sentence-transformers and TEI report two-label heads; or column `labelIndex` when given.
 */
export function relevanceLogits(
  logits: ArrayLike<number>,
  rows: number,
  labels: number,
  labelIndex?: number,
): number[] {
  if (labelIndex === undefined && labels === 2) {
    return Array.from({ length: rows }, (_, row) => logits[row * 2 + 1]! - logits[row * 2]!);
  }
  const label = labelIndex ?? 0;
  if (label >= labels) throw new Error(`label index ${label} is out of range for ${labels} labels`);
  return Array.from({ length: rows }, (_, row) => logits[row * labels + label]!);
}

/**
 * Longest stretch of tokenization between two yields to the event loop. Tokenizing a 5,000-character passage
 * takes about 1 ms (tiny-ce, 2 vCPUs), so 1,000 such pairs would otherwise hold the loop for a second.
 */
const ENCODE_SLICE_MS = 10;

/** Lets timers, I/O and other requests run: onnxruntime-node's `run` blocks the thread for a whole batch. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The seed's `HuggingFaceCrossEncoder`, in-process on ONNX: pairs are encoded as Hugging Face tokenizers do
 * (`longest_first` truncation to the model's max length, both separators kept), and scores are raw logits.
 * `score` yields to the event loop between tokenization slices and between batches, so one process can answer
 * health checks and interleave concurrent calls; it honours `signal`, `maxTokens` and `onBatch` (see ScoreOptions).
 * @example
 * const encoder = await LocalCrossEncoder.create({ model: 'Xenova/ms-marco-MiniLM-L-6-v2' });
 * const scores = await encoder.score([['What is the plan?', 'We will fight inflation.']]);
 */
export class LocalCrossEncoder implements CrossEncoder {
  readonly name: string;
  readonly #model: EncoderModel;
  readonly #batchSize: number;
  readonly #maxBatchTokens: number;
  readonly #labelIndex: number | undefined;

  private constructor(model: EncoderModel, options: LocalCrossEncoderOptions) {
    this.name = `local:${options.model}`;
    this.#model = model;
    this.#batchSize = options.batchSize ?? 8;
    this.#maxBatchTokens = options.maxBatchTokens ?? 2048;
    this.#labelIndex = options.labelIndex;
  }

  /** Tokens a text encodes to, without special tokens (TokenCounter, for windowing long documents). */
  countTokens(text: string): number {
    return this.#model.tokenizer.encodeText(text).length;
  }

  /** Positions the model accepts, special tokens included. */
  get maxLength(): number {
    return this.#model.tokenizer.maxLength;
  }

  /** A cheap bound on countTokens(text) where the tokenizer allows one (WordPiece), else Infinity. */
  upperBound(text: string): number {
    return this.#model.tokenizer.upperBound?.(text) ?? Number.POSITIVE_INFINITY;
  }

  static async create(options: LocalCrossEncoderOptions): Promise<LocalCrossEncoder> {
    const model = await loadEncoderModel(options.model, 'sequence-classification', options.dtype ?? 'int8', {
      threads: options.threads,
    });
    return new LocalCrossEncoder(model, options);
  }

  /**
   * Raw relevance logits, in input order. Rejects with `signal.reason` once the signal is aborted (checked
   * between tokenization slices and before every batch) and with a TokenLimitError before any batch runs when
   * the encoded pairs exceed `maxTokens`.
   */
  async score(pairs: Pair[], options: ScoreOptions = {}): Promise<number[]> {
    options.signal?.throwIfAborted();
    const encoded = await this.#encode(pairs, options);
    return this.#runBatches(encoded, options);
  }

  /** Encodes every pair, yielding every ENCODE_SLICE_MS and stopping as soon as the token bound is passed. */
  async #encode(pairs: Pair[], { signal, maxTokens = Infinity }: ScoreOptions): Promise<Encoded[]> {
    const encoded: Encoded[] = [];
    let tokens = 0;
    let sliceStart = performance.now();
    for (const pair of pairs) {
      if (performance.now() - sliceStart >= ENCODE_SLICE_MS) {
        await yieldToEventLoop();
        signal?.throwIfAborted();
        sliceStart = performance.now();
      }
      const row = this.#encodePair(pair);
      tokens += row.inputIds.length;
      // Stop early: the rest of a refused request is not worth tokenizing.
      if (tokens > maxTokens) throw new TokenLimitError(maxTokens);
      encoded.push(row);
    }
    return encoded;
  }

  #encodePair([query, passage]: Pair): Encoded {
    const { tokenizer } = this.#model;
    return encodePair(
      tokenizer.encodeText(query),
      tokenizer.encodeText(passage),
      tokenizer.template,
      tokenizer.maxLength,
    );
  }

  /** Length-sorted batches over all rows (the same batches as one synchronous pass, so the same scores). */
  async #runBatches(encoded: Encoded[], { signal, onBatch }: ScoreOptions): Promise<number[]> {
    const { tokenizer } = this.#model;
    const scores = new Array<number>(encoded.length);
    const batches = lengthSortedBatches(
      encoded.map((e) => e.inputIds.length),
      this.#batchSize,
      this.#maxBatchTokens,
    );
    for (const [position, indices] of batches.entries()) {
      await yieldToEventLoop();
      signal?.throwIfAborted();
      const batch = padBatch(
        indices.map((i) => encoded[i]!),
        tokenizer.padId,
      );
      const { data, dims } = await this.#model.run(batch, 'logits');
      const column = relevanceLogits(data, batch.batchSize, dims[1] ?? 1, this.#labelIndex);
      indices.forEach((original, row) => {
        scores[original] = column[row]!;
      });
      onBatch?.({ done: position + 1, total: batches.length });
    }
    return scores;
  }
}
