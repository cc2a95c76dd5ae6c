import { isLabel, type Label } from '../types.js';
import type { Block, Wrapper } from './block.js';
import { classCues } from '../features/cues.js';
import { sanitizeNodes } from './sanitize.js';
import { isHidden } from './visibility.js';
import { INLINE_TAGS, LISTING_UNIT_TAGS, SKIPPED_TAGS, TABLE_PART_TAGS, WRAPPER_TAGS } from './tags.js';

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;

/** Attribute that carries a fixture's labels; read for training, never a feature. */
export const LABEL_ATTRIBUTE = 'data-winnow-label';

/** A table is kept whole only while its cells stay short: longer cells mean a layout table. */
const MAX_DATA_TABLE_CELL_WORDS = 80;
/** How many ancestor levels contribute class/id tokens. */
const CLASS_TOKEN_LEVELS = 8;
/** A repeated unit with more words than this is prose (an article in wrapper divs), not a listing item. */
const MAX_LISTING_ITEM_WORDS = 40;
/** Class cues this many levels up or closer count as the block's own container. */
const NEAR_LEVELS = 2;
/** How far up from a block to look for the repeating unit of a listing. */
const LISTING_SEARCH_LEVELS = 5;
/** Longest short line that still reads as a section label ("Around the web", "Partner offer"). */
const MAX_LABEL_WORDS = 4;
/** How many wrapper levels a heading's section can climb. */
const MAX_HEADING_LIFT = 4;

export interface SegmentOptions {
  /** Page URL, to make links in block HTML absolute. */
  url?: string;
  /** Read `data-winnow-label` into `Block.gold` (fixtures and review exports). */
  readLabels?: boolean;
}

/** An open element on the walk's path from `<body>` down. */
interface Frame {
  element: Element;
  tag: string;
  path: string;
  classTokens: string[];
  /** Cue names (`promo`, `boilerplate`) the element's class or id carries. */
  classCues: string[];
  gold: Label | null;
  /** Blocks emitted inside this element so far. */
  blockCount: number;
  /** Text of the heading that opened this element's current section, if any. */
  heading: string | null;
}

/**
 * Cut a page into blocks: the smallest block-level units that hold text. A block-level element
 * with no block-level element inside it is one block; loose inline text beside block children
 * forms `#run` blocks (split at double `<br>`); a table whose cells hold only short inline text
 * is one block. Hidden elements and non-content elements are skipped. Reads the DOM, never
 * changes it.
 */
export function segment(document: Document, options: SegmentOptions = {}): Block[] {
  const body = document.body ?? document.documentElement;
  if (!body) return [];
  return new Segmenter(options).run(body);
}

class Segmenter {
  private readonly blocks: Block[] = [];
  private readonly stack: Frame[] = [];
  private readonly blockInside = new Map<Element, boolean>();
  private readonly siblingSignatures = new Map<Element, Map<string, number>>();
  private readonly signatures = new Map<Element, string>();
  private readonly wordCounts = new Map<Element, number>();

  constructor(private readonly options: SegmentOptions) {}

  run(body: Element): Block[] {
    this.visit(body, 'body');
    return this.blocks;
  }

  private visit(element: Element, path: string): void {
    const tag = element.tagName.toLowerCase();
    if (SKIPPED_TAGS.has(tag) || isHidden(element)) return;
    const parent = this.stack[this.stack.length - 1];
    this.stack.push({
      element,
      tag,
      path,
      classTokens: classTokensOf(element),
      classCues: classCues(`${element.getAttribute('class') ?? ''} ${element.getAttribute('id') ?? ''}`),
      gold: this.labelOf(element, parent?.gold ?? null),
      blockCount: 0,
      heading: null,
    });
    if (tag === 'table' && this.isDataTable(element)) {
      this.emit([element], element, tag, path);
    } else if (!this.hasBlockInside(element) && !hasDoubleBreak(element)) {
      this.emit([element], element, tag, path);
    } else {
      this.visitChildren(element, path);
    }
    this.stack.pop();
  }

