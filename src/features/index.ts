import type { Block } from '../segment/block.js';
import {
  LINK_DENSITY_BUCKETS,
  LISTING_BUCKETS,
  MAX_WORD_REPEAT,
  PATTERNS,
  POSITION_BUCKETS,
  READABILITY_WEIGHT,
  CUE_WEIGHT,
  CLASS_CUE_WEIGHT,
  HEADING_CUE_WEIGHT,
  READABILITY_KEPT,
  SEMANTIC_ANCESTORS,
  STRUCTURE_WEIGHT,
  TEXT_WEIGHT,
  TEXT_WORD_BUDGET,
  CLASS_WEIGHT,
  HEADING_WEIGHT,
  LISTING_CUE_SHARE,
  SHORT_BLOCK_WORDS,
  WORD_BUCKETS,
} from './constants.js';
import { leadCues, leadsToStories, metaLineCues, textCues } from './cues.js';
import { textTokens } from './text-tokens.js';
import { blockEvidence, isAdLabel, STRONG_EVIDENCE } from './promo-evidence.js';
import { comparable } from '../text/normalize.js';
import { isHeadlineOf, sameText } from '../text/headline.js';

export { FEATURE_VERSION } from './constants.js';

/** What features need to know about the page around a block. */
export interface PageContext {
  blocks: Block[];
  /** Readability's kept share per block index. */
  kept: Float64Array;
  /** Whether Readability found an article at all. */
  readabilityFound: boolean;
  /** Article title (Readability's), for spotting the headline block. */
  title: string | null;
  /** Page language code (`en`, `de`, …). */
  language: string;
  /** Repeat groups (`Block.repeatKey`) with a block Readability kept. */
  keptRepeats: Set<string>;
  /** First and last index of blocks Readability mostly kept, or null. */
  keptSpan: [number, number] | null;
  /** Per listing key: the cue most of its items carry (see `listingCues`). */
  listingCues: Map<string, string>;
}

/** First and last block Readability kept most of (`READABILITY_KEPT`), or null when none. */
export function keptSpan(kept: Float64Array): [number, number] | null {
  let first = -1;
  let last = -1;
  for (let i = 0; i < kept.length; i++) {
    if (kept[i] >= READABILITY_KEPT) {
      if (first === -1) first = i;
      last = i;
    }
  }
  return first === -1 ? null : [first, last];
}

/**
 * What each listing's items say as a group: `promo` when at least a quarter of its blocks show
 * a price or a selling word, `boilerplate` when a quarter show chrome words. One card rarely
 * shows its price in every block; the listing does.
 */
export function listingCues(blocks: Block[]): Map<string, string> {
  const memo = pageMemo(blocks);
  const tally = new Map<string, { blocks: number; promo: number; boilerplate: number }>();
  for (const block of blocks) {
    if (!block.listingKey) continue;
    let entry = tally.get(block.listingKey);
    if (!entry) tally.set(block.listingKey, (entry = { blocks: 0, promo: 0, boilerplate: 0 }));
    entry.blocks++;
    const cues = memo.cues(block.text);
    const evidence = memo.evidence(blocks)[block.index] ?? [];
    if (cues.includes('promo') || PATTERNS.price.test(block.text) || evidence.some((kind) => LISTING_EVIDENCE.has(kind))) entry.promo++;
    if (cues.includes('boilerplate')) entry.boilerplate++;
  }
  const result = new Map<string, string>();
  for (const [key, entry] of tally) {
    if (entry.promo >= entry.blocks * LISTING_CUE_SHARE) result.set(key, 'promo');
    else if (entry.boilerplate >= entry.blocks * LISTING_CUE_SHARE) result.set(key, 'boilerplate');
  }
  return result;
}

/** Evidence kinds that make a listing's item read as selling (see `listingCues`). */
const LISTING_EVIDENCE = new Set([...STRONG_EVIDENCE, 'money', 'rating', 'discount']);

