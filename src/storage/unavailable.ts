import { WinnowError } from '../errors.js';

/**
 * "The store cannot be reached right now" as opposed to "this page is bad": the queue stages wait
 * for the store to come back instead of spending a page's attempts on it (workers/outage.ts).
 */

/** Message prefixes of the errors {@link storeUnavailable} builds; they also mark a job's failedReason. */
export const STORE_UNAVAILABLE_PREFIXES = ['database unavailable: ', 'database timeout: '] as const;

/**
 * SQLite result codes (better-sqlite3's `SqliteError.code`, extended codes included by prefix) that
 * say the database file is busy, locked, full or cannot be read or written: the disk or another
 * writer, not the page.
 */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|PROTOCOL)/;

/** SQLite's own messages for those codes (a job's failedReason keeps the message, not the code). */
const SQLITE_MESSAGES = /^(database is locked|database table is locked|database or disk is full|disk I\/O error|unable to open database file|attempt to write a readonly database)/;

/**
 * A retryable WinnowError for a store that cannot be reached (`network`) or did not answer in
 * time (`timeout`); the message starts with one of {@link STORE_UNAVAILABLE_PREFIXES}.
 */
export function storeUnavailable(code: 'network' | 'timeout', detail: string, cause: unknown): WinnowError {
  const prefix = code === 'network' ? STORE_UNAVAILABLE_PREFIXES[0] : STORE_UNAVAILABLE_PREFIXES[1];
  return new WinnowError(code, `${prefix}${detail}`, { retryable: true, cause });
}

/** True when `error` says the store is unavailable (see {@link storeUnavailable} and the SQLite codes above). */
export function isStoreUnavailable(error: unknown): boolean {
  if (error instanceof WinnowError) return error.retryable && isStoreUnavailableMessage(error.message);
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && error.name === 'SqliteError' && typeof code === 'string' && SQLITE_UNAVAILABLE.test(code);
}

/** True when a message (e.g. a failed job's reason) is one of a store that was unavailable. */
export function isStoreUnavailableMessage(message: string): boolean {
  return STORE_UNAVAILABLE_PREFIXES.some((prefix) => message.startsWith(prefix)) || SQLITE_MESSAGES.test(message);
}
