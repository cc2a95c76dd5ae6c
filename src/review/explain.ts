import { textCues } from '../features/cues.js';

/** What the sentences about one block are made from: the same features the model used. */
export interface ExplainedBlock {
  /** The block's strongest features toward its model label, as `token (+margin)` (LabeledBlock.topFeatures). */
  topFeatures: string[];
  /** Structurally identical siblings, the block included. */
  listingSize: number;
  /** Share of the block's text Readability kept, 0..1. */
  readability: number;
}

/** Longest quote of a nearby label in a sentence, in characters. */
const MAX_QUOTE = 40;
/** How many blocks back a heading cue's label is looked for. */
const HEADING_LOOKBACK = 6;
/** Longest block that counts as a label above another (words). */
const LABEL_MAX_WORDS = 6;

const LABEL_WORDS: Record<string, string> = { editorial: 'article text', promo: 'promotion', boilerplate: 'site chrome' };

const ELEMENT_WORDS: Record<string, string> = {
  nav: 'the navigation',
  header: 'the page header',
  footer: 'the page footer',
  aside: 'a sidebar',
  article: 'the article element',
  main: 'the main content',
  figure: 'a figure',
  form: 'a form',
  section: 'a section',
  li: 'a list item',
  ul: 'a list',
  ol: 'a numbered list',
  table: 'a table',
  blockquote: 'a quotation',
  pre: 'a code block',
  figcaption: 'a caption',
};

const READABILITY_WORDS: Record<string, string> = {
  kept: 'Readability kept it',
  partial: 'Readability kept part of it',
  dropped: 'Readability dropped it',
  none: 'Readability found no article on this page',
  edge: 'it is at the edge of the page',
};

const SPAN_WORDS: Record<string, string> = {
  before: 'it comes before the article text',
  inside: 'it sits within the article text',
  after: 'it comes after the article text',
  none: 'Readability found no article text to place it against',
};

const WORDS_BUCKETS = ['empty', '1–3 words', '4–8 words', '9–20 words', '21–50 words', '51–100 words', 'over 100 words'];
const LINK_DENSITY_WORDS = ['no link text', 'a little link text', 'some link text', 'mostly link text', 'almost all link text'];
const POSITION_WORDS = ['near the top of the page', 'in the upper part of the page', 'in the middle of the page', 'in the lower part of the page', 'near the bottom of the page'];

/** `token (+2.9)` → `token`. */
export function featureToken(feature: string): string {
  const cut = feature.lastIndexOf(' (');
  return cut > 0 ? feature.slice(0, cut) : feature;
}

/**
 * Why the model gave a block its label, in sentences a reviewer can read ("inside a list of 17
 * similar items", "Readability kept it", "label \"Anzeige\" above it"), one per feature family,
 * strongest first. Built from the block's top features, so it says what the model used and
 * nothing else; features no sentence covers are left to the raw token list.
 *
 * `before` holds the texts of the blocks above it, nearest last, to quote a label a heading cue
 * points at.
 */
export function explainBlock(block: ExplainedBlock, before: readonly string[] = []): string[] {
  const sentences: string[] = [];
  const words: string[] = [];
  const seen = new Set<string>();
  const say = (sentence: string | null) => {
    if (sentence && !seen.has(sentence)) {
      seen.add(sentence);
      sentences.push(sentence);
    }
  };
  for (const feature of block.topFeatures) {
    const token = featureToken(feature);
    if (token.startsWith('w=')) {
      words.push(token.slice(2));
      continue;
    }
    say(sentenceFor(token, block, before));
  }
  if (words.length > 0) say(`words in it like ${words.map((word) => `“${word}”`).join(', ')}`);
  return sentences;
}

