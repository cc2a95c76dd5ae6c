import { Readability } from '@mozilla/readability';
import type { Block } from '../segment/block.js';
import type { EngineName } from '../types.js';
import { parsePage } from '../dom/engine.js';
import { comparable } from '../text/normalize.js';
import { DEFAULT_LIMITS, preparePage, type PageLimits } from '../input/prepare.js';

/** Page metadata Readability finds (meta tags, JSON-LD, the title). */
export interface PageMetadata {
  title: string | null;
  byline: string | null;
  publishedTime: string | null;
  siteName: string | null;
  lang: string | null;
  excerpt: string | null;
}

export interface ReadabilityVerdict {
  metadata: PageMetadata;
  /** Per block (by index): share of its text characters that Readability kept, 0..1. */
  kept: Float64Array;
  /** False when Readability found no article at all (every block then reads 0). */
  found: boolean;
}

const EMPTY_METADATA: PageMetadata = {
  title: null,
  byline: null,
  publishedTime: null,
  siteName: null,
  lang: null,
  excerpt: null,
};

/**
 * Run Readability on the page the blocks were cut from and measure, per block, how much of its
 * text made it into Readability's article. Readability moves the page's own text nodes into its
 * output, so most are matched by identity; when it re-parses the page on a retry (short
 * articles), text nodes are new and are matched by their text instead. Mutates the document:
 * call it after segmentation.
 */
export function readabilityVerdict(document: Document, blocks: Block[], limits: PageLimits = DEFAULT_LIMITS): ReadabilityVerdict {
  const kept = new Float64Array(blocks.length);
  const owner = new Map<Text, number>();
  const totals = new Float64Array(blocks.length);
  // Each text node's trimmed text and block, read before Readability touches the page.
  const texts: string[] = [];
  const textBlocks: number[] = [];
  for (const block of blocks) {
    for (const node of block.textNodes) {
      owner.set(node, block.index);
      const key = node.data.trim();
      if (!key) continue;
      totals[block.index] += key.length;
      texts.push(key);
      textBlocks.push(block.index);
    }
  }

  let article: ReturnType<Readability<Node>['parse']>;
  try {
    // The content is read, never shown: no serializing, and its class names may stay.
    article = new Readability<Node>(document, { serializer: (node) => node, keepClasses: true, maxElemsToParse: limits.maxElements }).parse();
  } catch {
    // Evidence, not the verdict: when Readability itself fails (a DOM engine's stack limit on a
    // pathological page), the page is still labeled, without its opinion.
    return { metadata: EMPTY_METADATA, kept, found: false };
  }
  if (!article) return { metadata: EMPTY_METADATA, kept, found: false };

  const metadata = metadataOf(article);
  const content = article.content;
  if (!content) return { metadata, kept, found: false };

  // Blocks by text, for nodes Readability made anew: needed only after a retry, so built then.
  let byText: Map<string, number[]> | null = null;
  const walker = (content.ownerDocument ?? document).createTreeWalker(content, 4 /* NodeFilter.SHOW_TEXT */);
  for (let node = walker.nextNode() as Text | null; node; node = walker.nextNode() as Text | null) {
    const key = node.data.trim();
    if (!key) continue;
    const index = owner.get(node);
    if (index !== undefined) {
      kept[index] += key.length;
      continue;
    }
    byText ??= blocksByText(texts, textBlocks);
    for (const candidate of byText.get(key) ?? []) kept[candidate] += key.length;
  }
  for (let i = 0; i < kept.length; i++) kept[i] = totals[i] > 0 ? Math.min(1, kept[i] / totals[i]) : 0;
  // Readability takes the headline out of its content because it reports it as the title: kept.
  const titles = titleForms(metadata.title);
  for (const block of blocks) {
    if (titles.size > 0 && block.headingLevel > 0 && titles.has(comparable(block.text))) kept[block.index] = 1;
  }
  return { metadata, kept, found: true };
}

/** Block indexes by text, from parallel lists of texts and their blocks. */
function blocksByText(texts: string[], textBlocks: number[]): Map<string, number[]> {
  const byText = new Map<string, number[]>();
  texts.forEach((key, i) => {
    const list = byText.get(key);
    if (list) list.push(textBlocks[i]);
    else byText.set(key, [textBlocks[i]]);
  });
  return byText;
}

/** Separator between a headline and the site name in a `<title>` ("Headline – Site", "Site | Headline"). */
const TITLE_SEPARATOR = /\s+[|\-–—:·•»/]\s+/;

/**
 * The title as Readability reports it, and each side of a site-name separator: Readability
 * keeps "Headline – Site" whole when its own rules for cutting the suffix do not fire (an en
 * dash is not among its separators), yet still drops the headline from the content.
 */
function titleForms(title: string | null): Set<string> {
  const forms = new Set<string>();
  if (!title) return forms;
  forms.add(comparable(title));
  for (const part of title.split(TITLE_SEPARATOR)) {
    // A side of three words or fewer is the site name or a section, not the headline.
    if (part.trim().split(/\s+/).length > 3) forms.add(comparable(part));
  }
  forms.delete('');
  return forms;
}

type ReadabilityResult = NonNullable<ReturnType<Readability<Node>['parse']>>;

function metadataOf(article: ReadabilityResult): PageMetadata {
  const clean = (value: string | null | undefined) => (value ? value.replace(/\s+/g, ' ').trim() || null : null);
  return {
    title: clean(article.title),
    byline: clean(article.byline),
    publishedTime: clean(article.publishedTime),
    siteName: clean(article.siteName),
    lang: clean(article.lang),
    excerpt: clean(article.excerpt),
  };
}

/**
 * Bare Readability, the baseline winnow is measured against: script and style stripped, the
 * page parsed with the chosen engine, Readability's text content as the article.
 */
export function readabilityBaseline(
  html: string,
  options: { url?: string; engine?: EngineName } = {},
): { title: string | null; text: string } {
  const page = parsePage(preparePage(html), options);
  try {
    const article = new Readability(page.document, { maxElemsToParse: DEFAULT_LIMITS.maxElements }).parse();
    return { title: article?.title ?? null, text: article?.textContent?.trim() ?? '' };
  } finally {
    page.dispose();
  }
}
