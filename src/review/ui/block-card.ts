import { button, el, percent, when } from './dom.js';
import { articleHref } from './router.js';
import { LABELS, type BlockReview, type Label, type QueueReason, type ReviewBlock, type RankedCandidate, type SmoothingRule } from './types.js';

/** A block under review, from the queue or from an article: what a card shows. */
export interface ReviewItem {
  articleId: string;
  blockIndex: number;
  tag: string;
  text: string;
  /** Effective label (latest decision, else the model's). */
  label: Label;
  modelLabel: Label;
  confidence: number;
  readability: number;
  topFeatures: string[];
  why: string[];
  listingSize: number;
  listingKey: string | null;
  rawLabel: Label | null;
  smoothedBy: SmoothingRule | null;
  reasons: QueueReason[];
  review: BlockReview | null;
  /** Where the block comes from, shown in the queue (an article view already says it). */
  source?: { title: string | null; site: string | null };
}

export function itemFromBlock(articleId: string, block: ReviewBlock): ReviewItem {
  return {
    articleId,
    blockIndex: block.index,
    tag: block.tag,
    text: block.text,
    label: block.label,
    modelLabel: block.modelLabel,
    confidence: block.confidence,
    readability: block.readability,
    topFeatures: block.topFeatures,
    why: block.why ?? [],
    listingSize: block.listingSize,
    listingKey: block.listingKey,
    rawLabel: block.rawLabel ?? null,
    smoothedBy: block.smoothedBy ?? null,
    reasons: block.reasons,
    review: block.review,
  };
}

export function itemFromCandidate(candidate: RankedCandidate): ReviewItem {
  return {
    articleId: candidate.articleId,
    blockIndex: candidate.blockIndex,
    tag: candidate.tag,
    text: candidate.text,
    label: candidate.label,
    modelLabel: candidate.label,
    confidence: candidate.confidence,
    readability: candidate.readability,
    topFeatures: candidate.topFeatures,
    why: candidate.why ?? [],
    listingSize: candidate.listingSize,
    listingKey: candidate.listingKey,
    rawLabel: candidate.rawLabel,
    smoothedBy: candidate.smoothedBy,
    reasons: candidate.reasons,
    review: null,
    source: { title: candidate.title, site: candidate.site },
  };
}

/** Key of a block across articles. */
export function itemKey(articleId: string, blockIndex: number): string {
  return `${articleId}#${blockIndex}`;
}

const REASON_TEXT: Record<QueueReason, string> = {
  low_confidence: 'low confidence',
  readability_disagrees: 'Readability disagrees',
  smoothed: 'changed by smoothing',
  fallback: 'no block was article: best-guess main region',
  listing_disagrees: 'differs from the rest of its listing',
  new_site: 'site the model never trained on',
  audit: 'random check of a confident label',
};

const SHORTCUT: Record<Label, string> = { editorial: 'e', promo: 'p', boilerplate: 'b' };

/** What a card's buttons do; the list owning the card decides. */
export interface CardActions {
  label(card: BlockCard, label: Label): void;
  listing(card: BlockCard): void;
}

/**
 * One block: its text (as text, never as HTML), label colour, confidence, the features behind
 * the label, why it is worth a look, and buttons to relabel it or its whole listing.
 */
export class BlockCard {
  readonly element: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly reviewLine: HTMLElement;
  private readonly confidence: HTMLElement;
  private readonly labelButtons = new Map<Label, HTMLButtonElement>();

