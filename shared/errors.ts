/** A request that can never succeed as sent (maps to HTTP 400). */
export class BadRequestError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BadRequestError';
  }
}

/** A request body larger than the limit (maps to HTTP 413). */
export class PayloadTooLargeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PayloadTooLargeError';
  }
}

/** Environment configuration that fails validation; the message names the variable. */
export class ConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** A document that is not ingestible (not text, too large, bad encoding); retrying will not help. */
export class UnsupportedDocumentError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnsupportedDocumentError';
  }
}

/** The cross-encoder backend failed after its retries or missed its deadline (maps to HTTP 503). */
export class RerankUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RerankUnavailableError';
  }
}

/** The vector table was built by another embedding model or metric than the one configured. */
export class StoreMismatchError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreMismatchError';
  }
}

/** The vector store could not be read for a passing reason (object store down, throttled); retry later (HTTP 503). */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
