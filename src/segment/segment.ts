import { isLabel, type Label } from '../types.js';
import type { Block, BlockLink, Wrapper } from './block.js';
import { readableClassNames } from './class-names.js';
import { classCues } from '../features/cues.js';
import { ELEMENT_NODE, TEXT_NODE, tagOf } from '../dom/nodes.js';
import { sanitizeNodes } from './sanitize.js';
import { isHidden } from './visibility.js';
import { isDataTable } from './data-table.js';
import { INLINE_TAGS, LISTING_UNIT_TAGS, SKIPPED_TAGS, WRAPPER_TAGS } from './tags.js';
import { countWords, hasLongerTextThan, hasMoreWordsThan } from './word-count.js';

export { countWords } from './word-count.js';

/** Attribute that carries a fixture's labels; read for training, never a feature. */
export const LABEL_ATTRIBUTE = 'data-winnow-label';

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

/**
 * An open element on the walk's path from `<body>` down. What blocks read from a frame and its
 * ancestors is computed on first use and kept while the frame is open: the blocks of one
 * container share it.
 */
interface Frame {
  element: Element;
  tag: string;
  path: string;
  /** Position on the stack (0: `<body>`). */
  depth: number;
  gold: Label | null;
  /** Text of the heading that opened this element's current section, if any. */
  heading: string | null;
  /** Class/id words and cues of the element. */
  classes: ClassInfo | null;
  /** Tags from this element up to `<body>`, nearest first. */
  tagsUp: string[] | null;
  /** Lists and quotes from `<body>` down to this element, outermost first. */
  wrappersDown: Wrapper[] | null;
  /** What a child block reads of this element and its ancestors: distinct class words (see `nearestClassTokens`). */
  tokensBelow: string[] | null;
  /** The same for labeled class cues (see `nearestClassCues`). */
  cuesBelow: string[] | null;
  /** A child's class words and cues joined with this frame's, by the child's class attribute (cards repeat it). */
  childClassLists: Map<ClassInfo, { tokens: string[]; cues: string[] }> | null;
  /** Keys of the listings among this element's children, by item signature: one string per listing. */
  listingKeys: Map<string, string> | null;
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

/** A block's repeating unit: how many identical siblings it has, and which listing it is. */
interface Listing {
  size: number;
  key: string | null;
  unit: string | null;
}

const NOT_REPEATED: Listing = { size: 1, key: null, unit: null };

/** Class/id words and cues of one `class id` attribute pair. */
interface ClassInfo {
  tokens: string[];
  cues: string[];
}

class Segmenter {
  private readonly blocks: Block[] = [];
  private readonly stack: Frame[] = [];
  private readonly blockInside = new Map<Element, boolean>();
  private readonly siblingSignatures = new Map<Element, Map<string, number>>();
  private readonly signatures = new Map<Element, string>();
  private readonly prose = new Map<Element, boolean>();
  // Per page: class attributes repeat across a page's cards and rows.
  private readonly classInfos = new Map<string, ClassInfo>();
  private readonly classSignatures = new Map<string, string>();
  /** An image-only element was passed since the last block (see `Block.afterImage`). */
  private imageBefore = false;

  /** Host of the page URL without `www.`, to tell links that leave the site; null when unknown. */
  private readonly pageHost: string | null;

  constructor(private readonly options: SegmentOptions) {
    this.pageHost = options.url ? hostOf(options.url) : null;
  }

  run(body: Element): Block[] {
    this.visit(body, tagOf(body), 'body');
    return this.blocks;
  }

