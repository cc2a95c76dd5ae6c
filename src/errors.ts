/**
 * Errors that say what happens next. Every error winnow throws on bad input carries a short
 * machine-readable `code` (stored as the failure reason) and whether retrying could help.
 */
export type ErrorCode =
  | 'empty'
  | 'not_text'
  | 'not_html'
  | 'too_large'
  | 'too_deep'
  | 'bad_charset'
  | 'parse_failed'
  | 'no_article'
  | 'no_model'
  | 'model_mismatch'
  | 'bad_fixture'
  | 'bad_input'
  | 'blocked_address'
  | 'bad_url'
  | 'timeout'
  | 'too_many_redirects'
  | 'unsupported_type'
  | 'http_error'
  | 'robots_disallowed'
  | 'network'
  | 'not_found'
  | 'conflict';

export class WinnowError extends Error {
  /** Machine-readable reason, stored with a failed page. */
  readonly code: ErrorCode;
  /** True when the same input may succeed later (network, database); false for bad input. */
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options?: { retryable?: boolean; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = this.constructor.name;
    this.code = code;
    this.retryable = options?.retryable ?? false;
  }
}

/** The input has no bytes, or only whitespace. Never retried. */
export class EmptyInputError extends WinnowError {
  constructor(message = 'page is empty') {
    super('empty', message);
  }
}

/** The bytes are binary (NUL bytes, control characters), not text. Never retried. */
export class NotTextError extends WinnowError {
  constructor(message = 'page is binary, not text') {
    super('not_text', message);
  }
}

/** The text is not HTML (no markup at all, or JSON, or a PDF). Never retried. */
export class NotHtmlError extends WinnowError {
  constructor(message = 'page is not HTML') {
    super('not_html', message);
  }
}

/** The page is over the size or element limit. Never retried. */
export class PageTooLargeError extends WinnowError {
  constructor(message: string) {
    super('too_large', message);
  }
}

/**
 * The page parsed, but no block on it holds text (`<p> </p>`, an empty shell a script would
 * fill): stored as a failure with this reason rather than as an article with no text.
 */
export class NoArticleError extends WinnowError {
  constructor(message = 'no text on the page: nothing to return as the article') {
    super('no_article', message);
  }
}

/** Elements nest deeper than the limit (a parser stack-overflow attack or a broken page). */
export class PageTooDeepError extends WinnowError {
  constructor(message: string) {
    super('too_deep', message);
  }
}

/** The declared charset is not one any decoder knows. */
export class BadCharsetError extends WinnowError {
  constructor(message: string) {
    super('bad_charset', message);
  }
}

/** The DOM engine threw on this page. */
export class ParseError extends WinnowError {
  constructor(message: string, cause?: unknown) {
    super('parse_failed', message, { cause });
  }
}

/** No trained model where one was expected. */
export class ModelNotFoundError extends WinnowError {
  constructor(message: string) {
    super('no_model', message);
  }
}

/** The model was trained on a different feature set than this code computes. */
export class ModelVersionMismatchError extends WinnowError {
  constructor(message: string) {
    super('model_mismatch', message);
  }
}

/** A labeled fixture page is malformed or has unlabeled blocks. */
export class FixtureError extends WinnowError {
  constructor(message: string) {
    super('bad_fixture', message);
  }
}

/** A write based on a stale view: someone else changed the record first (HTTP 409). */
export class ConflictError extends WinnowError {
  /** What the record holds now, for the client to show. */
  readonly current: unknown;
  constructor(message: string, current?: unknown) {
    super('conflict', message);
    this.name = 'ConflictError';
    this.current = current;
  }
}

/** Reason code of any error: a WinnowError's own, else `parse_failed` for unknown throws. */
export function errorCode(error: unknown): ErrorCode {
  return error instanceof WinnowError ? error.code : 'parse_failed';
}
