import { FetchTimeoutError } from './errors.js';

/**
 * A time budget merged with an outer signal. `signal.reason` is a FetchTimeoutError with
 * `message` when the budget ran out, else the outer signal's own abort reason.
 */
export class Deadline {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly outer: AbortSignal | undefined;
  private readonly onOuterAbort = (): void => this.controller.abort(this.outer?.reason);

  constructor(ms: number, outer: AbortSignal | undefined, message: string) {
    this.signal = this.controller.signal;
    this.outer = outer;
    this.timer = setTimeout(() => this.controller.abort(new FetchTimeoutError(message)), ms);
    if (outer?.aborted) this.onOuterAbort();
    else outer?.addEventListener('abort', this.onOuterAbort, { once: true });
  }

  /** Throws the abort reason once the deadline has passed or the caller aborted. */
  throwIfOver(): void {
    if (this.signal.aborted) throw this.signal.reason;
  }

  /** Settles with `promise`, or rejects with the abort reason as soon as the deadline passes. */
  race<T>(promise: Promise<T>): Promise<T> {
    return raceSignal(promise, this.signal);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onOuterAbort);
  }
}

/** Settles with `promise`, or rejects with `signal.reason` when the signal aborts first. */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