function sentenceFor(token: string, block: ExplainedBlock, before: readonly string[]): string | null {
  const eq = token.indexOf('=');
  const family = eq < 0 ? token : token.slice(0, eq);
  const value = eq < 0 ? '' : token.slice(eq + 1);
  switch (family) {
    case 'tag':
      return ELEMENT_WORDS[value] ? `it is ${ELEMENT_WORDS[value]}` : `it is a <${value}> element`;
    case 'heading':
      return 'it is a heading';
    case 'in':
      return `inside ${ELEMENT_WORDS[value] ?? `a <${value}> element`}`;
    case 'cls':
      return `its class or id contains “${value}”`;
    case 'ccue': {
      // `promo.near`: on the block or an ancestor close by; `promo.far`: further out.
      const [cue, where] = value.split('.');
      return `${where === 'far' ? 'a class or id further out' : 'a class or id on it or just around it'} marks ${cueWords(cue)}`;
    }
    case 'tcue':
      return `its text has ${cueWords(value.split('.')[0])} words`;
    case 'mcue':
      return `it reads like a ${value} line`;
    case 'lead':
      return `it starts like ${cueWords(value)}`;
    case 'line':
      return `the same line “${quote(value)}” appears on pages the model learned from`;
    case 'hcue': {
      const label = labelAbove(value, before);
      return label ? `label “${label}” above it` : `the heading above it has ${cueWords(value)} words`;
    }
    case 'hd':
      return value === 'none' ? 'no heading above it' : value === 'headline' ? 'it sits under the page headline' : `under a heading with the word “${value}”`;
    case 'lcue':
      return value === 'promo' ? 'its listing’s items show prices or selling words' : `its listing’s items show ${cueWords(value)} words`;
    case 'words':
      return WORDS_BUCKETS[Number(value)] ? `it is ${WORDS_BUCKETS[Number(value)]} long` : null;
    case 'linkd':
      return `it has ${LINK_DENSITY_WORDS[Number(value)] ?? 'links'}`;
    case 'links':
      return Number(value) === 0 ? 'it has no links' : 'it has links';
    case 'img':
      return 'it holds an image';
    case 'after_img':
      return 'it comes right after an image, like a caption';
    case 'listing':
      return block.listingSize > 1 ? `inside a list of ${block.listingSize} similar items` : 'it is not part of a list of similar items';
    case 'unit':
      return `each item of its list is a <${value}>`;
    case 'pos':
      return POSITION_WORDS[Number(value)] ?? null;
    case 'rd': {
      const [verdict, place] = value.split('.');
      const said = READABILITY_WORDS[verdict] ?? `Readability: ${verdict}`;
      return place === 'caption' ? `${said} (as a caption)` : said;
    }
    case 'rd_linked':
      return `a line of links ${verdict(value)}, like a related-story link`;
    case 'rd_prev':
      return value === 'edge' ? 'it is the first block of the page' : `the block before it: ${READABILITY_WORDS[value] ?? value}`;
    case 'rd_next':
      return value === 'edge' ? 'it is the last block of the page' : `the block after it: ${READABILITY_WORDS[value] ?? value}`;
    case 'lead_run':
      return 'part of a run of story links at the start of the page';
    case 'span':
      return SPAN_WORDS[value] ?? null;
    case 'repeat':
      return value === 'kept' ? 'it repeats the pattern of blocks Readability kept' : 'it repeats the pattern of blocks Readability dropped';
    case 'is_title':
      return 'it is the page title';
    case 'price':
      return 'it shows a price';
    case 'discount':
      return 'it mentions a discount';
    case 'code':
      return 'it looks like code';
    case 'sentence_end':
      return 'it ends like a sentence';
    case 'c_prev':
      return neighbour('the block before it', value);
    case 'c_next':
      return neighbour('the block after it', value);
    case 'c_par':
      return neighbour('the rest of its container', value);
    case 'c_gp':
      return neighbour('the section around it', value);
    default:
      return null;
  }
}

function verdict(value: string): string {
  return value === 'kept' ? 'Readability kept' : value === 'dropped' ? 'Readability dropped' : `(Readability: ${value})`;
}

function cueWords(cue: string): string {
  return cue === 'promo' ? 'promotion (ad, sponsor, deal)' : cue === 'boilerplate' ? 'site chrome (share, subscribe, related)' : cue;
}

function neighbour(what: string, label: string): string | null {
  if (label === 'alone') return null;
  return `${what} looks like ${LABEL_WORDS[label] ?? label}`;
}

/** The nearest short block above carrying the cue, quoted; null when none is close. */
function labelAbove(cue: string, before: readonly string[]): string | null {
  for (let i = before.length - 1; i >= Math.max(0, before.length - HEADING_LOOKBACK); i--) {
    const text = before[i].trim();
    if (text.split(/\s+/).length <= LABEL_MAX_WORDS && textCues(text).includes(cue)) return quote(text);
  }
  return null;
}

function quote(text: string): string {
  return text.length > MAX_QUOTE ? `${text.slice(0, MAX_QUOTE - 1)}…` : text;
}