/** Feature token to weighted count. */
export type FeatureBag = Map<string, number>;

/**
 * Work the blocks of one page share, done once per page: cue words of texts seen twice (a
 * listing's blocks, section headings), heading tokens, the title in comparable form.
 */
class PageMemo {
  private readonly textCueLists = new Map<string, string[]>();
  private readonly headingTokens = new Map<string, string[]>();
  private readonly headlines = new Map<string, boolean>();
  private leadRunBlocks: Set<number> | null = null;
  private evidenceLists: string[][] | null = null;
  private boxLists: BoxEvidence[] | null = null;
  private standfirstIndex: number | null = null;
  private personNames: Set<string> | null = null;
  private readonly semanticTags = new Map<string[], string[]>();
  private title: { text: string; comparable: string } | null = null;

  cues(text: string): string[] {
    let cues = this.textCueLists.get(text);
    if (cues === undefined) {
      cues = textCues(text);
      this.textCueLists.set(text, cues);
    }
    return cues;
  }

  /** Distinct stemmed tokens of a section heading, in order of first appearance. */
  headingWords(heading: string, language: string): string[] {
    const key = `${language}\u0000${heading}`;
    let tokens = this.headingTokens.get(key);
    if (tokens === undefined) {
      tokens = [...new Set(textTokens(heading, language))];
      this.headingTokens.set(key, tokens);
    }
    return tokens;
  }

  /** Distinct semantic tags among a block's ancestors, nearest first (blocks of one container share the list). */
  semanticAncestors(ancestorTags: string[]): string[] {
    let tags = this.semanticTags.get(ancestorTags);
    if (tags === undefined) {
      tags = [...new Set(ancestorTags)].filter((tag) => SEMANTIC_ANCESTORS.has(tag));
      this.semanticTags.set(ancestorTags, tags);
    }
    return tags;
  }

  /**
   * Blocks that continue a lead line pointing to more stories: "You may also like…", "Read
   * more:" or "Related:" on one line, then lines that are all link, each right after the one
   * before. The lead line carries the cue; the headlines under it carry none of their own. A
   * call to act ("Sign up for these alerts:") starts no run: a how-to's own links follow one.
   */
  leadRun(blocks: Block[]): Set<number> {
    if (this.leadRunBlocks === null) {
      const run = new Set<number>();
      for (let i = 1; i < blocks.length; i++) {
        const block = blocks[i];
        if (block.wordCount === 0 || block.wordCount > LEAD_RUN_MAX_WORDS || block.linkWordCount < block.wordCount * LINKED_LINE_DENSITY) continue;
        const previous = blocks[i - 1];
        if (run.has(i - 1) || leadsToStories(previous.text)) run.add(i);
      }
      this.leadRunBlocks = run;
    }
    return this.leadRunBlocks;
  }

  /** Selling evidence per block (see `blockEvidence`), by block index. */
  evidence(blocks: Block[]): string[][] {
    if (this.evidenceLists === null) this.evidenceLists = blocks.map(blockEvidence);
    return this.evidenceLists;
  }

  /** What each block's box shows (see `boxEvidence`), by block index. */
  boxes(blocks: Block[]): BoxEvidence[] {
    if (this.boxLists === null) this.boxLists = boxEvidence(blocks, this.evidence(blocks));
    return this.boxLists;
  }

  /** Full names the page's bylines give (see `pageNames`). */
  names(blocks: Block[]): Set<string> {
    if (this.personNames === null) this.personNames = pageNames(blocks);
    return this.personNames;
  }

  /** Index of the block that stands first under the headline (see `standfirstOf`), or -1. */
  standfirst(page: PageContext): number {
    if (this.standfirstIndex === null) this.standfirstIndex = standfirstOf(page, this);
    return this.standfirstIndex;
  }

