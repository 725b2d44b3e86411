import {
  AutoModel,
  AutoModelForSequenceClassification,
  AutoTokenizer,
  Tensor,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@xenova/transformers';
import { ONNX } from '@xenova/transformers/src/backends/onnx.js';
import { getModelFile } from '@xenova/transformers/src/utils/hub.js';
import path from 'node:path';
import type { EncodingTemplate, PaddedBatch, TemplatePiece } from './encoding.js';
import type { TokenCounter } from '../../pipeline/ports.js';

export type Dtype = 'int8' | 'fp32';

/** A loaded tokenizer reduced to what the encoding rules need. */
export interface TokenizerParts {
  /** Token ids of a text without special tokens. */
  encodeText(text: string): number[];
  /** A cheap bound on the number of token ids of a text, where the tokenizer allows one (see tokenUpperBound). */
  upperBound?: (text: string) => number;
  template: EncodingTemplate;
  padId: number;
  /** Positions the model accepts (512 for BERT). */
  maxLength: number;
}

export interface EncoderModel {
  tokenizer: TokenizerParts;
  /** Runs the ONNX graph on a padded batch and returns the named output as [data, dims]. */
  run(batch: PaddedBatch, output: 'last_hidden_state' | 'logits'): Promise<{ data: Float32Array; dims: number[] }>;
  /** Width of the hidden state (the embedding dimension for pooled outputs). */
  hiddenSize: number;
}

// Placeholders that no vocabulary contains, to read where A and B sit in the tokenizer's template.
const SLOT_A = '\u0000slot-A';
const SLOT_B = '\u0000slot-B';

function templateOf(tokenizer: PreTrainedTokenizer): EncodingTemplate {
  const toPieces = (out: { tokens: string[]; token_type_ids?: number[] }): TemplatePiece[] =>
    out.tokens.map((token, i): TemplatePiece => {
      const typeId = out.token_type_ids?.[i] ?? 0;
      if (token === SLOT_A) return { kind: 'sequence', which: 'A', typeId };
      if (token === SLOT_B) return { kind: 'sequence', which: 'B', typeId };
      const id = tokenizer.model.tokens_to_ids.get(token);
      if (id === undefined) throw new Error(`special token ${token} is not in the vocabulary`);
      return { kind: 'special', id, typeId };
    });
  const post = tokenizer.post_processor as unknown as
    | ((a: string[], b: string[] | null) => { tokens: string[]; token_type_ids?: number[] })
    | null;
  if (!post) {
    return {
      single: [{ kind: 'sequence', which: 'A', typeId: 0 }],
      pair: [
        { kind: 'sequence', which: 'A', typeId: 0 },
        { kind: 'sequence', which: 'B', typeId: 1 },
      ],
    };
  }
  return { single: toPieces(post([SLOT_A], null)), pair: toPieces(post([SLOT_A], [SLOT_B])) };
}

function maxLengthOf(tokenizer: PreTrainedTokenizer, model?: PreTrainedModel): number {
  const fromTokenizer = Number(tokenizer.model_max_length);
  const positions = Number(
    (model?.config as { max_position_embeddings?: number } | undefined)?.max_position_embeddings,
  );
  // Tokenizers without a limit report a huge sentinel (1e30); the position table is the real bound.
  const candidates = [fromTokenizer, positions].filter((n) => Number.isFinite(n) && n > 0 && n < 1e6);
  return candidates.length ? Math.min(...candidates) : 512;
}

export interface ModelLoadFailure {
  id: string;
  /** The local models folder (MODELS_DIR), or undefined when local models are off. */
  dir: string | undefined;
  allowRemote: boolean;
  /** What went wrong underneath, e.g. "fetch failed". */
  reason: string;
}

/** The message of a failed model load: the model, where it was looked for, why it failed, and the offline way. */
export function modelLoadMessage({ id, dir, allowRemote, reason }: ModelLoadFailure): string {
  const places = [
    ...(dir !== undefined ? [`local folder ${path.join(dir, id)}`] : []),
    ...(allowRemote ? [`https://huggingface.co/${id}`] : []),
  ];
  const where = places.length > 0 ? places.join(', then ') : 'nowhere (no MODELS_DIR and ALLOW_REMOTE_MODELS=false)';
  return (
    `could not load model "${id}" (looked in: ${where}): ${reason.trim().replace(/\.+$/, '')}. ` +
    'To run offline, set MODELS_DIR=<folder with models in Hugging Face layout> with ALLOW_REMOTE_MODELS=false, ' +
    "e.g. the repository's fixtures (random weights: mechanics only): " +
    'MODELS_DIR=test/fixtures/models EMBEDDING_MODEL=tiny-embed RERANKER_MODEL=tiny-ce ALLOW_REMOTE_MODELS=false'
  );
}

/** The error's message plus its cause's ("fetch failed" alone does not say that the host was unreachable). */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause && !error.message.includes(cause) ? `${error.message} (${cause})` : error.message;
}

