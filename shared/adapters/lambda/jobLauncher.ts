import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

/** What the ingest function takes to run (or go on with) an ingestion job. */
export interface JobInvocation {
  ingestionJob: { id: string; offset: number };
}

export const isJobInvocation = (event: unknown): event is JobInvocation =>
  typeof (event as JobInvocation | null)?.ingestionJob?.id === 'string';

/**
 * Starts the ingest function on a job without waiting for it (`Event` invocation: Lambda queues it and retries a
 * crash twice), so `POST /ingestion-jobs` answers at once and a job may outlive API Gateway's 30 s.
 */
export class LambdaJobLauncher {
  readonly #client: LambdaClient;

  constructor(
    private readonly functionName: string,
    options: { endpoint?: string; region?: string } = {},
  ) {
    this.#client = new LambdaClient({ region: options.region ?? 'us-east-1', endpoint: options.endpoint });
  }

  async launch(invocation: JobInvocation): Promise<void> {
    const Payload = new TextEncoder().encode(JSON.stringify(invocation));
    const answer = await this.#client.send(
      new InvokeCommand({ FunctionName: this.functionName, InvocationType: 'Event', Payload }),
    );
    if (answer.StatusCode !== 202) throw new Error(`the ingest function was not started (${answer.StatusCode})`);
  }
}