  /** The heading is the article's headline: the page title, or a side of "Headline – Site" that holds it. */
  isPageHeadline(heading: string, title: string | null): boolean {
    if (!title) return false;
    let answer = this.headlines.get(heading);
    if (answer === undefined) {
      const text = comparable(heading);
      const full = this.comparableTitle(title);
      // Three words or more inside the title: the headline, the title adding the site's name.
      answer = isHeadlineOf(text, full);
      this.headlines.set(heading, answer);
    }
    return answer;
  }

  comparableTitle(title: string): string {
    if (this.title === null || this.title.text !== title) this.title = { text: title, comparable: comparable(title) };
    return this.title.comparable;
  }
}

/** What a block's box (the largest small container around it) shows of selling. */
interface BoxEvidence {
  /** Strong evidence kinds found in the box's blocks (`STRONG_EVIDENCE`), plus `money` and `rating`. */
  kinds: string[];
  /** The box opens with an ad or paid-content label. */
  labeled: boolean;
  /** The block right before this one is an ad label, outside the block's box or with no box. */
  afterLabel: boolean;
}

/**
 * Most text a container may hold and still be one box (an affiliate card, a coupon, an odds
 * widget), not the article, in `textSize` units (about 150 English words).
 */
const BOX_MAX_SIZE = 1000;
/** Longest block a box holds: a longer one is prose, and its container an article or a section of one. */
const BOX_MAX_BLOCK_SIZE = 400;
/** A label opens a container of at most this size (a partner article under "Partner content"). */
const LABELED_MAX_SIZE = 3000;
/** Han, kana and hangul: scripts without spaces, where one character carries about what a short word does. */
const DENSE_SCRIPT = /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/g;

/** Characters (`textSize`) per word, to read a word count in scripts written without spaces. */
const SIZE_PER_WORD = 7;

/** The block holds at least `words` words, or as much text in a script without spaces. */
function isSentenceSized(block: Block, words: number): boolean {
  return block.wordCount >= words || textSize(block.text) >= words * SIZE_PER_WORD;
}

/** Length of a text in characters, a character of a dense script counting three. */
function textSize(text: string): number {
  const dense = text.match(DENSE_SCRIPT);
  return text.length + 2 * (dense ? dense.length : 0);
}
/** Blocks of one container: the first one's index, how many, their size (`textSize`) and evidence kinds. */
interface Container {
  first: number;
  blocks: number;
  size: number;
  longest: number;
  kinds: Set<string>;
}

/** How deep under the container it opens a label may sit (`<div box><div kicker><span>Anzeige`: one level). */
const LABEL_MAX_DEPTH = 2;

/** How many element levels a block's element sits below a container (a run counts its own container). */
function levelsBelow(path: string, container: string): number {
  const run = path.indexOf('::run(');
  const own = run >= 0 ? path.slice(0, run) : path;
  return own.slice(container.length).split(' > ').length - 1;
}

/** Fewest words of the block a lone label marks: prose, not the next rail's title. */
const LABELED_PROSE_MIN_WORDS = 8;

/** How many container levels above a block a box may be. */
const BOX_LEVELS = 4;

/** Path of the element `levels` up from a block's element (a run's container counts as one level). */
function containerPath(path: string, levels: number): string {
  const run = path.indexOf('::run(');
  let current = run >= 0 ? path.slice(0, run) : path;
  for (let level = run >= 0 ? 1 : 0; level < levels; level++) {
    const cut = current.lastIndexOf(' > ');
    if (cut === -1) return '';
    current = current.slice(0, cut);
  }
  return current;
}

/**
 * Per block, the evidence of its box: the largest container up to BOX_LEVELS levels up that
 * holds at least two blocks and at most BOX_MAX_WORDS words. A product name beside a price and
 * a "Ver precio" button reads as part of a shop box, whatever its own words say; a label at the
 * top of a box ("Anzeige", "Materiał partnera") marks the box. A label right above a block
 * outside any labeled box marks that one block (a partner paragraph written like body text).
 */