  private visit(element: Element, tag: string, path: string): void {
    if (SKIPPED_TAGS.has(tag) || isHidden(element)) return;
    const parent = this.stack[this.stack.length - 1];
    this.stack.push({
      element,
      tag,
      path,
      depth: this.stack.length,
      gold: this.labelOf(element, parent?.gold ?? null),
      heading: null,
      classes: null,
      tagsUp: null,
      wrappersDown: null,
      tokensBelow: null,
      cuesBelow: null,
      childClassLists: null,
      listingKeys: null,
    });
    if (tag === 'table' && isDataTable(element)) {
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
    for (let child = element.firstChild; child !== null; child = child.nextSibling) {
      if (child.nodeType === TEXT_NODE) {
        if ((child as Text).data.trim()) lastWasBreak = false;
        run.push(child);
        continue;
      }
      if (child.nodeType !== ELEMENT_NODE) continue;
      const childElement = child as Element;
      const childTag = tagOf(childElement);
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
      this.visit(childElement, childTag, `${path} > ${cssTagName(childTag)}:nth-of-type(${nth})`);
    }
    flush();
  }

  private emit(nodes: Node[], element: Element, tag: string, path: string): void {
    const content = collectContent(nodes, tag === 'table' || tag === 'pre', this.options.url ?? null, this.pageHost);
    if (!content.text) {
      if (content.images > 0) this.imageBefore = true;
      return;
    }
    const afterImage = this.imageBefore;
    this.imageBefore = false;
    // A run's own container frame is the top of the stack; an element block's frame is too.
    const frames = this.stack;
    const own = frames[frames.length - 1];
    const unitLevel = tag === '#run' ? frames.length - 2 : frames.length - 1;
    const { listing, repeat } = this.findListings(unitLevel);
    this.blocks.push({
      index: this.blocks.length,
      path,
      tag,
      text: content.text,
      html: this.blockHtml(nodes, tag),
      wordCount: content.words,
      linkWordCount: content.linkWords,
      linkCount: content.links,
      links: content.linkList,
      buttons: content.buttons,
      imageCount: content.images,
      afterImage,
      besideEmpty: content.words <= MAX_LABEL_WORDS && (tag === '#run' ? holdsEmptyElement(element, null) : nextToEmptyElement(element)),
      ancestorTags: this.ancestorTags(tag === '#run'),
      classTokens: this.nearestClassTokens(),
      classCues: this.nearestClassCues(),
      wrappers: this.wrappers(tag === '#run'),
      listingSize: listing.size,
      listingKey: listing.key,
      listingUnit: listing.unit,
      repeatKey: repeat.size >= 2 ? repeat.key : null,
      headingLevel: /^h[1-6]$/.test(tag) ? Number(tag[1]) : 0,
      sectionHeading: this.sectionHeading(frames.length - (tag === '#run' ? 1 : 2)),
      gold: own.gold,
      textNodes: content.textNodes,
    });
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
    for (let child = element.firstChild; child !== null; child = child.nextSibling) {
      if (child.nodeType !== ELEMENT_NODE) continue;
      const tag = tagOf(child as Element);
      if (SKIPPED_TAGS.has(tag)) continue;
      if (!INLINE_TAGS.has(tag) || this.hasBlockInside(child as Element)) {
        found = true;
        break;
      }
    }
    this.blockInside.set(element, found);
    return found;
  }

  /**
   * The repeating unit around a block: among the block's element and its nearest ancestors, the
   * one with the most structurally identical siblings (same tag, classes and child tags).
   * `listing` leaves out units over MAX_LISTING_ITEM_WORDS words (prose in identical wrappers is
   * an article, cards are short); `repeat` takes units of any length (posts of a thread,
   * answers, comments).
   */
  private findListings(from: number): { listing: Listing; repeat: Listing } {
    let listing = NOT_REPEATED;
    let repeat = NOT_REPEATED;
    for (let level = from; level > 0 && level > from - LISTING_SEARCH_LEVELS; level--) {
      const frame = this.stack[level];
      if (!LISTING_UNIT_TAGS.has(frame.tag)) continue;
      const parent = this.stack[level - 1];
      const signature = this.signatureOf(frame.element);
      const size = this.siblingCounts(parent.element).get(signature) ?? 1;
      if (size > repeat.size) repeat = { size, key: listingKey(parent, signature), unit: frame.tag };
      // Only a unit that would win is measured for length.
      if (size > listing.size && !this.isProse(frame.element)) listing = { size, key: listingKey(parent, signature), unit: frame.tag };
    }
    return { listing, repeat };
  }

  private isProse(element: Element): boolean {
    let prose = this.prose.get(element);
    if (prose === undefined) {
      prose = hasMoreWordsThan(element, MAX_LISTING_ITEM_WORDS);
      this.prose.set(element, prose);
    }
    return prose;
  }

  private siblingCounts(parent: Element): Map<string, number> {
    let counts = this.siblingSignatures.get(parent);
    if (!counts) {
      counts = new Map();
      for (let child = parent.firstChild; child !== null; child = child.nextSibling) {
        if (child.nodeType !== ELEMENT_NODE) continue;
        const signature = this.signatureOf(child as Element);
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
      const childTags: string[] = [];
      for (let child = element.firstChild; child !== null && childTags.length < 4; child = child.nextSibling) {
        if (child.nodeType !== ELEMENT_NODE) continue;
        const tag = tagOf(child as Element);
        if (!childTags.includes(tag)) childTags.push(tag);
      }
      signature = `${tagOf(element)}.${this.classSignature(element.getAttribute('class') ?? '')}[${childTags.join(',')}]`;
      this.signatures.set(element, signature);
    }
    return signature;
  }

  /** Class names lowercased, digits dropped, sorted: `card card-3` and `card-7 card` match. */
  private classSignature(className: string): string {
    let signature = this.classSignatures.get(className);
    if (signature === undefined) {
      signature = className
        .toLowerCase()
        .replace(/[0-9]+/g, '')
        .split(/\s+/)
        .filter(Boolean)
        .sort()
        .join('.');
      this.classSignatures.set(className, signature);
    }
    return signature;
  }

  /** Tags of the block's ancestors (a run's container counts), nearest first, up to `<body>`. */
  private ancestorTags(isRun: boolean): string[] {
    const from = this.stack[this.stack.length - (isRun ? 1 : 2)];
    if (!from) return [];
    if (from.tagsUp === null) {
      const tags: string[] = [];
      for (let i = from.depth; i >= 0; i--) tags.push(this.stack[i].tag);
      from.tagsUp = tags;
    }
    return from.tagsUp;
  }

  /** Lists and quotes around the block, outermost first. */
  private wrappers(isRun: boolean): Wrapper[] {
    const from = this.stack[this.stack.length - (isRun ? 1 : 2)];
    return from ? this.wrappersDown(from) : [];
  }

  private wrappersDown(frame: Frame): Wrapper[] {
    if (frame.wrappersDown === null) {
      const above = frame.depth > 0 ? this.wrappersDown(this.stack[frame.depth - 1]) : [];
      frame.wrappersDown = WRAPPER_TAGS.has(frame.tag) ? [...above, { tag: frame.tag, path: frame.path }] : above;
    }
    return frame.wrappersDown;
  }

  /**
   * Class words of the block's element (or a run's container) and its ancestors, CLASS_TOKEN_LEVELS
   * levels in all, nearest first, each once.
   */
  private nearestClassTokens(): string[] {
    const top = this.stack[this.stack.length - 1];
    const own = this.classesOf(top).tokens;
    const above = top.depth > 0 ? this.tokensBelow(this.stack[top.depth - 1]) : [];
    if (own.length === 0) return above;
    return this.joinedWithParent(top).tokens;
  }

  /** The frame's own class words and cues followed by what its parent passes down, each once. */
  private joinedWithParent(frame: Frame): { tokens: string[]; cues: string[] } {
    const own = this.classesOf(frame);
    const parent = frame.depth > 0 ? this.stack[frame.depth - 1] : null;
    const lists = parent ? (parent.childClassLists ??= new Map()) : null;
    let joined = lists?.get(own);
    if (joined === undefined) {
      const tokens = new Set(own.tokens);
      const cues = new Set(own.cues.map((cue) => `${cue}.near`));
      if (parent) {
        for (const token of this.tokensBelow(parent)) tokens.add(token);
        for (const cue of this.cuesBelow(parent)) cues.add(cue);
      }
      joined = { tokens: [...tokens], cues: [...cues] };
      lists?.set(own, joined);
    }
    return joined;
  }

  /** Class words of this frame and the ancestors a child block still reaches (one level fewer). */
  private tokensBelow(frame: Frame): string[] {
    if (frame.tokensBelow === null) {
      const tokens = new Set<string>();
      for (let i = frame.depth; i >= 0 && i > frame.depth - (CLASS_TOKEN_LEVELS - 1); i--) {
        for (const token of this.classesOf(this.stack[i]).tokens) tokens.add(token);
      }
      frame.tokensBelow = [...tokens];
    }
    return frame.tokensBelow;
  }

  /** Class cues of the block's element and ancestors, as `cue.near` (up to 2 levels up) or `cue.far`. */
  private nearestClassCues(): string[] {
    const top = this.stack[this.stack.length - 1];
    const own = this.classesOf(top).cues;
    const above = top.depth > 0 ? this.cuesBelow(this.stack[top.depth - 1]) : [];
    if (own.length === 0) return above;
    return this.joinedWithParent(top).cues;
  }

  /** Labeled class cues of this frame and its ancestors, for a child block (this frame one level up). */
  private cuesBelow(frame: Frame): string[] {
    if (frame.cuesBelow === null) {
      const cues = new Set<string>();
      for (let i = frame.depth, distance = 1; i >= 0 && distance < CLASS_TOKEN_LEVELS; i--, distance++) {
        for (const cue of this.classesOf(this.stack[i]).cues) cues.add(`${cue}.${distance <= NEAR_LEVELS ? 'near' : 'far'}`);
      }
      frame.cuesBelow = [...cues];
    }
    return frame.cuesBelow;
  }

  private classesOf(frame: Frame): ClassInfo {
    if (frame.classes === null) frame.classes = this.classInfoOf(frame.element);
    return frame.classes;
  }

  private classInfoOf(element: Element): ClassInfo {
    const raw = `${element.getAttribute('class') ?? ''} ${element.getAttribute('id') ?? ''}`;
    let info = this.classInfos.get(raw);
    if (info === undefined) {
      // Hashed and utility names (css-1q2w3e, sc-bdVaJa, px-4) carry no word and no cue.
      const readable = readableClassNames(raw);
      info = { tokens: classTokensFrom(readable), cues: classCues(readable) };
      this.classInfos.set(raw, info);
    }
    return info;
  }
}

/**
 * `<parent path>|<signature>`, the same string for every block of one listing: blocks are
 * grouped by it later, and one string is hashed once.
 */
function listingKey(parent: Frame, signature: string): string {
  const keys = (parent.listingKeys ??= new Map());
  let key = keys.get(signature);
  if (key === undefined) {
    key = `${parent.path}|${signature}`;
    keys.set(signature, key);
  }
  return key;
}

interface Content {
  text: string;
  words: number;
  linkWords: number;
  links: number;
  images: number;
  linkList: BlockLink[];
  buttons: string[];
  textNodes: Text[];
}

/** Most links and buttons a block records: a link farm's hundredth link adds nothing. */
const MAX_BLOCK_LINKS = 40;

/** Host of a URL, lowercased, without `www.`; null when the URL does not parse. */
function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname.toLowerCase().replace(/^www\./, '') || null;
  } catch {
    return null;
  }
}

/** The link as features read it: absolute href, rel tokens, text, whether it leaves the site. */
function linkOf(element: Element, text: string, pageUrl: string | null, pageHost: string | null): BlockLink {
  const raw = (element.getAttribute('href') ?? '').trim();
  let href = raw;
  let host: string | null = null;
  if (raw && !/^(?:javascript|mailto|tel|data):/i.test(raw)) {
    try {
      const url = pageUrl ? new URL(raw, pageUrl) : new URL(raw);
      href = url.href;
      host = url.hostname.toLowerCase().replace(/^www\./, '') || null;
    } catch {
      // A relative href without a page URL stays as written: on the page's own site.
    }
  }
  const rel = (element.getAttribute('rel') ?? '').toLowerCase().trim().split(/\s+/).filter(Boolean).join(' ');
  const external = host !== null && pageHost !== null && host !== pageHost && !host.endsWith(`.${pageHost}`) && !pageHost.endsWith(`.${host}`);
  return { href, rel, text: tidyLine(text), external };
}

/** A button: `<button>`, an element with `role="button"`, or a submit/button input. */
function isButton(element: Element, tag: string): boolean {
  if (tag === 'button') return true;
  if (tag === 'input') return /^(?:submit|button)$/i.test(element.getAttribute('type') ?? '');
  return (element.getAttribute('role') ?? '').toLowerCase() === 'button';
}

/**
 * Visible text of the nodes with link and image counts. Whitespace collapses to single spaces;
 * `<br>` and table rows become newlines, table cells tabs; `<pre>` keeps its whitespace.
 */
function collectContent(nodes: Node[], keepLayout: boolean, pageUrl: string | null = null, pageHost: string | null = null): Content {
  const parts: string[] = [];
  const textNodes: Text[] = [];
  const counts = { linkChars: 0, links: 0, images: 0 };
  const linkList: BlockLink[] = [];
  const buttons: string[] = [];
  const walk = (node: Node, inLink: boolean, pre: boolean): void => {
    if (node.nodeType === TEXT_NODE) {
      const data = (node as Text).data;
      if (!data) return;
      textNodes.push(node as Text);
      parts.push(pre || !UNTIDY_SPACE.test(data) ? data : data.replace(/\s+/g, ' '));
      if (inLink) counts.linkChars += data.trim().length;
      return;
    }
    if (node.nodeType !== ELEMENT_NODE) return;
    const element = node as Element;
    const tag = tagOf(element);
    if (SKIPPED_TAGS.has(tag) || isHidden(element)) return;
    if (tag === 'br') return void parts.push('\n');
    if (tag === 'img') counts.images++;
    if (tag === 'a') counts.links++;
    const isCell = tag === 'td' || tag === 'th';
    if (isCell && keepLayout) parts.push('\t');
    const childInLink = inLink || tag === 'a';
    const childPre = pre || tag === 'pre';
    const start = parts.length;
    for (let child = element.firstChild; child !== null; child = child.nextSibling) walk(child, childInLink, childPre);
    if (tag === 'a' && linkList.length < MAX_BLOCK_LINKS) linkList.push(linkOf(element, parts.slice(start).join(''), pageUrl, pageHost));
    else if (buttons.length < MAX_BLOCK_LINKS && isButton(element, tag)) {
      const text = tag === 'input' ? (element.getAttribute('value') ?? '') : parts.slice(start).join('');
      if (text.trim()) buttons.push(tidyLine(text));
    }
    if ((tag === 'tr' || tag === 'caption') && keepLayout) parts.push('\n');
  };
  for (const node of nodes) walk(node, false, false);
  const text = tidy(parts.join(''));
  const words = countWords(text);
  const linkWords = words === 0 ? 0 : Math.round((counts.linkChars / Math.max(1, text.length)) * words);
  return { text, words, linkWords: Math.min(words, linkWords), links: counts.links, images: counts.images, linkList, buttons, textNodes };
}

/** How many children of a label's container are looked at for an empty one. */
const MAX_EMPTY_CHECKS = 8;
/** Tags that hold no text by nature and say nothing of a slot: line breaks and rules. */
const NEUTRAL_EMPTY_TAGS = new Set(['br', 'hr', 'wbr']);

/**
 * True when `container` has a child element other than `own` with no visible text: an ad slot's
 * frame, an image, an embed beside a label. Looks at the first MAX_EMPTY_CHECKS children.
 */
function holdsEmptyElement(container: Element | null, own: Element | null): boolean {
  if (container === null) return false;
  let checked = 0;
  for (let child = container.firstChild; child !== null && checked < MAX_EMPTY_CHECKS; child = child.nextSibling) {
    if (child.nodeType !== ELEMENT_NODE || child === own) continue;
    checked++;
    const tag = tagOf(child as Element);
    if (NEUTRAL_EMPTY_TAGS.has(tag)) continue;
    if (!hasText(child)) return true;
  }
  return false;
}

/** Element siblings looked at after a label (or after its wrapper) for an empty frame. */
const MAX_SIBLING_CHECKS = 2;

/**
 * True when one of the next element siblings of a label's element, or of its wrapper when the
 * label is the wrapper's only element, is an element with no text: the slot a label names.
 */
function nextToEmptyElement(element: Element): boolean {
  let current: Element | null = element;
  for (let level = 0; level < 2 && current !== null; level++) {
    let checked = 0;
    for (let sibling = current.nextElementSibling; sibling !== null && checked < MAX_SIBLING_CHECKS; sibling = sibling.nextElementSibling) {
      checked++;
      if (NEUTRAL_EMPTY_TAGS.has(tagOf(sibling))) continue;
      if (!hasText(sibling)) return true;
      break;
    }
    const parent: Element | null = current.parentElement;
    if (parent === null || parent.firstElementChild !== current || parent.lastElementChild !== current) break;
    current = parent;
  }
  return false;
}

/** True when some text node under the node holds more than whitespace (stops at the first). */
function hasText(node: Node): boolean {
  for (let child = node.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === TEXT_NODE) {
      if ((child as Text).data.trim()) return true;
    } else if (child.nodeType === ELEMENT_NODE && hasText(child)) {
      return true;
    }
  }
  return false;
}

