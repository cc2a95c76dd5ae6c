import type { Label } from './types.js';

/** What the shortcuts act on: the block list of the view on screen. */
export interface ShortcutTarget {
  move(delta: 1 | -1): void;
  label(label: Label): void;
  listing(): void;
  /** Confirm the current block's label as it stands (a decision, like a relabel). */
  confirm(): void;
  /** Confirm every block of the page not decided yet ("this whole page is right"). */
  confirmPage(): void;
  /** Leave the current block undecided and go to the next one. */
  skip(): void;
}

export interface Shortcut {
  keys: string;
  does: string;
}

/** Every shortcut, as the page lists them (footer and the `?` panel). */
export const SHORTCUTS: Shortcut[] = [
  { keys: 'j / k', does: 'next / previous block' },
  { keys: 'e', does: 'label editorial' },
  { keys: 'p', does: 'label promo' },
  { keys: 'b', does: 'label boilerplate' },
  { keys: 'l', does: 'whole listing gets the last label' },
  { keys: 'c', does: 'confirm this block\'s label' },
  { keys: 's', does: 'skip: leave this block undecided, go to the next' },
  { keys: 'a', does: 'the whole page is right: confirm every undecided block (article view)' },
  { keys: 'u', does: 'undo the last decision (the block is unreviewed again)' },
  { keys: '?', does: 'show or hide this list' },
];

const LABEL_KEYS: Record<string, Label> = { e: 'editorial', p: 'promo', b: 'boilerplate' };

export interface ShortcutHandlers {
  /** The view's block list, if it has one. */
  target(): ShortcutTarget | null;
  undo(): void;
  toggleHelp(): void;
  /** Escape: close whatever panel is open. */
  dismiss(): void;
}

/**
 * Single-key shortcuts on the whole document. Ignored while typing (inputs, selects, text
 * areas, editable content) and with Ctrl, Alt or Meta held, so browser shortcuts still work.
 */
export function bindShortcuts(handlers: ShortcutHandlers): void {
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || event.isComposing) return;
    if (isTyping(event.target)) return;
    if (event.key === 'Escape') {
      handlers.dismiss();
      return;
    }
    if (event.key === '?') {
      handlers.toggleHelp();
      event.preventDefault();
      return;
    }
    if (event.shiftKey) return;
    const target = handlers.target();
    const key = event.key.toLowerCase();
    if (key === 'u') handlers.undo();
    else if (!target) return;
    else if (key === 'j') target.move(1);
    else if (key === 'k') target.move(-1);
    else if (key === 'l') target.listing();
    else if (key === 'c') target.confirm();
    else if (key === 'a') target.confirmPage();
    else if (key === 's') target.skip();
    else if (key in LABEL_KEYS) target.label(LABEL_KEYS[key]);
    else return;
    event.preventDefault();
  });
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) return !['button', 'submit', 'reset', 'checkbox', 'radio'].includes(target.type);
  return false;
}