  /** Children in order: inline runs become `#run` blocks, block-level children are visited. */
  private visitChildren(element: Element, path: string): void {
    const counts = new Map<string, number>();
    let run: Node[] = [];
    let runIndex = 0;
    let lastWasBreak = false;
    const flush = () => {
      if (run.length > 0) this.emit(run, element, '#run', `${path}::run(${runIndex++})`);
      run = [];
    };
    for (const child of Array.from(element.childNodes)) {
      if (child.nodeType === TEXT_NODE) {
        if ((child as Text).data.trim()) lastWasBreak = false;
        run.push(child);
        continue;
      }
      if (child.nodeType !== ELEMENT_NODE) continue;
      const childElement = child as Element;
      const childTag = childElement.tagName.toLowerCase();
      const nth = (counts.get(childTag) ?? 0) + 1;
      counts.set(childTag, nth);
      if (INLINE_TAGS.has(childTag) && !this.hasBlockInside(childElement)) {
        if (childTag === 'br' && lastWasBreak) {
          flush();
        } else {
          run.push(child);
        }
        lastWasBreak = childTag === 'br';
        continue;
      }
      flush();
      lastWasBreak = false;
      this.visit(childElement, `${path} > ${cssTagName(childTag)}:nth-of-type(${nth})`);
    }
    flush();
  }

  private emit(nodes: Node[], element: Element, tag: string, path: string): void {
    const content = collectContent(nodes, tag === 'table' || tag === 'pre');
    if (!content.text) return;
    // A run's own container frame is the top of the stack; an element block's frame is too.
    const frames = this.stack;
    const own = frames[frames.length - 1];
    const unitLevel = tag === '#run' ? frames.length - 2 : frames.length - 1;
    const listing = this.findListing(unitLevel);
    // Posts of a thread, answers, comments: repeated units of any length.
    const repeat = this.findListing(unitLevel, Infinity);
    this.blocks.push({
      index: this.blocks.length,
      path,
      tag,
      text: content.text,
      html: this.blockHtml(nodes, tag),
      wordCount: content.words,
      linkWordCount: content.linkWords,
      linkCount: content.links,
      imageCount: content.images,
      ancestorTags: ancestorTags(frames, tag === '#run'),
      classTokens: nearestClassTokens(frames),
      classCues: nearestClassCues(frames),
      wrappers: wrappersOf(frames, tag === '#run'),
      listingSize: listing.size,
      listingKey: listing.key,
      listingUnit: listing.unit,
      repeatKey: repeat.size >= 2 ? repeat.key : null,
      headingLevel: /^h[1-6]$/.test(tag) ? Number(tag[1]) : 0,
      sectionHeading: this.sectionHeading(frames.length - (tag === '#run' ? 1 : 2)),
      gold: own.gold,
      textNodes: content.textNodes,
    });
    for (const frame of frames) frame.blockCount++;
    if (isHeadingLike(tag, content) && listing.size < 2) this.openSection(content.text, frames.length - (tag === '#run' ? 1 : 2));
  }

  /**
   * A heading governs the blocks after it in its container. When the container holds nothing but
   * the heading (a rail's title in its own wrapper), the heading governs the next container up.
   */
  private openSection(text: string, from: number): void {
    for (let level = from; level >= 0 && level > from - MAX_HEADING_LIFT; level--) {
      const frame = this.stack[level];
      frame.heading = text;
      if (!holdsOnly(frame.element, text)) break;
    }
  }

  /** The heading of the nearest enclosing section, looking up from the given frame. */
  private sectionHeading(from: number): string | null {
    for (let level = from; level >= 0; level--) {
      const heading = this.stack[level].heading;
      if (heading !== null) return heading;
    }
    return null;
  }

  private blockHtml(nodes: Node[], tag: string): string {
    const html = sanitizeNodes(nodes, this.options.url);
    return tag === '#run' ? `<p>${html}</p>` : html;
  }

  private labelOf(element: Element, inherited: Label | null): Label | null {
    if (!this.options.readLabels) return null;
    const value = element.getAttribute(LABEL_ATTRIBUTE);
    return isLabel(value) ? value : inherited;
  }

  /** True when some descendant is a block-level element (anything not inline and not skipped). */
  private hasBlockInside(element: Element): boolean {
    const known = this.blockInside.get(element);
    if (known !== undefined) return known;
    let found = false;
    for (const child of Array.from(element.children)) {
      const tag = child.tagName.toLowerCase();
      if (SKIPPED_TAGS.has(tag)) continue;
      if (!INLINE_TAGS.has(tag) || this.hasBlockInside(child)) {
        found = true;
        break;
      }
    }
    this.blockInside.set(element, found);
    return found;
  }