/** Whitespace that collapsing (`\s+` to one space) would change: a run of two, or any but a space. */
const UNTIDY_SPACE = /\s\s|[^\S ]/;

/** True when the element's text is just `text` (cheap: only small elements are measured). */
function holdsOnly(element: Element, text: string): boolean {
  let childElements = 0;
  for (let child = element.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === ELEMENT_NODE && ++childElements > 3) return false;
  }
  return !hasLongerTextThan(element, text.length + 2);
}

const PLAIN_TAG_NAME = /^[a-z0-9-]*$/;

/** Tag name usable in a selector: `o:p` (Word markup) must be written `o\\:p`. */
function cssTagName(tag: string): string {
  if (PLAIN_TAG_NAME.test(tag)) return tag;
  return tag.replace(/[^a-z0-9-]/g, (char) => `\\${char}`);
}

/** A heading element, or a short label-like line ("Sponsored", "Featured deals") with no sentence end. */
function isHeadingLike(tag: string, content: Content): boolean {
  if (/^h[1-6]$/.test(tag)) return true;
  return content.words > 0 && content.words <= MAX_LABEL_WORDS && content.links === 0 && !/[.!?,;]$/.test(content.text);
}

/** Trim each line, drop empty lines, collapse runs of spaces and tabs. */
function tidy(text: string): string {
  // Most blocks are one line (no <br>, not a table).
  if (!text.includes('\n')) return tidyLine(text);
  return text.split('\n').map(tidyLine).filter(Boolean).join('\n');
}

