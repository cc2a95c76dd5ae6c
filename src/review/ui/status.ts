/**
 * One status line for the whole page, in an `aria-live` region so screen readers announce
 * every change. Errors stay until the next message; others fade after a while.
 */

const FADE_MS = 8000;

let timer: number | undefined;

export type StatusKind = 'info' | 'ok' | 'error';

export function announce(message: string, kind: StatusKind = 'info'): void {
  const region = document.getElementById('status');
  if (!region) return;
  region.textContent = message;
  region.dataset.kind = kind;
  window.clearTimeout(timer);
  if (kind !== 'error') {
    timer = window.setTimeout(() => {
      if (region.textContent === message) region.textContent = '';
    }, FADE_MS);
  }
}

/** The message of anything thrown, for the status line. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Empty the status line: a message belongs to the view that made it, not to the next one. */
export function clearStatus(): void {
  const region = document.getElementById('status');
  if (!region) return;
  window.clearTimeout(timer);
  region.textContent = '';
  delete region.dataset.kind;
}