  /** A table of short inline cells (data), as opposed to a table used for page layout. */
  private isDataTable(table: Element): boolean {
    if (table.querySelector('table')) return false;
    // One column is a stack of boxes (old layouts, text-ad columns), not data.
    const widest = Math.max(0, ...Array.from(table.querySelectorAll('tr'), (row) => row.querySelectorAll('td, th').length));
    if (widest < 2) return false;
    for (const cell of Array.from(table.querySelectorAll('td, th'))) {
      for (const inner of Array.from(cell.querySelectorAll('*'))) {
        const tag = inner.tagName.toLowerCase();
        if (!INLINE_TAGS.has(tag) && !TABLE_PART_TAGS.has(tag) && tag !== 'p' && !SKIPPED_TAGS.has(tag)) return false;
      }
      if (countWords(cell.textContent ?? '') > MAX_DATA_TABLE_CELL_WORDS) return false;
    }
    return true;
  }

  /**
   * The repeating unit around a block: among the block's element and its nearest ancestors, the
   * one with the most structurally identical siblings (same tag, classes and child tags).
   */
  private findListing(from: number, maxItemWords = MAX_LISTING_ITEM_WORDS): { size: number; key: string | null; unit: string | null } {
    let best = { size: 1, key: null as string | null, unit: null as string | null };
    for (let level = from; level > 0 && level > from - LISTING_SEARCH_LEVELS; level--) {
      const frame = this.stack[level];
      const parent = this.stack[level - 1];
      if (!LISTING_UNIT_TAGS.has(frame.tag)) continue;
      // Prose is not a listing: paragraphs in identical wrappers are an article, cards are short.
      if (this.wordsIn(frame.element) > maxItemWords) continue;
      const signature = this.signatureOf(frame.element);
      const size = this.siblingCounts(parent.element).get(signature) ?? 1;
      if (size > best.size) best = { size, key: `${parent.path}|${signature}`, unit: frame.tag };
    }
    return best;
  }

  private wordsIn(element: Element): number {
    let words = this.wordCounts.get(element);
    if (words === undefined) {
      words = countWords(element.textContent ?? '');
      this.wordCounts.set(element, words);
    }
    return words;
  }

  private siblingCounts(parent: Element): Map<string, number> {
    let counts = this.siblingSignatures.get(parent);
    if (!counts) {
      counts = new Map();
      for (const child of Array.from(parent.children)) {
        const signature = this.signatureOf(child);
        counts.set(signature, (counts.get(signature) ?? 0) + 1);
      }
      this.siblingSignatures.set(parent, counts);
    }
    return counts;
  }

  /** Tag, classes (digits dropped, sorted) and the first distinct child tags. */
  private signatureOf(element: Element): string {
    let signature = this.signatures.get(element);
    if (signature === undefined) {
      const classes = (element.getAttribute('class') ?? '')
        .toLowerCase()
        .replace(/[0-9]+/g, '')
        .split(/\s+/)
        .filter(Boolean)
        .sort()
        .join('.');
      const childTags = [...new Set(Array.from(element.children, (child) => child.tagName.toLowerCase()))]
        .slice(0, 4)
        .join(',');
      signature = `${element.tagName.toLowerCase()}.${classes}[${childTags}]`;
      this.signatures.set(element, signature);
    }
    return signature;
  }
}

interface Content {
  text: string;
  words: number;
  linkWords: number;
  links: number;
  images: number;
  textNodes: Text[];
}

/**
 * Visible text of the nodes with link and image counts. Whitespace collapses to single spaces;
 * `<br>` and table rows become newlines, table cells tabs; `<pre>` keeps its whitespace.
 */
function collectContent(nodes: Node[], keepLayout: boolean): Content {
  const parts: string[] = [];
  const textNodes: Text[] = [];
  const counts = { linkChars: 0, links: 0, images: 0 };
  const walk = (node: Node, inLink: boolean, pre: boolean): void => {
    if (node.nodeType === TEXT_NODE) {
      const data = (node as Text).data;
      if (!data) return;
      textNodes.push(node as Text);
      parts.push(pre ? data : data.replace(/\s+/g, ' '));
      if (inLink) counts.linkChars += data.trim().length;
      return;
    }
    if (node.nodeType !== ELEMENT_NODE) return;
    const element = node as Element;
    const tag = element.tagName.toLowerCase();
    if (SKIPPED_TAGS.has(tag) || isHidden(element)) return;
    if (tag === 'br') return void parts.push('\n');
    if (tag === 'img') counts.images++;
    if (tag === 'a') counts.links++;
    const isCell = tag === 'td' || tag === 'th';
    if (isCell && keepLayout) parts.push('\t');
    for (const child of Array.from(element.childNodes)) walk(child, inLink || tag === 'a', pre || tag === 'pre');
    if ((tag === 'tr' || tag === 'caption') && keepLayout) parts.push('\n');
  };
  for (const node of nodes) walk(node, false, false);
  const text = tidy(parts.join(''));
  const words = countWords(text);
  const linkWords = words === 0 ? 0 : Math.round((counts.linkChars / Math.max(1, text.length)) * words);
  return { text, words, linkWords: Math.min(words, linkWords), links: counts.links, images: counts.images, textNodes };
}

