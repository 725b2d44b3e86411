import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { parseKeyHashes } from '../../api/apiKeys.js';

/** Where the allowed key hashes come from. */
export interface KeySource {
  hashes(): Promise<Set<string>>;
}

/** The hashes in one SSM parameter (a SecureString: comma- or newline-separated SHA-256 hex), decrypted. */
export class SsmKeySource implements KeySource {
  constructor(
    private readonly client: Pick<SSMClient, 'send'>,
    private readonly name: string,
  ) {}

  async hashes(): Promise<Set<string>> {
    const { Parameter } = await this.client.send(new GetParameterCommand({ Name: this.name, WithDecryption: true }));
    return parseKeyHashes(Parameter?.Value ?? '', `SSM parameter ${this.name}`);
  }
}

/**
 * A KeySource read at most once per `ttlMs` (one read per cold start, and a rotation is seen within the TTL);
 * a failed read is not kept, so the next request tries again. Concurrent callers share one read.
 */
export class CachedKeySource implements KeySource {
  private value: Set<string> | undefined;
  private expiresAt = 0;
  private pending: Promise<Set<string>> | undefined;

  constructor(
    private readonly source: KeySource,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  hashes(): Promise<Set<string>> {
    if (this.value && this.now() < this.expiresAt) return Promise.resolve(this.value);
    this.pending ??= this.source
      .hashes()
      .then((value) => {
        this.value = value;
        this.expiresAt = this.now() + this.ttlMs;
        return value;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}
