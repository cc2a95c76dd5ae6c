import { type ErrorCode, WinnowError } from '../errors.js';

/** Machine-readable reason of a failed fetch, stored as the page's failure reason. */
export type FetchErrorCode =
  | 'blocked_address'
  | 'bad_url'
  | 'timeout'
  | 'too_large'
  | 'too_many_redirects'
  | 'unsupported_type'
  | 'http_error'
  | 'robots_disallowed'
  | 'network'
  | 'empty';

// TypeScript will not let a subclass narrow `code` to values the base union lacks. Until
// src/errors.ts lists the fetch codes this resolves to the base type; afterwards to FetchErrorCode.
type NarrowCode = [FetchErrorCode] extends [ErrorCode] ? FetchErrorCode : ErrorCode;

/** Any failure of fetchPage; `url` is the hop that failed (after redirects, when there were any). */
export class FetchError extends WinnowError {
  declare readonly code: NarrowCode;
  /** The URL being fetched when the error happened. */
  readonly url: string | undefined;

  constructor(code: FetchErrorCode, message: string, options?: { retryable?: boolean; cause?: unknown; url?: string }) {
    super(code as ErrorCode, message, options);
    this.url = options?.url;
  }
}

/** The URL or one of its redirects points at a private, loopback, link-local or reserved address, or a port other than 80/443. Never retried. */
export class BlockedAddressError extends FetchError {
  constructor(message: string, url?: string) {
    super('blocked_address', message, { url });
  }
}

/** Not an absolute http(s) URL. Never retried. */
export class BadUrlError extends FetchError {
  constructor(message: string, url?: string) {
    super('bad_url', message, { url });
  }
}

/** Connecting or the whole exchange took longer than allowed. Retryable. */
export class FetchTimeoutError extends FetchError {
  constructor(message: string, url?: string) {
    super('timeout', message, { retryable: true, url });
  }
}

/** The body (decoded) is over the byte limit; it is aborted, never truncated. Never retried. */
export class ResponseTooLargeError extends FetchError {
  constructor(message: string, url?: string) {
    super('too_large', message, { url });
  }
}

/** More redirects than allowed, or a redirect loop. Never retried. */
export class TooManyRedirectsError extends FetchError {
  constructor(message: string, url?: string) {
    super('too_many_redirects', message, { url });
  }
}

/** Not an HTML/XML content type, or a content encoding that is not accepted. Never retried. */
export class UnsupportedTypeError extends FetchError {
  constructor(message: string, url?: string) {
    super('unsupported_type', message, { url });
  }
}

/** The server answered with an error status. Retryable for 408, 429 and 5xx. */
export class HttpStatusError extends FetchError {
  /** HTTP status code of the response. */
  readonly status: number;
  /** How long the server asked us to wait (Retry-After), when it said so. */
  readonly retryAfterMs: number | undefined;
  /** The Retry-After header as sent (set when `retryAfterMs` is). */
  readonly retryAfter: string | undefined;

  constructor(status: number, options: { retryable: boolean; retryAfterMs?: number; retryAfter?: string; url?: string }) {
    super('http_error', `HTTP ${status}`, { retryable: options.retryable, url: options.url });
    this.status = status;
    this.retryAfterMs = options.retryAfterMs;
    this.retryAfter = options.retryAfterMs === undefined ? undefined : options.retryAfter;
  }
}

/** robots.txt of the site disallows the URL for our user agent. Never retried. */
export class RobotsDisallowedError extends FetchError {
  constructor(url: string) {
    super('robots_disallowed', `robots.txt disallows ${url}`, { url });
  }
}

/** The connection failed or broke (DNS, refused, reset, TLS, corrupt encoding). */
export class NetworkError extends FetchError {
  constructor(message: string, options: { retryable: boolean; cause?: unknown; url?: string }) {
    super('network', message, options);
  }
}

/** 204, or a response with no body bytes. Never retried. */
export class EmptyResponseError extends FetchError {
  constructor(message: string, url?: string) {
    super('empty', message, { url });
  }
}

/**
 * A `beforeHop` hook put a hop off: its host is busy right now. Not a failure of the page: the
 * caller tries the whole fetch again after `waitMs`. fetchPage passes it through unchanged.
 */
export class HopDeferredError extends Error {
  constructor(
    /** The hop that was put off. */
    readonly url: string,
    /** Milliseconds until trying again makes sense. */
    readonly waitMs: number,
    /** URLs that answered with a redirect before this hop (a later try may start at `url`). */
    readonly redirects: readonly string[] = [],
  ) {
    super(`${url}: host busy, try again in ${waitMs} ms`);
    this.name = this.constructor.name;
  }
}

/** Certificate problems will not go away on a retry, unlike resets and refusals. */
const TLS_VERIFY_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A socket, TLS or parser error as a NetworkError (FetchErrors pass through). */
export function toFetchError(error: unknown, url: string): FetchError {
  if (error instanceof FetchError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const message = `${code || 'network error'}: ${(error as Error).message ?? String(error)}`;
  return new NetworkError(message, { retryable: !TLS_VERIFY_CODES.has(code), cause: error, url });
}
