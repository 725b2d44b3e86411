/**
 * The project's one error model, as Powertools' HttpError and middy's http-errors shape theirs: every error
 * the project raises on purpose carries the HTTP status it maps to and whether its message may be shown to a
 * caller. Edges (handlers, the endpoint server) turn errors into answers with `toErrorResponse`, in one place.
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

/** The message a caller may see for any error: its own when exposed, a generic one otherwise. */
export function publicMessage(error: unknown): string {
  return error instanceof AppError ? error.publicMessage : 'internal error';
}

/** HTTP status of any error: its own for AppErrors, 500 for anything unexpected. */
export function statusOf(error: unknown): number {
  return error instanceof AppError ? error.statusCode : 500;
}

/** `{status, headers, body}` for an error, with the body `{"error": message}` and no stack or path in it. */
export function toErrorResponse(error: unknown): {
  status: number;
  headers: Record<string, string>;
  body: { error: string };
} {
  const headers: Record<string, string> = {};
  if (error instanceof AppError && error.retryAfterSeconds !== undefined)
    headers['retry-after'] = String(error.retryAfterSeconds);
  return { status: statusOf(error), headers, body: { error: publicMessage(error) } };
}

/**
 * The error to throw back to a direct (`lambda invoke`) caller: Lambda puts the error's name, message and
 * stack in the response, so exposed errors keep their name and message but lose their stack (file paths),
 * and anything else becomes a bare "internal error".
 */
export function toInvokeError(error: unknown): Error {
  const name = error instanceof AppError && error.expose ? error.name : 'Error';
  const shown = new Error(publicMessage(error));
  shown.name = name;
  shown.stack = `${name}: ${shown.message}`;
  return shown;
}
