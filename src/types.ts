/** The three things a block of a page can be. */
export const LABELS = ['editorial', 'promo', 'boilerplate'] as const;
export type Label = (typeof LABELS)[number];

export function isLabel(value: unknown): value is Label {
  return typeof value === 'string' && (LABELS as readonly string[]).includes(value);
}

/** Structural rule that changed a block's label after classification (see classify/smooth.ts). */
export type SmoothingRule = 'listing' | 'context' | 'readability';

/** Which DOM implementation parses the page. */
export type EngineName = 'jsdom' | 'linkedom';

/** One block of a page as the pipeline labels it. */
export interface LabeledBlock {
  /** Position in document order, from 0. */
  index: number;
  /** Stable DOM path of the block's element (CSS-selector-like, nth-of-type indices). */
  path: string;
  /** Tag of the block's element, or `#run` for loose inline text inside a container. */
  tag: string;
  /** Visible text, whitespace collapsed (table cells separated by tabs, rows by newlines). */
  text: string;
  /** Sanitized HTML of the block (allow-listed tags and attributes only). */
  html: string;
  label: Label;
  /** Posterior probability of `label`, 0..1. */
  confidence: number;
  /** Posterior of every label, before structural smoothing. */
  scores: Record<Label, number>;
  /** Label the classifier gave before structural smoothing, when smoothing changed it. */
  rawLabel?: Label;
  /** Which smoothing rule changed the label, if any. */
  smoothedBy?: SmoothingRule;
  /** Fraction of the block's text that Readability kept (0..1). */
  readability: number;
  /** Number of structurally identical siblings in the block's listing (1 = not in one). */
  listingSize: number;
  /** Key shared by all blocks of one listing, or null. */
  listingKey: string | null;
  /** The features that pushed hardest toward `label`. */
  topFeatures: string[];
}

/** What moderation returns for one page. */
export interface Article {
  url: string | null;
  title: string | null;
  byline: string | null;
  publishedTime: string | null;
  siteName: string | null;
  lang: string | null;
  excerpt: string | null;
  /** Editorial blocks' text in document order, one block per line. */
  text: string;
  /** Editorial blocks as sanitized HTML, lists and tables kept. */
  html: string;
  markdown: string;
  blocks: LabeledBlock[];
  /** Version of the model that labeled the blocks. */
  model: string;
  /** DOM engine that parsed the page. */
  engine: EngineName;
  /** Word counts per label, for quick listing and review. */
  counts: Record<Label, number>;
  /**
   * No block was labeled editorial on a page with text, so the article is the page's likeliest
   * main region (see extract/fallback.ts), at low confidence: a reviewer should look at it first.
   */
  fallback: boolean;
}