function boxEvidence(blocks: Block[], evidence: string[][]): BoxEvidence[] {
  const containers = new Map<string, Container>();
  blocks.forEach((block, i) => {
    const size = textSize(block.text);
    for (let level = 1; level <= BOX_LEVELS; level++) {
      const key = containerPath(block.path, level);
      if (!key) break;
      let entry = containers.get(key);
      if (!entry) containers.set(key, (entry = { first: i, blocks: 0, size: 0, longest: 0, kinds: new Set() }));
      entry.blocks++;
      entry.size += size;
      entry.longest = Math.max(entry.longest, size);
      for (const kind of evidence[i]) entry.kinds.add(kind);
    }
  });
  const parentBlocks = new Map<string, number>();
  for (const block of blocks) {
    const key = containerPath(block.path, 1);
    parentBlocks.set(key, (parentBlocks.get(key) ?? 0) + 1);
  }
  return blocks.map((block, i) => {
    let box: Container | null = null;
    let nearest: Container | null = null;
    let nearestPath = '';
    for (let level = 1; level <= BOX_LEVELS; level++) {
      const path = containerPath(block.path, level);
      const entry = containers.get(path);
      if (!entry || entry.size > LABELED_MAX_SIZE) break;
      if (entry.blocks >= 2 && nearest === null) {
        nearest = entry;
        nearestPath = path;
      }
      if (entry.size > BOX_MAX_SIZE || entry.longest > BOX_MAX_BLOCK_SIZE) continue;
      if (entry.blocks >= 2) box = entry;
    }
    const kinds = box ? [...box.kinds].filter((kind) => STRONG_EVIDENCE.has(kind) || kind === 'money' || kind === 'rating') : [];
    // The label opens the nearest container the block shares with another block, and no image
    // follows it (a label over an image ad, then the site's header, marks nothing after the ad).
    // The label sits at the top of the container itself, not deep in one of its cells.
    const labeled =
      nearest !== null &&
      nearest.first !== i &&
      evidence[nearest.first].includes('ad_label') &&
      !blocks[nearest.first].besideEmpty &&
      !blocks[nearest.first + 1].afterImage &&
      levelsBelow(blocks[nearest.first].path, nearestPath) <= LABEL_MAX_DEPTH;
    // A label alone in its container, right above a block of prose that follows no image: "Partner
    // content" over a paragraph. A label beside an empty frame labels that ad slot, not the prose after it.
    const previous = i > 0 ? blocks[i - 1] : null;
    const afterLabel =
      !labeled &&
      previous !== null &&
      evidence[i - 1].includes('ad_label') &&
      !previous.besideEmpty &&
      !evidence[i].includes('ad_label') &&
      !block.afterImage &&
      block.headingLevel === 0 &&
      isSentenceSized(block, LABELED_PROSE_MIN_WORDS) &&
      (parentBlocks.get(containerPath(previous.path, 1)) === 1 || containerPath(previous.path, 1) === containerPath(block.path, 1));
    return { kinds, labeled, afterLabel };
  });
}

/** A name: two to four capitalised words, particles allowed between ("Bas van der Veen", "Priya Raman"). */
const NAME_LINE = /^\p{Lu}[\p{L}'’.-]+(?:\s+(?:(?:van|der|den|de|da|das|dos|del|della|di|du|von|zu|la|le|bin|al|ter|ten)\s+)*\p{Lu}[\p{L}'’.-]+){1,3}$/u;
/** Names in a byline: "By Jane Roe and John Doe", "Von Katrin Albers". */
const NAME_IN_LINE = /(?<![\p{L}])\p{Lu}[\p{Ll}'’-]+(?:\s+\p{Lu}[\p{Ll}'’-]+){1,2}/gu;
/** Fewest and most words of a block that reads as a note about a person (a bio, a contact line). */
const BIO_MIN_WORDS = 6;
const BIO_MAX_WORDS = 80;
/** An e-mail address: a contact line or a bio's. */
const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+\.[\p{L}\p{N}.-]+/u;

