import { AppError } from '../pipeline/errors.js';

/**
 * Errors as answers, in one place: the status, headers and public body of any error (shared/pipeline/errors.ts), for
 * HTTP callers and for direct invokes. No stack or path ever reaches a caller.
 */

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
