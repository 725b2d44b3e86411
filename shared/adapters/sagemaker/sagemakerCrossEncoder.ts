import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { ContractError, RerankUnavailableError } from '../../pipeline/errors.js';
import { contentHandlers, type ContentHandler } from './contentHandlers.js';
import type { Pair, CrossEncoder, ScoreOptions } from '../../pipeline/ports.js';

export interface SageMakerCrossEncoderOptions {
  endpointName: string;
  /** Endpoint URL override, e.g. the local endpoint server. */
  endpointUrl?: string;
  /** @default 'us-east-1' */
  region?: string;
  /** @default 'pairs' (the seed contract) */
  contentHandler?: keyof typeof contentHandlers | ContentHandler;
  /** Deadline for the whole score() call, retries included. @default 10000 */
  timeoutMs?: number;
  /** Retries per request after throttling, 5xx or network errors. @default 3 */
  maxRetries?: number;
  /** First backoff; each retry waits a random time up to base·2^attempt ("full jitter"). @default 100 */
  baseDelayMs?: number;
  /** Request body limit; SageMaker's is 6 MB. @default 5_000_000 */
  maxPayloadBytes?: number;
  /** Pairs per request, so big candidate sets are scored in parallel. @default 32 */
  maxPairsPerRequest?: number;
  /** Requests in flight at once. @default 4 */
  concurrency?: number;
  /** Injected client (tests, custom credentials). */
  client?: SageMakerRuntimeClient;
}

/** Splits pairs into consecutive groups bounded by count and encoded size. */
export function splitRequests(pairs: Pair[], handler: ContentHandler, maxPairs: number, maxBytes: number): Pair[][] {
  const bytes = (group: Pair[]) => Buffer.byteLength(handler.encode(group));
  const groups: Pair[][] = [];
  let current: Pair[] = [];
  for (const pair of pairs) {
    const candidate = [...current, pair];
    if (candidate.length <= maxPairs && bytes(candidate) <= maxBytes) {
      current = candidate;
      continue;
    }
    if (current.length > 0) groups.push(current);
    if (bytes([pair]) > maxBytes) {
      throw new RerankUnavailableError(`one pair is larger than the ${maxBytes}-byte request limit`);
    }
    current = [pair];
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

interface SdkError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
  OriginalStatusCode?: number;
}

/** Throttling, server-side and network failures are worth another try; contract errors are not. */
export function isRetryable(error: unknown): boolean {
  const e = error as SdkError;
  const status = e.OriginalStatusCode ?? e.$metadata?.httpStatusCode;
  if (status === undefined) return !(error instanceof ContractError); // no HTTP answer: network trouble
  return status === 429 || status >= 500 || e.name === 'ThrottlingException';
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/**
 * Cross-encoder behind a SageMaker endpoint (`InvokeEndpoint`, JSON). Splits large candidate sets under the
 * payload limit, sends them concurrently, retries throttling/5xx with jittered backoff, and enforces one
 * deadline for the whole call.
 * @example
 * const encoder = new SageMakerCrossEncoder({
 *   endpointName: 'bge-reranker-base',
 *   endpointUrl: process.env.SAGEMAKER_ENDPOINT_URL, // a local endpoint server (npm run endpoint); unset on AWS
 * });
 * const scores = await encoder.score([['What is the plan?', 'We will fight inflation.']]);
 */
export class SageMakerCrossEncoder implements CrossEncoder {
  readonly name: string;
  readonly #client: SageMakerRuntimeClient;
  readonly #endpointName: string;
  readonly #handler: ContentHandler;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #baseDelayMs: number;
  readonly #maxPayloadBytes: number;
  readonly #maxPairs: number;
  readonly #concurrency: number;

  constructor(options: SageMakerCrossEncoderOptions) {
    this.name = `sagemaker:${options.endpointName}`;
    this.#endpointName = options.endpointName;
    this.#client =
      options.client ??
      new SageMakerRuntimeClient({
        region: options.region ?? 'us-east-1',
        endpoint: options.endpointUrl,
        maxAttempts: 1, // retries are ours, inside one deadline
      });
    const handler = options.contentHandler ?? 'pairs';
    this.#handler = typeof handler === 'string' ? contentHandlers[handler] : handler;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxRetries = options.maxRetries ?? 3;
    this.#baseDelayMs = options.baseDelayMs ?? 100;
    this.#maxPayloadBytes = options.maxPayloadBytes ?? 5_000_000;
    this.#maxPairs = options.maxPairsPerRequest ?? 32;
    this.#concurrency = options.concurrency ?? 4;
  }

  async score(pairs: Pair[], options: ScoreOptions = {}): Promise<number[]> {
    if (pairs.length === 0) return [];
    const deadline = AbortSignal.timeout(this.#timeoutMs);
    const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
    const groups = splitRequests(pairs, this.#handler, this.#maxPairs, this.#maxPayloadBytes);
    const results = new Array<number[]>(groups.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < groups.length) {
        const i = next++;
        results[i] = await this.#invokeWithRetry(groups[i]!, signal);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.#concurrency, groups.length) }, worker));
    } catch (error) {
      if (error instanceof RerankUnavailableError) throw error;
      if (signal.aborted) {
        throw new RerankUnavailableError(
          deadline.aborted
            ? `endpoint ${this.#endpointName} missed the ${this.#timeoutMs} ms deadline`
            : 'scoring aborted',
          { cause: error },
        );
      }
      throw new RerankUnavailableError(`endpoint ${this.#endpointName} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return results.flat();
  }

  async #invokeWithRetry(pairs: Pair[], signal: AbortSignal): Promise<number[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await this.#client.send(
          new InvokeEndpointCommand({
            EndpointName: this.#endpointName,
            ContentType: this.#handler.contentType,
            Accept: this.#handler.accept,
            Body: new TextEncoder().encode(this.#handler.encode(pairs)),
          }),
          { abortSignal: signal },
        );
        return this.#handler.decode(new TextDecoder().decode(response.Body), pairs);
      } catch (error) {
        if (signal.aborted) throw error;
        if (attempt >= this.#maxRetries || !isRetryable(error)) {
          throw new RerankUnavailableError(
            `endpoint ${this.#endpointName} failed after ${attempt + 1} attempt(s): ${(error as Error).message}`,
            { cause: error },
          );
        }
        await sleep(Math.random() * this.#baseDelayMs * 2 ** attempt, signal);
      }
    }
  }
}