/**
 * Full names of the people the page's bylines and datelines name ("By Priya Raman", "Rosa
 * Delgado · Staff writer · March 9"). A block that opens with one ("Priya Raman is a staff
 * writer …") is a note about the author, in any language that capitalises names.
 */
function pageNames(blocks: Block[]): Set<string> {
  const names = new Set<string>();
  for (const block of blocks) {
    if (block.wordCount < 2 || block.wordCount > 14 || block.headingLevel > 0) continue;
    const cues = metaLineCues(block.text, block.wordCount);
    if (!cues.includes('byline') && !cues.includes('dateline')) continue;
    // The name before the first separator, without the byline's preposition.
    const lead = block.text.split(NAME_SEPARATOR)[0].trim().replace(BYLINE_LEAD, '');
    if (NAME_LINE.test(lead)) names.add(lead);
    if (!cues.includes('byline')) continue;
    for (const match of block.text.matchAll(NAME_IN_LINE)) {
      const words = match[0].split(/\s+/).filter((word) => !BYLINE_WORDS.has(word.toLowerCase()));
      if (words.length >= 2) names.add(words.join(' '));
    }
  }
  return names;
}

/** The preposition of a byline before its name ("By ", "Von "). */
const BYLINE_LEAD = /^(?:by|von|par|por|di|door|af|av|przez|text|texto|testo|tekst)\s+/i;
/** What ends a name at the head of a byline or an author box. */
const NAME_SEPARATOR = /\n|\s[·|•–—]\s|,\s/;
/** Byline words that are capitalised before a name: "By", "Von", "Text". */
const BYLINE_WORDS = new Set(['by', 'von', 'par', 'por', 'di', 'door', 'af', 'av', 'przez', 'text', 'texto', 'testo', 'tekst', 'words', 'photos', 'fotos', 'reporting', 'writing', 'editing']);

/**
 * The block is a note about a person the page credits: it opens with a full name from a byline,
 * or with the first word of a line that is just a name right above it (an author box: "Bas van
 * der Veen", then "Bas schrijft sinds 2019 …").
 */
function isPersonNote(block: Block, previous: Block | null, names: Set<string>): boolean {
  if (block.wordCount < BIO_MIN_WORDS || block.wordCount > BIO_MAX_WORDS || block.headingLevel > 0) return false;
  const text = block.text.trimStart();
  for (const name of names) if (text.startsWith(name) && !/^[\p{L}\p{N}]/u.test(text.slice(name.length))) return true;
  if (previous === null || previous.wordCount > 5 || previous.headingLevel > 0) return false;
  const line = previous.text.trim();
  if (!NAME_LINE.test(line)) return false;
  const first = line.split(/\s+/)[0];
  return text.startsWith(first) && /^[\s,]/.test(text.slice(first.length)) && !text.startsWith(line);
}

/** How many blocks after the headline the standfirst may come (kicker, byline, date between). */
const STANDFIRST_WINDOW = 4;
/** Fewest words of a standfirst: a sentence, not a label. */
const STANDFIRST_MIN_WORDS = 8;

/**
 * The standfirst: the first block of prose within STANDFIRST_WINDOW blocks under the headline
 * (the heading holding the page title, else the first level-1 heading), when it is no byline, dateline or
 * link line. -1 when there is no headline or no such block.
 */
function standfirstOf(page: PageContext, memo: PageMemo): number {
  const { blocks } = page;
  const limit = Math.ceil(blocks.length / 2);
  // The heading that holds the page title; else the first level-1 heading (a blog's name can be an h1 too).
  let headline = -1;
  let firstH1 = -1;
  for (let i = 0; i < limit; i++) {
    const block = blocks[i];
    if (block.headingLevel === 0) continue;
    if (memo.isPageHeadline(block.text, page.title)) {
      headline = i;
      break;
    }
    if (block.headingLevel === 1 && firstH1 < 0) firstH1 = i;
  }
  if (headline < 0) headline = firstH1;
  if (headline < 0) return -1;
  for (let i = headline + 1; i < blocks.length && i <= headline + STANDFIRST_WINDOW; i++) {
    const block = blocks[i];
    if (block.headingLevel > 0) return -1;
    if (!isSentenceSized(block, STANDFIRST_MIN_WORDS) || block.linkWordCount > block.wordCount / 2) continue;
    if (block.afterImage || isCaptionPlace(block)) continue;
    if (metaLineCues(block.text, block.wordCount).some((cue) => cue !== 'credit')) continue;
    return i;
  }
  return -1;
}

