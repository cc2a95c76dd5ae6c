import { el } from './dom.js';

/** How often a running job is asked for its progress. */
export const POLL_INTERVAL_MS = 500;

/** A labelled progress bar with a line of text under it. */
export class ProgressBar {
  readonly element: HTMLElement;
  private readonly bar: HTMLProgressElement;
  private readonly text: HTMLElement;

  constructor(id: string, label: string) {
    this.bar = el('progress', { attrs: { id, max: 1, value: 0 } });
    this.text = el('p', { className: 'progress-text', attrs: { id: `${id}-text` } });
    this.bar.setAttribute('aria-describedby', `${id}-text`);
    this.element = el('div', { className: 'progress', attrs: { hidden: true } }, el('label', { text: label, attrs: { for: id } }), this.bar, this.text);
  }

  /** Show `done` of `total` (an unknown total shows a busy bar). */
  show(done: number, total: number, text: string): void {
    this.element.hidden = false;
    if (total > 0) {
      this.bar.max = total;
      this.bar.value = Math.min(done, total);
    } else this.bar.removeAttribute('value');
    this.text.textContent = text;
  }

  hide(): void {
    this.element.hidden = true;
  }
}

/**
 * Call `step` every interval until it resolves false or `stop()` is called. A failing step
 * stops the polling and goes to `onError`.
 */
export function poll(step: () => Promise<boolean>, onError: (error: unknown) => void, intervalMs = POLL_INTERVAL_MS): { stop(): void } {
  let stopped = false;
  let timer: number | undefined;
  const tick = async (): Promise<void> => {
    if (stopped) return;
    try {
      if (!(await step()) || stopped) return;
    } catch (error) {
      if (!stopped) onError(error);
      return;
    }
    timer = window.setTimeout(() => void tick(), intervalMs);
  };
  void tick();
  return {
    stop() {
      stopped = true;
      window.clearTimeout(timer);
    },
  };
}
