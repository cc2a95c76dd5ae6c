import { el } from './dom.js';
import type { LabelChange } from './relabel.js';
import type { Label } from './types.js';

/** Stylesheet of the framed page: block outlines by label, from this origin (the CSP allows no inline style). */
const FRAME_STYLESHEET = '/review/assets/page-frame.css';

/**
 * The stored page, rendered: the server's inert copy (no scripts, handlers, forms, frames,
 * stylesheets or URLs) in an `<iframe sandbox="allow-same-origin">` without `allow-scripts`, so
 * nothing in it can run; as an `srcdoc` document it also inherits this page's CSP, so it can
 * fetch nothing but this origin's stylesheet. Blocks are outlined in their label's colour;
 * clicking one selects its card, and the current card's block is scrolled into view.
 */
export class PageFrame {
  readonly element: HTMLIFrameElement;
  private byIndex = new Map<number, HTMLElement>();
  private current: HTMLElement | null = null;

  constructor(
    html: string,
    private readonly labelOf: (blockIndex: number) => Label | undefined,
    private readonly onPick: (blockIndex: number) => void,
  ) {
    this.element = el('iframe', {
      className: 'page-frame',
      attrs: { sandbox: 'allow-same-origin', title: 'The stored page, inert: nothing in it runs or loads', referrerpolicy: 'no-referrer' },
    });
    this.element.addEventListener('load', () => this.wire());
    this.element.srcdoc = `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="${FRAME_STYLESHEET}"></head><body>${html}</body></html>`;
  }

  /** Recolour blocks whose label changed. */
  update(changes: LabelChange[]): void {
    for (const change of changes) {
      const element = this.byIndex.get(change.blockIndex);
      if (element) paint(element, change.label);
    }
  }

  /** Outline the current block and bring it into view. */
  show(blockIndex: number): void {
    this.current?.classList.remove('winnow-current');
    const element = this.byIndex.get(blockIndex) ?? null;
    this.current = element;
    if (!element) return;
    element.classList.add('winnow-current');
    element.scrollIntoView({ block: 'center' });
  }

  private wire(): void {
    const document = this.element.contentDocument;
    if (!document) return;
    this.byIndex = new Map();
    for (const element of Array.from(document.querySelectorAll<HTMLElement>('[data-winnow-block]'))) {
      const index = Number(element.dataset.winnowBlock);
      if (!Number.isInteger(index)) continue;
      this.byIndex.set(index, element);
      const label = this.labelOf(index);
      if (label) paint(element, label);
    }
    // One listener on the frame's document: the innermost marked element is the block clicked.
    document.addEventListener('click', (event) => {
      const target = (event.target as Element | null)?.closest?.('[data-winnow-block]') as HTMLElement | null;
      event.preventDefault();
      if (target) this.onPick(Number(target.dataset.winnowBlock));
    });
  }
}

function paint(element: HTMLElement, label: Label): void {
  element.classList.remove('winnow-editorial', 'winnow-promo', 'winnow-boilerplate');
  element.classList.add(`winnow-${label}`);
}
