import { WinnowError, type ErrorCode } from '../../errors.js';
import { ApiError, type ApiErrorCode } from '../errors.js';

/** Library error codes that are about what the client asked for, and how they are answered. */
const CLIENT_ERRORS: Partial<Record<ErrorCode, ApiErrorCode>> = {
  not_found: 'WINNOW_ERR_NOT_FOUND',
  /** No current model yet (nothing trained in the models folder). */
  no_model: 'WINNOW_ERR_NOT_FOUND',
  bad_input: 'WINNOW_ERR_VALIDATION',
  /** A model trained on another feature set cannot be promoted. */
  model_mismatch: 'WINNOW_ERR_VALIDATION',
};

/**
 * Runs a call into the store or the review library and answers the typed errors they throw for
 * what the client asked (unknown article or model → 404, a request the library refuses → 400),
 * with the library's message. Conflicts (409) are mapped app-wide in errors.ts; anything else
 * stays a 500.
 */
export async function reviewCall<T>(call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const code = error instanceof WinnowError ? CLIENT_ERRORS[error.code] : undefined;
    if (code) throw new ApiError(code, (error as Error).message, { cause: error });
    throw error;
  }
}
