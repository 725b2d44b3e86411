/**
 * Pure encoding rules for BERT-style inputs, written to match Hugging Face (fast) tokenizers rather than
 * transformers.js, which truncates the already-assembled sequence (losing the final separator) and pads
 * to max_length when asked to truncate. Token ids in, padded int64 batches out.
 */

/** One piece of a post-processing template: a special token, or the slot of sequence A or B. */
export type TemplatePiece =
  | { kind: 'special'; id: number; typeId: number }
  | { kind: 'sequence'; which: 'A' | 'B'; typeId: number };

/** How special tokens wrap one sequence and a pair (e.g. `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]`). */
export interface EncodingTemplate {
  single: TemplatePiece[];
  pair: TemplatePiece[];
}

export interface Encoded {
  inputIds: number[];
  typeIds: number[];
}

/** Row-major int64 tensors for an encoder, padded to the longest row of the batch. */
export interface PaddedBatch {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  batchSize: number;
  seqLen: number;
}

const specialCount = (pieces: TemplatePiece[]): number => pieces.filter((p) => p.kind === 'special').length;

/**
 * Lengths that Hugging Face's `longest_first` strategy keeps for a pair, given the token budget left after
 * special tokens: the longer side is cut first; if both exceed half the budget, each keeps half (the
 * longer side keeps the odd token).
 */
export function longestFirstLengths(lenA: number, lenB: number, budget: number): [number, number] {
  if (lenA + lenB <= budget) return [lenA, lenB];
  const swap = lenA > lenB;
  let n1 = swap ? lenB : lenA;
  let n2: number;
  n2 = n1 > budget ? n1 : Math.max(n1, budget - n1);
  if (n1 + n2 > budget) {
    n1 = Math.floor(budget / 2);
    n2 = n1 + (budget % 2);
  }
  const [keepA, keepB] = swap ? [n2, n1] : [n1, n2];
  return [Math.min(keepA, lenA), Math.min(keepB, lenB)];
}

function assemble(pieces: TemplatePiece[], a: number[], b: number[]): Encoded {
  const inputIds: number[] = [];
  const typeIds: number[] = [];
  for (const piece of pieces) {
    if (piece.kind === 'special') {
      inputIds.push(piece.id);
      typeIds.push(piece.typeId);
    } else {
      const seq = piece.which === 'A' ? a : b;
      for (const id of seq) {
        inputIds.push(id);
        typeIds.push(piece.typeId);
      }
    }
  }
  return { inputIds, typeIds };
}

/** One sequence with special tokens, its content cut so the whole fits `maxLength`. */
export function encodeSingle(ids: number[], template: EncodingTemplate, maxLength: number): Encoded {
  const budget = Math.max(0, maxLength - specialCount(template.single));
  return assemble(template.single, ids.slice(0, budget), []);
}

/**
 * A (query, passage) pair as the seed's batched `tokenizer(pairs, truncation=True, max_length=512)` encodes it.
 * An empty passage is still a pair with an empty second sequence: `[CLS] query [SEP] [SEP]`, token types
 * `0…0, 1` (the batched call's behaviour; `tokenizer(text, "")` on one pair would drop the pair).
 */
export function encodePair(a: number[], b: number[], template: EncodingTemplate, maxLength: number): Encoded {
  const budget = Math.max(0, maxLength - specialCount(template.pair));
  const [keepA, keepB] = longestFirstLengths(a.length, b.length, budget);
  return assemble(template.pair, a.slice(0, keepA), b.slice(0, keepB));
}

/** Pads a batch to its longest row (never to max_length: that costs ~6x on 500-character chunks). */
export function padBatch(rows: Encoded[], padId: number): PaddedBatch {
  const batchSize = rows.length;
  const seqLen = rows.reduce((m, r) => Math.max(m, r.inputIds.length), 0);
  const inputIds = new BigInt64Array(batchSize * seqLen).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(batchSize * seqLen);
  const tokenTypeIds = new BigInt64Array(batchSize * seqLen);
  rows.forEach((row, r) => {
    const offset = r * seqLen;
    for (let j = 0; j < row.inputIds.length; j++) {
      inputIds[offset + j] = BigInt(row.inputIds[j]!);
      attentionMask[offset + j] = 1n;
      tokenTypeIds[offset + j] = BigInt(row.typeIds[j]!);
    }
  });
  return { inputIds, attentionMask, tokenTypeIds, batchSize, seqLen };
}

/**
 * Groups indices into batches of similar length (sorted by length, then chunked), so that padding to the
 * longest row wastes little. A batch holds at most `batchSize` rows and, past its first row, at most
 * `maxBatchTokens` padded tokens: long rows go in smaller batches, so one model run stays short.
 * Returns index groups into the original array.
 */
export function lengthSortedBatches(lengths: number[], batchSize: number, maxBatchTokens = Infinity): number[][] {
  const order = lengths.map((_, i) => i).sort((x, y) => lengths[y]! - lengths[x]!);
  const batches: number[][] = [];
  let batch: number[] = [];
  for (const index of order) {
    // Longest first, so a batch pads to its first row: rows × that length is the batch's token count.
    const padded = (batch.length + 1) * lengths[batch[0] ?? index]!;
    if (batch.length > 0 && (batch.length === batchSize || padded > maxBatchTokens)) {
      batches.push(batch);
      batch = [];
    }
    batch.push(index);
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
