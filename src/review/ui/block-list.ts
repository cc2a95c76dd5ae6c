import { BlockCard, itemKey, type ReviewItem } from './block-card.js';
import { el } from './dom.js';
import type { ShortcutTarget } from './keyboard.js';
import type { Relabeler, ShownBlock } from './relabel.js';
import { announce } from './status.js';
import type { Label } from './types.js';

/** Most corrections the API takes in one request (a whole listing is one request). */
const MAX_CORRECTIONS = 500;

/**
 * Cards for a list of blocks, with one current block that `j`/`k` move and `e`/`p`/`b`/`l`
 * act on. The current card holds the list's one tab stop (roving tabindex), so Tab enters the
 * list where the reviewer left it.
 */
export class BlockList implements ShortcutTarget {
  readonly element: HTMLElement;
  private readonly cards: BlockCard[];
  private readonly byKey = new Map<string, BlockCard>();
  private current = -1;
  private readonly unsubscribe: () => void;
  private readonly skipped = new Set<BlockCard>();
  private readonly progressListeners = new Set<() => void>();
  private readonly selectListeners = new Set<(item: ReviewItem) => void>();

  constructor(
    items: ReviewItem[],
    private readonly relabeler: Relabeler,
    /** Every block of the item's listing as the page shows it (the item included). */
    private readonly listingOf: (item: ReviewItem) => Promise<ShownBlock[]>,
    label: string,
    /** The list holds every block of one page, so `a` may confirm the whole page. */
    private readonly wholePage = false,
  ) {
    const actions = {
      label: (card: BlockCard, to: Label) => {
        this.select(this.cards.indexOf(card), false);
        void this.relabelCard(card, to);
      },
      listing: (card: BlockCard) => {
        this.select(this.cards.indexOf(card), false);
        void this.relabelListing(card, card.item.label);
      },
    };
    this.cards = items.map((item) => new BlockCard(item, actions));
    for (const card of this.cards) this.byKey.set(itemKey(card.item.articleId, card.item.blockIndex), card);
    this.element = el('div', { className: 'block-list', attrs: { role: 'list', 'aria-label': label } }, ...this.cards.map((card) => wrap(card)));
    this.element.addEventListener('focusin', (event) => {
      const block = (event.target as Element).closest('.block');
      const index = this.cards.findIndex((card) => card.element === block);
      if (index >= 0 && index !== this.current) this.select(index, false);
    });
    this.unsubscribe = relabeler.subscribe((changes) => {
      let touched = false;
      for (const change of changes) {
        const card = this.byKey.get(itemKey(change.articleId, change.blockIndex));
        if (!card) continue;
        card.show(change.label, change.review, change.pending);
        if (!change.pending && change.review) this.unskip(card);
        touched = true;
      }
      if (touched) this.progressChanged();
    });
    if (this.cards.length > 0) this.cards[0].element.tabIndex = 0;
  }

  get size(): number {
    return this.cards.length;
  }

  move(delta: 1 | -1): void {
    if (this.cards.length === 0) return;
    const next = this.current < 0 ? (delta > 0 ? 0 : this.cards.length - 1) : Math.min(this.cards.length - 1, Math.max(0, this.current + delta));
    this.select(next, true);
  }

  label(to: Label): void {
    const card = this.currentCard();
    if (card) void this.relabelCard(card, to);
  }

  listing(): void {
    const card = this.currentCard();
    if (!card) return;
    const to = this.relabeler.lastLabel;
    if (to === null) {
      announce('Label a block first (e, p or b): l gives its whole listing that label.');
      return;
    }
    void this.relabelListing(card, to);
  }

  confirm(): void {
    const card = this.currentCard();
    if (card) void this.relabeler.confirm(card.item.articleId, [{ blockIndex: card.item.blockIndex, label: card.item.label }]);
  }

  confirmPage(): void {
    if (!this.wholePage) {
      announce('Open the article to confirm its whole page (a).');
      return;
    }
    const open = this.cards.filter((card) => !card.item.review);
    if (open.length === 0) {
      announce('Every block of this page has a decision already.');
      return;
    }
    const articleId = open[0].item.articleId;
    void this.relabeler.confirm(
      articleId,
      open.map((card) => ({ blockIndex: card.item.blockIndex, label: card.item.label })),
      `the page's ${open.length} undecided block${open.length === 1 ? '' : 's'}`,
    );
  }

  skip(): void {
    const card = this.currentCard();
    if (!card) return;
    if (!card.item.review) {
      this.skipped.add(card);
      card.element.classList.add('skipped');
      this.progressChanged();
    }
    this.move(1);
  }

  /** Make the card of `blockIndex` current and focus it (a click on the rendered page). */
  selectBlock(blockIndex: number): void {
    const index = this.cards.findIndex((card) => card.item.blockIndex === blockIndex);
    if (index >= 0) this.select(index, true);
  }

  /** Follow which block is current; returns the unsubscribe function. */
  onSelect(listener: (item: ReviewItem) => void): () => void {
    this.selectListeners.add(listener);
    return () => this.selectListeners.delete(listener);
  }

  /** How far the session got through this list: blocks with a decision, skipped, and all. */
  progress(): { decided: number; skipped: number; total: number } {
    return { decided: this.cards.filter((card) => card.item.review).length, skipped: this.skipped.size, total: this.cards.length };
  }

  /** Follow the progress (a decision stored, a skip); returns the unsubscribe function. */
  onProgress(listener: () => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  private unskip(card: BlockCard): void {
    if (this.skipped.delete(card)) card.element.classList.remove('skipped');
  }

  private progressChanged(): void {
    for (const listener of this.progressListeners) listener();
  }

  /** Stop following label changes (the view is going away). */
  dispose(): void {
    this.unsubscribe();
  }

  private currentCard(): BlockCard | undefined {
    const card = this.cards[this.current];
    if (!card) announce('Choose a block first: j moves to the next one.');
    return card;
  }

  private select(index: number, focus: boolean): void {
    const previous = this.cards[this.current];
    const card = this.cards[index];
    if (!card) return;
    if (previous && previous !== card) {
      previous.element.classList.remove('current');
      previous.element.tabIndex = -1;
    }
    for (const other of this.cards) if (other !== card && other.element.tabIndex === 0) other.element.tabIndex = -1;
    this.current = index;
    for (const listener of this.selectListeners) listener(card.item);
    card.element.classList.add('current');
    card.element.tabIndex = 0;
    if (focus) {
      card.element.focus({ preventScroll: true });
      card.element.scrollIntoView({ block: 'nearest' });
    }
  }

  private relabelCard(card: BlockCard, to: Label): Promise<boolean> {
    const { articleId, blockIndex, label } = card.item;
    return this.relabeler.apply(articleId, [{ blockIndex, label }], to);
  }

  private async relabelListing(card: BlockCard, to: Label): Promise<void> {
    if (card.item.listingKey === null || card.item.listingSize < 2) {
      announce('This block is not part of a listing.');
      return;
    }
    let members: ShownBlock[];
    try {
      members = await this.listingOf(card.item);
    } catch (error) {
      announce(`Could not read the listing: ${(error as Error).message}`, 'error');
      return;
    }
    if (members.length > MAX_CORRECTIONS) {
      announce(`This listing has ${members.length} blocks; one request takes at most ${MAX_CORRECTIONS}, so label its blocks one by one.`, 'error');
      return;
    }
    await this.relabeler.apply(card.item.articleId, members, to, `the listing of ${members.length} blocks`);
  }
}

function wrap(card: BlockCard): HTMLElement {
  return el('div', { className: 'block-item', attrs: { role: 'listitem' } }, card.element);
}
