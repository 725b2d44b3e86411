import type { Pair } from '../contract.js';
import { encodePair, lengthSortedBatches, padBatch } from '../models/encoding.js';
import { loadEncoderModel, type Dtype, type EncoderModel } from '../models/transformersModel.js';
import type { CrossEncoder } from './crossEncoder.js';

export interface LocalCrossEncoderOptions {
  /** Hugging Face model id (or folder name under MODELS_DIR) of a sequence-classification cross-encoder. */
  model: string;
  /** @default 'int8' */
  dtype?: Dtype;
  /** Pairs per ONNX run, length-sorted and padded to the longest in their batch (measured on 2 vCPUs: 8 → 266 ms, 20 → 305 ms for 20 pairs). @default 8 */
  batchSize?: number;
  /** Logit to report for multi-label heads. @default 0 for one label, 1 (the relevant class) for two */
  labelIndex?: number;
}

/**
 * The relevance logit of each row of a [rows, labels] logits matrix: the only column of a one-label head,
 * the "relevant" class (index 1) of a two-label head — as LangChain's HuggingFaceCrossEncoder reads it —
 * or `labelIndex` when given.
 */
export function relevanceLogits(logits: ArrayLike<number>, rows: number, labels: number, labelIndex?: number): number[] {
  const label = labelIndex ?? (labels === 1 ? 0 : 1);
  if (label >= labels) throw new Error(`label index ${label} is out of range for ${labels} labels`);
  return Array.from({ length: rows }, (_, row) => logits[row * labels + label]!);
}

/**
 * The seed's `HuggingFaceCrossEncoder`, in-process on ONNX: pairs are encoded as Hugging Face tokenizers do
 * (`longest_first` truncation to the model's max length, both separators kept), and scores are raw logits.
 * @example
 * const encoder = await LocalCrossEncoder.create({ model: 'Xenova/ms-marco-MiniLM-L-6-v2' });
 * const scores = await encoder.score([['What is the plan?', 'We will fight inflation.']]);
 */
export class LocalCrossEncoder implements CrossEncoder {
  readonly name: string;
  readonly #model: EncoderModel;
  readonly #batchSize: number;
  readonly #labelIndex: number | undefined;

  private constructor(model: EncoderModel, options: LocalCrossEncoderOptions) {
    this.name = `local:${options.model}`;
    this.#model = model;
    this.#batchSize = options.batchSize ?? 8;
    this.#labelIndex = options.labelIndex;
  }

  static async create(options: LocalCrossEncoderOptions): Promise<LocalCrossEncoder> {
    const model = await loadEncoderModel(options.model, 'sequence-classification', options.dtype ?? 'int8');
    return new LocalCrossEncoder(model, options);
  }

  async score(pairs: Pair[]): Promise<number[]> {
    const { tokenizer } = this.#model;
    const encoded = pairs.map(([query, passage]) =>
      encodePair(
        tokenizer.encodeText(query),
        passage === '' ? null : tokenizer.encodeText(passage),
        tokenizer.template,
        tokenizer.maxLength,
      ),
    );
    const scores = new Array<number>(pairs.length);
    const lengths = encoded.map((e) => e.inputIds.length);
    for (const indices of lengthSortedBatches(lengths, this.#batchSize)) {
      const batch = padBatch(indices.map((i) => encoded[i]!), tokenizer.padId);
      const { data, dims } = await this.#model.run(batch, 'logits');
      const column = relevanceLogits(data, batch.batchSize, dims[1] ?? 1, this.#labelIndex);
      indices.forEach((original, row) => {
        scores[original] = column[row]!;
      });
    }
    return scores;
  }
}
