import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { ShardResponseSchema, type ShardRequest } from '../../api/shardContract.js';
import type { Pair, ShardInvoker, ShardResult } from '../../pipeline/ports.js';
import { ShardError } from '../../pipeline/errors.js';

/** A synchronous Invoke carries at most 6 MB each way; a little is kept for the envelope. */
export const MAX_INVOKE_PAYLOAD_BYTES = 6_000_000;

export interface LambdaShardInvokerOptions {
  /** Name or ARN of the scoring function. */
  functionName: string;
  /** Invoke API endpoint override (the local stack's scoring pool); unset on AWS. */
  endpoint?: string;
  /** @default 'us-east-1' */
  region?: string;
  /** Injected client (tests, custom credentials). */
  client?: LambdaClient;
}

/**
 * Scores a shard with one `RequestResponse` invocation of the scoring function through the Lambda Invoke API.
 * Retries are the caller's (FanOutCrossEncoder), inside its deadline: the SDK makes one attempt.
 */
export class LambdaShardInvoker implements ShardInvoker {
  readonly #client: LambdaClient;
  readonly #functionName: string;

  constructor(options: LambdaShardInvokerOptions) {
    this.#functionName = options.functionName;
    this.#client =
      options.client ??
      new LambdaClient({ region: options.region ?? 'us-east-1', endpoint: options.endpoint, maxAttempts: 1 });
  }

  async invoke(pairs: Pair[], { deadline, signal }: { deadline: number; signal: AbortSignal }): Promise<ShardResult> {
    const request: ShardRequest = { pairs, deadline };
    const payload = new TextEncoder().encode(JSON.stringify(request));
    if (payload.byteLength > MAX_INVOKE_PAYLOAD_BYTES) {
      throw new ShardError(
        `a shard of ${payload.byteLength} bytes is over the ${MAX_INVOKE_PAYLOAD_BYTES}-byte invoke limit`,
        undefined,
        false,
      );
    }
    let output: InvokeCommandOutput;
    try {
      output = await this.#client.send(
        new InvokeCommand({ FunctionName: this.#functionName, InvocationType: 'RequestResponse', Payload: payload }),
        { abortSignal: signal },
      );
    } catch (error) {
      const requestId = (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
      throw new ShardError(`invoke failed: ${(error as Error).message}`, requestId, true, { cause: error });
    }
    const requestId = output.$metadata.requestId;
    const text = output.Payload ? new TextDecoder().decode(output.Payload) : '';
    if (output.FunctionError) {
      throw new ShardError(`scoring function failed (${output.FunctionError}): ${errorMessageOf(text)}`, requestId);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ShardError('scoring function answered no JSON', requestId);
    }
    const parsed = ShardResponseSchema.safeParse(body);
    if (!parsed.success) throw new ShardError('scoring function answered outside its contract', requestId);
    return { scores: parsed.data.scores, requestId };
  }
}

/** `errorType: errorMessage` of a Lambda error payload, or its first 200 characters. */
function errorMessageOf(text: string): string {
  try {
    const { errorType, errorMessage } = JSON.parse(text) as { errorType?: string; errorMessage?: string };
    if (errorMessage !== undefined) return `${errorType ?? 'Error'}: ${errorMessage}`;
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}