/** Longest line that can be a link under a chrome lead line (a story's headline). */
const LEAD_RUN_MAX_WORDS = 30;

/** Share of a line's words inside links from which the line is a link. */
const LINKED_LINE_DENSITY = 0.8;

/** Smallest listing whose image cards read as a grid. */
const CARD_MIN_LISTING = 3;
/** Longest card text: a title and a line or two. */
const CARD_MAX_WORDS = 40;
/** What a card shows when it sells. */
const CARD_EVIDENCE = new Set(['money', 'rating', 'cta', 'discount', 'sponsored_link', 'affiliate_link', 'shop_link']);

/** Evidence a page declares (a label, a disclosure, `rel="sponsored"`, an age limit): weighed as cue words are. */
const DECLARED_EVIDENCE = new Set(['ad_label', 'disclosure', 'sponsored_link', 'gambling', 'coupon']);

/** Longest section heading (distinct stemmed words) whose words become features. */
const MAX_SECTION_TITLE_WORDS = 6;

/** Keyed by the page's block list, which every block of the page is featurized with. */
const memos = new WeakMap<Block[], PageMemo>();

function pageMemo(blocks: Block[]): PageMemo {
  let memo = memos.get(blocks);
  if (!memo) {
    memo = new PageMemo();
    memos.set(blocks, memo);
  }
  return memo;
}

/**
 * A block's feature tokens: its words plus structure (tag, regions, class words, size, link
 * density, listing size, position, Readability's verdict on it and its neighbours, selling
 * patterns). Structural tokens are prefixed so they never collide with words.
 */
