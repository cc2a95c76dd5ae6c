import type { Label } from '../types.js';

/** An element around a block that the article HTML must rebuild (its list, its quote). */
export interface Wrapper {
  tag: string;
  path: string;
}

/** A link inside a block, as features read it. */
export interface BlockLink {
  /** The `href`, made absolute against the page URL when one is known. */
  href: string;
  /** `rel` tokens, lowercased, space-separated (`sponsored nofollow`). */
  rel: string;
  /** The link's visible text, whitespace collapsed. */
  text: string;
  /** The link leaves the page's site: another host than the page's (`www.` ignored); false when either is unknown. */
  external: boolean;
}

/**
 * A block as segmentation cuts it: the smallest block-level unit of a page that holds text,
 * with what features need to know about it. Plain data, no DOM references, except `textNodes`
 * which lets Readability's output be mapped back to blocks and is dropped after that.
 */
export interface Block {
  index: number;
  /** Selector-like path of the block's element; loose text inside a container is `<container>::run(k)`. */
  path: string;
  /** Lowercase tag of the block element, or `#run` for loose inline text. */
  tag: string;
  text: string;
  /** Sanitized HTML: allow-listed tags and attributes only. */
  html: string;
  wordCount: number;
  /** Words inside links. */
  linkWordCount: number;
  linkCount: number;
  /** The block's links, in document order. */
  links: BlockLink[];
  /** Text of the block's buttons (`<button>`, `role="button"`, submit inputs). */
  buttons: string[];
  imageCount: number;
  /**
   * An image came after the previous block and before this one, with no text between: the
   * place of a caption (`<figure>`, or a bare `<div>` under an `<img>`).
   */
  afterImage: boolean;
  /**
   * A short block (a label, a button) whose container also holds an element with no text: the
   * frame of an ad slot ("Publicidad" over an empty `div-gpt-ad`), an image, an embed. Computed
   * for blocks of at most a few words; false for longer ones.
   */
  besideEmpty: boolean;
  /** Tags of ancestors, nearest first, up to `<body>`. */
  ancestorTags: string[];
  /** Class and id tokens of the block's element and its nearest ancestors (lowercase words). */
  classTokens: string[];
  /** Cues from class/id of the block and its ancestors: `promo.near`, `boilerplate.far`, … */
  classCues: string[];
  /** Lists and quotes around the block, outermost first. */
  wrappers: Wrapper[];
  /** Structurally identical siblings of the block's repeating unit (1 = not repeated). */
  listingSize: number;
  /** Identifies the listing (parent path + item signature); null when not repeated. */
  listingKey: string | null;
  /**
   * Like `listingKey`, for repeated units of any length (forum posts, answers, comments); null
   * when the block's unit has no identical sibling.
   */
  repeatKey: string | null;
  /** Tag of the repeating unit when in a listing. */
  listingUnit: string | null;
  /** Heading level 1-6, or 0. */
  headingLevel: number;
  /** Text of the heading or short label that opened the block's section ("Sponsored", "Related"), if any. */
  sectionHeading: string | null;
  /** Label from a fixture's `data-winnow-label` (nearest labeled ancestor-or-self), if any. */
  gold: Label | null;
  /** The DOM text nodes of the block, for mapping Readability's output back. */
  textNodes: Text[];
}
