/**
 * The project's one error model, as Powertools' HttpError and middy's http-errors shape theirs: every error
 * the project raises on purpose carries the HTTP status it maps to and whether its message may be shown to a
 * caller. Edges (handlers, the endpoint server) turn errors into answers in one place, shared/api/errorResponses.ts.
 */
export abstract class AppError extends Error {
  /** HTTP status a caller gets for it. */
  abstract readonly statusCode: number;
  /** Whether the message is safe to show callers (client mistakes, "retry later"); otherwise it stays in logs. */
  abstract readonly expose: boolean;
  /** Seconds a caller should wait before retrying, for 503s. */
  readonly retryAfterSeconds?: number;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }

  /** What a caller is told: the message itself when exposed, a fixed text otherwise (details stay in logs). */
  get publicMessage(): string {
    return this.expose ? this.message : 'internal error';
  }
}

/** A request that can never succeed as sent. */
export class BadRequestError extends AppError {
  readonly statusCode = 400;
  readonly expose = true;
}

/** A request its caller may not make (a tenant other than its own). */
export class ForbiddenError extends AppError {
  readonly statusCode = 403;
  readonly expose = true;
}

/** No such route or resource. */
export class NotFoundError extends AppError {
  readonly statusCode = 404;
  readonly expose = true;
}

/**
 * A document changed while it was being indexed (a newer upload or a delete raced the commit): what was committed
 * may be stale, so the document is synced again (its queue message is retried).
 */
export class DocumentChangedError extends AppError {
  readonly statusCode = 409;
  readonly expose = true;
}

/** Work not started because the invocation is near its timeout: retry it (the queue brings its message back). */
export class DeadlineError extends AppError {
  readonly statusCode = 503;
  readonly expose = true;
}

/** A request body (or its encoded content) larger than a limit. */
export class PayloadTooLargeError extends AppError {
  readonly statusCode = 413;
  readonly expose = true;
}

/** A body of a type the route does not take (a document format ingestion does not read). */
export class UnsupportedMediaTypeError extends AppError {
  readonly statusCode = 415;
  readonly expose = true;
}

/** A request that conflicts with work under way (a sync while one runs). */
export class ConflictError extends AppError {
  readonly statusCode = 409;
  readonly expose = true;
}

/** The pairs of a score() call encode to more tokens than its `maxTokens` allows; nothing was scored. */
export class TokenLimitError extends PayloadTooLargeError {
  constructor(readonly limit: number) {
    super(`request encodes to more than the maxTokens limit of ${limit} tokens after truncation`);
  }
}

/** A shard that was not scored: the function failed, answered outside its contract, or could not be reached. */
export class ShardError extends Error {
  override readonly name = 'ShardError';
  constructor(
    message: string,
    readonly requestId?: string,
    /** false: another invocation would fail the same way (the shard is over the payload limit). */
    readonly retryable = true,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Environment configuration that fails validation; the message names the variable. */
export class ConfigError extends AppError {
  readonly statusCode = 500;
  readonly expose = false;
}

/** A document that is not ingestible (not text, too large, bad encoding); retrying will not help. */
export class UnsupportedDocumentError extends AppError {
  readonly statusCode = 422;
  readonly expose = true;
}

/** Something needed is down, saturated or too slow right now; the caller should retry later. */
export class UnavailableError extends AppError {
  readonly statusCode = 503;
  readonly expose = true;
  override readonly retryAfterSeconds: number = 1;
}

/** The cross-encoder backend failed after its retries or missed its deadline (the message names the endpoint). */
export class RerankUnavailableError extends UnavailableError {
  override get publicMessage(): string {
    return 'reranking is temporarily unavailable; retry later';
  }
}

/** The vector store could not be read for a passing reason (object store down, throttled). */
export class StoreUnavailableError extends UnavailableError {
  override get publicMessage(): string {
    return 'the vector store is temporarily unavailable; retry later';
  }
}

/** The vector table does not exist yet (nothing was ingested): a reader sees an empty index, a writer creates it. */
export class NoTableError extends AppError {
  readonly statusCode = 404;
  readonly expose = true;
}

/** The vector table was built by another embedding model or metric than the one configured. */
export class StoreMismatchError extends AppError {
  readonly statusCode = 500;
  readonly expose = false;
}

/** A model server answered outside its contract (wrong shape, wrong count); retrying will not help. */
export class ContractError extends AppError {
  readonly statusCode = 502;
  readonly expose = false;
}