export function blockFeatures(block: Block, page: PageContext): FeatureBag {
  const bag: FeatureBag = new Map();
  const add = (token: string, weight = STRUCTURE_WEIGHT) => bag.set(token, (bag.get(token) ?? 0) + weight);
  // Every family of tokens but `w=` holds distinct names (prefixes differ, lists are deduplicated):
  // those go in once and need no sum.
  const put = (token: string, weight = STRUCTURE_WEIGHT) => bag.set(token, weight);
  const memo = pageMemo(page.blocks);

  put(`tag=${block.tag}`);
  if (block.headingLevel) put('heading');
  for (const tag of memo.semanticAncestors(block.ancestorTags)) put(`in=${tag}`);
  for (const token of block.classTokens) put(`cls=${token}`, CLASS_WEIGHT);
  for (const cue of block.classCues) put(`ccue=${cue}`, CLASS_CUE_WEIGHT);
  const size = block.wordCount <= SHORT_BLOCK_WORDS ? 'short' : 'long';
  for (const cue of memo.cues(block.text)) put(`tcue=${cue}.${size}`, CUE_WEIGHT);
  const metaCues = metaLineCues(block.text, block.wordCount);
  for (const cue of metaCues) put(`mcue=${cue}`, CUE_WEIGHT);
  for (const cue of leadCues(block.text)) put(`lead=${cue}`, CUE_WEIGHT);
  // Short blocks need the comparable text for `line=`; others only when they might be the title.
  let text: string | null = block.wordCount <= SHORT_BLOCK_WORDS ? comparable(block.text) : null;
  if (text !== null) put(`line=${text}`, 1);
  if (block.sectionHeading) {
    for (const cue of memo.cues(block.sectionHeading)) put(`hcue=${cue}`, HEADING_CUE_WEIGHT);
    if (block.sectionHeading !== block.text && isAdLabel(block.sectionHeading, 1)) put('hcue=ad_label', HEADING_CUE_WEIGHT);
  }

  // Selling evidence of the block, of its box, and a label right above it (promo-evidence.ts).
  const evidence = memo.evidence(page.blocks)[block.index];
  for (const kind of evidence) put(`ev=${kind}`, DECLARED_EVIDENCE.has(kind) ? CUE_WEIGHT : STRUCTURE_WEIGHT);
  const box = memo.boxes(page.blocks)[block.index];
  for (const kind of box.kinds) put(`box=${kind}`);
  // A card of a repeated listing (image, short title, price, rating or button): a shop or ad grid.
  if (block.listingSize >= CARD_MIN_LISTING && (block.imageCount > 0 || block.afterImage) && block.wordCount <= CARD_MAX_WORDS) {
    if ([...evidence, ...box.kinds].some((kind) => CARD_EVIDENCE.has(kind))) put('card=selling');
  }
  if (box.labeled) put('box=labeled', CUE_WEIGHT);
  if (box.afterLabel) put('after_label', CUE_WEIGHT);
  const sold = box.labeled || box.afterLabel || evidence.some((kind) => STRONG_EVIDENCE.has(kind)) || box.kinds.some((kind) => STRONG_EVIDENCE.has(kind));
  const standfirst = memo.standfirst(page) === block.index;
  if (!standfirst && metaCues.length === 0 && isPersonNote(block, page.blocks[block.index - 1] ?? null, memo.names(page.blocks))) put('bio', CUE_WEIGHT);
  if (block.wordCount <= BIO_MAX_WORDS && EMAIL.test(block.text)) put('email');
  if (standfirst) put('standfirst', CUE_WEIGHT);
  const listingCue = page.listingCues.get(block.listingKey ?? '');
  if (listingCue) put(`lcue=${listingCue}`);

  put(`words=${bucket(block.wordCount, WORD_BUCKETS)}`);
  const density = block.wordCount > 0 ? block.linkWordCount / block.wordCount : 0;
  put(`linkd=${bucket(density, LINK_DENSITY_BUCKETS)}`);
  put(`links=${bucket(block.linkCount, [0, 1, 3])}`);
  if (block.imageCount > 0) put('img');
  if (block.afterImage) put(`after_img.${size}`);

  put(`listing=${bucket(block.listingSize, LISTING_BUCKETS)}`);
  if (block.listingUnit) put(`unit=${block.listingUnit}`);

  const position = Math.min(POSITION_BUCKETS - 1, Math.floor((block.index / Math.max(1, page.blocks.length)) * POSITION_BUCKETS));
  put(`pos=${position}`);

  // Readability's verdict means more on prose than on a one-line label or an ad slot.
  const length = block.wordCount <= 8 ? 'short' : block.wordCount <= 30 ? 'mid' : 'long';
  const verdict = readabilityToken(block.index, page);
  // Readability keeps captions with the article; its verdict on one is learned apart.
  // So is its verdict on a block that sells or sits in a selling box: Readability keeps an
  // affiliate box between two paragraphs as readily as the paragraphs.
  put(`rd=${verdict}.${isCaptionPlace(block) ? 'caption' : sold ? 'sold' : length}`, READABILITY_WEIGHT);
  // A line that is all link and kept by Readability: a related-story link inside the article.
  if (density >= LINKED_LINE_DENSITY) put(`rd_linked=${verdict}`);
  if (memo.leadRun(page.blocks).has(block.index)) put('lead_run=boilerplate', CUE_WEIGHT);
  put(`span=${spanPosition(block.index, page)}`);
  if (block.repeatKey) put(`repeat=${page.keptRepeats.has(block.repeatKey) ? 'kept' : 'dropped'}`);
  put(`rd_prev=${readabilityToken(block.index - 1, page)}`, 1);
  put(`rd_next=${readabilityToken(block.index + 1, page)}`, 1);

  if (page.title) {
    const title = memo.comparableTitle(page.title);
    if (text === null && mayStartLike(block.text, title)) text = comparable(block.text);
    if (text !== null && sameText(text, title)) put('is_title', STRUCTURE_WEIGHT * 2);
  }
  if (PATTERNS.price.test(block.text)) put('price');
  if (PATTERNS.discount.test(block.text)) put('discount');
  if (PATTERNS.code.test(block.text)) put('code');
  if (PATTERNS.sentenceEnd.test(block.text)) put('sentence_end');

  if (block.sectionHeading && block.sectionHeading !== block.text) {
    // A rail's title ("Related", "More from Tech") names what follows; a headline's words name
    // one story, and would tie its paragraphs to the words of the training pages' headlines.
    const headingWords = memo.headingWords(block.sectionHeading, page.language);
    if (headingWords.length > MAX_SECTION_TITLE_WORDS || memo.isPageHeadline(block.sectionHeading, page.title)) put('hd=headline', 1);
    else for (const token of headingWords) put(`hd=${token}`, HEADING_WEIGHT);
  } else if (!block.sectionHeading) {
    put('hd=none', 1);
  }

  const tokens = textTokens(block.text, page.language);
  // Words of a long block share a fixed budget: otherwise a 150-word comment or teaser outvotes
  // every structural token by length alone (Naive Bayes sums one log-ratio per word).
  const weight = tokens.length > TEXT_WORD_BUDGET ? (TEXT_WEIGHT * TEXT_WORD_BUDGET) / tokens.length : TEXT_WEIGHT;
  const counts = new Map<string, number>();
  for (const token of tokens) {
    const seen = (counts.get(token) ?? 0) + 1;
    counts.set(token, seen);
    if (seen <= MAX_WORD_REPEAT) add(`w=${token}`, weight);
  }
  return bag;
}

