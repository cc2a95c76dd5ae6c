import { HttpStatusError } from './errors.js';

/** Statuses answered by following the Location header. */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** 408, 429 and 5xx may succeed later; other error statuses will not. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * The error for a status that is neither success nor a followed redirect, or undefined for 2xx.
 * 3xx without a usable Location counts as a non-retryable error.
 */
export function statusError(status: number, retryAfter: string | undefined, url: string): HttpStatusError | undefined {
  if (status >= 200 && status <= 299) return undefined;
  const retryable = isRetryableStatus(status);
  return new HttpStatusError(status, { retryable, retryAfterMs: retryable ? parseRetryAfter(retryAfter) : undefined, retryAfter, url });
}

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date (past dates give 0). Undefined when absent or malformed. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Date.parse takes '-5' or '1.5' for dates; an HTTP-date always names its month.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
