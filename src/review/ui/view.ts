import type { ReviewApi } from './api.js';
import type { ShortcutTarget } from './keyboard.js';
import type { Relabeler } from './relabel.js';

/** What every view may use. */
export interface ViewContext {
  api: ReviewApi;
  relabeler: Relabeler;
  /** The reviewer's name, as corrections and model actions are stored with it. */
  reviewer(): string;
  /** Fetch and show the reviewed counts again. */
  refreshStats(): void;
}

/** A rendered view. */
export interface View {
  /** Document title part, e.g. "Queue". */
  title: string;
  element: HTMLElement;
  /** The block list the shortcuts act on, if the view has one. */
  shortcuts?: ShortcutTarget | null;
  /** Called when another view replaces this one (stop polling, unsubscribe). */
  dispose?(): void;
}