  constructor(
    readonly item: ReviewItem,
    actions: CardActions,
  ) {
    const heading = `Block ${item.blockIndex + 1}`;
    this.badge = el('span', { className: 'badge' });
    this.confidence = el('span', { className: 'confidence', attrs: { title: 'how sure the model was of its label' } });
    this.reviewLine = el('p', { className: 'block-review' });
    const buttons = LABELS.map((label) => {
      const labelButton = button(capitalize(label), () => actions.label(this, label), {
        className: `label-button label-${label}`,
        attrs: { 'aria-keyshortcuts': SHORTCUT[label], title: `Label ${label} (${SHORTCUT[label]})` },
      });
      this.labelButtons.set(label, labelButton);
      return labelButton;
    });
    const listingButton =
      item.listingKey !== null && item.listingSize > 1
        ? button(`Same for whole listing (${item.listingSize})`, () => actions.listing(this), {
            className: 'listing-button',
            attrs: { 'aria-keyshortcuts': 'l', title: 'Give every block of this listing the last label used (l)' },
          })
        : null;

    this.element = el(
      'article',
      { className: 'block', attrs: { tabindex: -1, 'aria-label': heading, 'data-block': item.blockIndex, 'data-article': item.articleId } },
      el(
        'header',
        { className: 'block-head' },
        this.badge,
        this.confidence,
        el('span', { className: 'tag', text: `${heading} · <${item.tag}>` }),
        ...item.reasons.map((reason) => el('span', { className: `reason reason-${reason}`, text: REASON_TEXT[reason] })),
      ),
      item.source ? sourceLine(item) : null,
      el('p', { className: 'block-text', text: item.text }),
      el(
        'div',
        { className: 'block-facts' },
        fact('Readability kept', percent(item.readability)),
        item.smoothedBy ? fact('Smoothing', `${item.smoothedBy} rule changed ${item.rawLabel ?? '?'} → ${item.modelLabel}`) : null,
        item.listingSize > 1 ? fact('Listing', `${item.listingSize} alike`) : null,
      ),
      item.why.length > 0
        ? el(
            'div',
            { className: 'why' },
            el('span', { className: 'why-title', text: `Why ${item.modelLabel}: ` }),
            el('ul', { className: 'why-list', attrs: { 'aria-label': `why the model said ${item.modelLabel}` } }, ...item.why.map((sentence) => el('li', { text: sentence }))),
          )
        : null,
      // The raw tokens are for developers: kept, folded away.
      item.topFeatures.length > 0
        ? el(
            'details',
            { className: 'raw-features' },
            el('summary', { text: 'Model features' }),
            el(
              'ul',
              { className: 'features', attrs: { 'aria-label': `features behind ${item.modelLabel}` } },
              ...item.topFeatures.map((feature) => el('li', { text: feature })),
            ),
          )
        : null,
      this.reviewLine,
      el('div', { className: 'block-actions', attrs: { role: 'group', 'aria-label': `Label ${heading.toLowerCase()}` } }, ...buttons, listingButton),
    );
    this.show(item.label, item.review, false);
  }

  /** Show a label (optimistic while `pending`) and the stored decision behind it. */
  show(label: Label, review: BlockReview | null | undefined, pending: boolean): void {
    this.item.label = label;
    if (review !== undefined) this.item.review = review;
    for (const name of LABELS) this.element.classList.toggle(`label-${name}`, name === label);
    this.element.classList.toggle('pending', pending);
    this.element.dataset.label = label;
    this.badge.textContent = label;
    this.badge.className = `badge label-${label}`;
    // The confidence is the model's, in its own label: say so once a reviewer disagrees.
    this.confidence.textContent =
      label === this.item.modelLabel ? `${percent(this.item.confidence)} sure` : `model: ${this.item.modelLabel}, ${percent(this.item.confidence)} sure`;
    for (const [name, labelButton] of this.labelButtons) labelButton.setAttribute('aria-pressed', String(name === label));
    const stored = this.item.review;
    if (pending) this.reviewLine.textContent = 'Saving…';
    else if (stored) {
      const changed = stored.label !== this.item.modelLabel ? ` (model said ${this.item.modelLabel})` : ' (confirmed)';
      this.reviewLine.textContent = `Reviewed by ${stored.reviewer}, ${when(stored.createdAt)}${changed}`;
    } else this.reviewLine.textContent = 'Not reviewed yet';
    this.element.classList.toggle('reviewed', Boolean(stored) && !pending);
  }
}

function sourceLine(item: ReviewItem): HTMLElement {
  const title = item.source?.title?.trim() || 'Untitled page';
  return el(
    'p',
    { className: 'block-source' },
    el('a', { text: title, attrs: { href: articleHref(item.articleId) } }),
    item.source?.site ? el('span', { className: 'site', text: ` · ${item.source.site}` }) : null,
  );
}

function fact(name: string, value: string): HTMLElement {
  return el('span', { className: 'fact' }, el('span', { className: 'fact-name', text: `${name}: ` }), value);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