/** Spaces and no-break spaces collapsed, spaces around tabs and repeated tabs dropped, trimmed. */
function tidyLine(line: string): string {
  let tidied = line;
  if (tidied.includes('  ') || tidied.includes('\u00a0')) tidied = tidied.replace(/[ \u00a0]+/g, ' ');
  if (tidied.includes('\t')) tidied = tidied.replace(/ ?\t ?/g, '\t').replace(/\t+/g, '\t');
  // `trim` removes what `\s` matches (tabs included).
  return tidied.trim();
}

/** Two `<br>` in a row (whitespace between allowed): old pages separate paragraphs that way. */
function hasDoubleBreak(element: Element): boolean {
  let lastWasBreak = false;
  for (let child = element.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === TEXT_NODE) {
      if ((child as Text).data.trim()) lastWasBreak = false;
      continue;
    }
    if (child.nodeType !== ELEMENT_NODE) continue;
    const isBreak = tagOf(child as Element) === 'br';
    if (isBreak && lastWasBreak) return true;
    lastWasBreak = isBreak;
  }
  return false;
}

/** Words from class and id: split on non-letters and camelCase, lowercased, 3 to 24 letters. */
export function classTokensOf(element: Element): string[] {
  return classTokensFrom(`${element.getAttribute('class') ?? ''} ${element.getAttribute('id') ?? ''}`);
}

function classTokensFrom(raw: string): string[] {
  if (!raw.trim()) return [];
  const tokens = raw
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((token) => token.length >= 3 && token.length <= 24);
  return [...new Set(tokens)];
}