/** True when the element's text is just `text` (cheap: only small elements are measured). */
function holdsOnly(element: Element, text: string): boolean {
  if (element.childElementCount > 3) return false;
  const own = (element.textContent ?? '').replace(/\s+/g, ' ').trim();
  return own.length <= text.length + 2;
}

/** Tag name usable in a selector: `o:p` (Word markup) must be written `o\\:p`. */
function cssTagName(tag: string): string {
  return tag.replace(/[^a-z0-9-]/g, (char) => `\\${char}`);
}

/** A heading element, or a short label-like line ("Sponsored", "Featured deals") with no sentence end. */
function isHeadingLike(tag: string, content: Content): boolean {
  if (/^h[1-6]$/.test(tag)) return true;
  return content.words > 0 && content.words <= MAX_LABEL_WORDS && content.links === 0 && !/[.!?,;]$/.test(content.text);
}

/** Trim each line, drop empty lines, collapse runs of spaces and tabs. */
function tidy(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/[ \u00a0]+/g, ' ').replace(/ ?\t ?/g, '\t').replace(/\t+/g, '\t').replace(/^[\s\t]+|[\s\t]+$/g, ''))
    .filter(Boolean)
    .join('\n');
}

export function countWords(text: string): number {
  const matches = text.match(/[\p{L}\p{N}]+/gu);
  return matches ? matches.length : 0;
}

/** Two `<br>` in a row (whitespace between allowed): old pages separate paragraphs that way. */
function hasDoubleBreak(element: Element): boolean {
  let lastWasBreak = false;
  for (const child of Array.from(element.childNodes)) {
    if (child.nodeType === TEXT_NODE) {
      if ((child as Text).data.trim()) lastWasBreak = false;
      continue;
    }
    if (child.nodeType !== ELEMENT_NODE) continue;
    const isBreak = (child as Element).tagName.toLowerCase() === 'br';
    if (isBreak && lastWasBreak) return true;
    lastWasBreak = isBreak;
  }
  return false;
}

/** Words from class and id: split on non-letters and camelCase, lowercased, 3 to 24 letters. */
export function classTokensOf(element: Element): string[] {
  const raw = `${element.getAttribute('class') ?? ''} ${element.getAttribute('id') ?? ''}`;
  if (!raw.trim()) return [];
  const tokens = raw
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((token) => token.length >= 3 && token.length <= 24);
  return [...new Set(tokens)];
}

function ancestorTags(frames: Frame[], isRun: boolean): string[] {
  const tags: string[] = [];
  for (let i = frames.length - (isRun ? 1 : 2); i >= 0; i--) tags.push(frames[i].tag);
  return tags;
}

function nearestClassTokens(frames: Frame[]): string[] {
  const tokens = new Set<string>();
  for (let i = frames.length - 1; i >= 0 && i >= frames.length - CLASS_TOKEN_LEVELS; i--) {
    for (const token of frames[i].classTokens) tokens.add(token);
  }
  return [...tokens];
}

/** Class cues of the block's element and ancestors, as `cue.near` (up to 2 levels up) or `cue.far`. */
function nearestClassCues(frames: Frame[]): string[] {
  const cues = new Set<string>();
  for (let i = frames.length - 1, distance = 0; i >= 0 && distance < CLASS_TOKEN_LEVELS; i--, distance++) {
    for (const cue of frames[i].classCues) cues.add(`${cue}.${distance <= NEAR_LEVELS ? 'near' : 'far'}`);
  }
  return [...cues];
}

function wrappersOf(frames: Frame[], isRun: boolean): Wrapper[] {
  const wrappers: Wrapper[] = [];
  const last = frames.length - (isRun ? 1 : 2);
  for (let i = 0; i <= last; i++) {
    if (WRAPPER_TAGS.has(frames[i].tag)) wrappers.push({ tag: frames[i].tag, path: frames[i].path });
  }
  return wrappers;
}