/** The error of a failed load, with settings as configureModelHub left them in transformers.js's process-wide env. */
function loadFailure(modelId: string, error: unknown): Error {
  const dir = env.allowLocalModels ? env.localModelPath : undefined;
  const message = modelLoadMessage({ id: modelId, dir, allowRemote: env.allowRemoteModels, reason: reasonOf(error) });
  return new Error(message, { cause: error });
}

/** Token ids of a text without special tokens (empty text: none). */
function encodeWith(tokenizer: PreTrainedTokenizer): (text: string) => number[] {
  return (text) => (text.length === 0 ? [] : tokenizer.encode(text, null, { add_special_tokens: false }));
}

/**
 * A cheap upper bound on a text's token count, where the tokenizer allows one: a WordPiece token (BERT) always covers
 * at least one non-space character of the normalised text, and NFKD expands a text at least as much as any
 * normaliser (decomposition, lower-casing) does. Other tokenizers (byte-level BPE, SentencePiece) get none.
 */
export function tokenUpperBound(tokenizer: PreTrainedTokenizer): ((text: string) => number) | undefined {
  const type = (tokenizer.model as unknown as { config?: { type?: string } }).config?.type;
  if (type !== 'WordPiece') return undefined;
  return (text) => text.normalize('NFKD').replace(/\s+/g, '').length;
}

/**
 * A model's tokenizer alone (tokenizer files only, no ONNX weights), for counting tokens where the model itself
 * runs elsewhere (a SageMaker endpoint).
 */
export async function loadTokenCounter(modelId: string): Promise<TokenCounter> {
  let tokenizer: PreTrainedTokenizer;
  try {
    tokenizer = await AutoTokenizer.from_pretrained(modelId);
  } catch (error) {
    throw loadFailure(modelId, error);
  }
  const encode = encodeWith(tokenizer);
  return {
    countTokens: (text) => encode(text).length,
    maxLength: maxLengthOf(tokenizer),
    upperBound: tokenUpperBound(tokenizer),
  };
}

export interface EncoderModelOptions {
  /**
   * onnxruntime's intra-op threads for this model's session; 0 keeps onnxruntime's default (one per physical core).
   * transformers.js 2.17 passes no session options, so a set value costs a second session at load. @default 0
   */
  threads?: number;
}

/** The model's session again, with `threads` intra-op threads (one inter-op thread: the graph runs in sequence). */
async function sessionWithThreads(modelId: string, dtype: Dtype, threads: number): Promise<unknown> {
  const file = `onnx/${dtype === 'int8' ? 'model_quantized' : 'model'}.onnx`;
  const buffer = (await getModelFile(modelId, file, true, {})) as Uint8Array;
  // The runtime transformers.js itself runs, so both sessions come from one onnxruntime build.
  return ONNX.InferenceSession.create(buffer, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
}

/**
 * Loads a tokenizer and an ONNX encoder by model id (local folder or hub, see configureModelHub).
 * `int8` picks `onnx/model_quantized.onnx`, `fp32` picks `onnx/model.onnx`.
 */
export async function loadEncoderModel(
  modelId: string,
  kind: 'feature-extraction' | 'sequence-classification',
  dtype: Dtype,
  options: EncoderModelOptions = {},
): Promise<EncoderModel> {
  const Model = kind === 'sequence-classification' ? AutoModelForSequenceClassification : AutoModel;
  let tokenizer: PreTrainedTokenizer;
  let model: PreTrainedModel;
  try {
    [tokenizer, model] = await Promise.all([
      AutoTokenizer.from_pretrained(modelId),
      Model.from_pretrained(modelId, { quantized: dtype === 'int8' }),
    ]);
    if (options.threads) {
      (model as unknown as { session: unknown }).session = await sessionWithThreads(modelId, dtype, options.threads);
    }
  } catch (error) {
    throw loadFailure(modelId, error);
  }
  const session = (model as unknown as { session: { inputNames: string[] } }).session;
  const needsTypeIds = session.inputNames.includes('token_type_ids');
  const padId = tokenizer.pad_token_id ?? 0;
  return {
    hiddenSize: Number((model.config as { hidden_size?: number }).hidden_size),
    tokenizer: {
      encodeText: encodeWith(tokenizer),
      upperBound: tokenUpperBound(tokenizer),
      template: templateOf(tokenizer),
      padId,
      maxLength: maxLengthOf(tokenizer, model),
    },
    async run(batch, output) {
      const dims = [batch.batchSize, batch.seqLen];
      const feeds: Record<string, Tensor> = {
        input_ids: new Tensor('int64', batch.inputIds, dims),
        attention_mask: new Tensor('int64', batch.attentionMask, dims),
      };
      if (needsTypeIds) feeds.token_type_ids = new Tensor('int64', batch.tokenTypeIds, dims);
      const outputs = (await (model as unknown as (f: Record<string, Tensor>) => Promise<Record<string, Tensor>>)(
        feeds,
      )) as Record<string, Tensor>;
      const tensor = outputs[output];
      if (!tensor) throw new Error(`model ${modelId} has no output named ${output}`);
      return { data: tensor.data as Float32Array, dims: tensor.dims as number[] };
    },
  };
}