/** A figure's caption, or a block whose element or near ancestors are named as a caption or credit. */
function isCaptionPlace(block: Block): boolean {
  if (block.tag === 'figcaption' || block.ancestorTags.includes('figcaption') || block.ancestorTags.includes('figure')) return true;
  return block.classTokens.includes('caption') || block.classTokens.includes('credit');
}

/**
 * Where the block sits relative to the run of blocks Readability kept: `before` (header, nav),
 * `inside`, `after` (comments, related stories, footer) or `none` when Readability kept nothing.
 */
function spanPosition(index: number, page: PageContext): string {
  if (!page.readabilityFound || page.keptSpan === null) return 'none';
  if (index < page.keptSpan[0]) return 'before';
  return index > page.keptSpan[1] ? 'after' : 'inside';
}

function readabilityToken(index: number, page: PageContext): string {
  if (index < 0 || index >= page.blocks.length) return 'edge';
  if (!page.readabilityFound) return 'none';
  const kept = page.kept[index];
  return kept >= READABILITY_KEPT ? 'kept' : kept > 0 ? 'partial' : 'dropped';
}

/** Index of the first bucket whose upper bound holds the value; past the last: the count. */
/**
 * False only when `comparable(text)` surely differs from `title` (comparable form) in its first
 * character, so `sameText` must be false: the text's first letter or digit is ASCII and, lower
 * cased, is not the title's first character. Anything else (an empty title, non-ASCII before or
 * at the first letter, no letter at all) answers true and is compared in full.
 */
function mayStartLike(text: string, title: string): boolean {
  if (title.length === 0) return true;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128) return true;
    const isDigit = code >= 48 && code <= 57;
    const isLower = code >= 97 && code <= 122;
    const isUpper = code >= 65 && code <= 90;
    if (!isDigit && !isLower && !isUpper) continue;
    return title.charCodeAt(0) === (isUpper ? code + 32 : code);
  }
  // No letter or digit: comparable(text) is empty, never the title.
  return false;
}

function bucket(value: number, upperBounds: number[]): number {
  for (let i = 0; i < upperBounds.length; i++) if (value <= upperBounds[i]) return i;
  return upperBounds.length;
}

