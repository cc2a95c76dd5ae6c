import { classifyBlocks, repeatsWithKeptBlocks } from './classify/classify.js';
import type { Model } from './classify/model.js';
import { parsePage, DEFAULT_ENGINE } from './dom/engine.js';
import { revealScriptShell } from './dom/shell.js';
import { assembleHtml, assembleText, htmlToMarkdown } from './extract/assemble.js';
import { bodyBlocks } from './extract/body.js';
import { fallbackRegion } from './extract/fallback.js';
import { readabilityVerdict, type PageMetadata } from './extract/readability.js';
import { blockFeatures, keptSpan, listingCues, type FeatureBag } from './features/index.js';
import { languageOf } from './features/text-tokens.js';
import { decodeHtml } from './input/decode.js';
import { NoArticleError, PageTooLargeError, ParseError, WinnowError } from './errors.js';
import { DEFAULT_LIMITS, type PageLimits } from './input/prepare.js';
import type { Block } from './segment/block.js';
import { segment } from './segment/segment.js';
import { LABELS, type Article, type EngineName, type Label, type LabeledBlock } from './types.js';

/** Options every door passes to the pipeline. */
export interface PipelineOptions {
  /** Page URL: resolves relative links and is stored with the article. */
  url?: string;
  /**
   * DOM engine.
   * @defaultValue 'linkedom'
   */
  engine?: EngineName;
  /** Size, depth and element limits. @defaultValue DEFAULT_LIMITS */
  limits?: PageLimits;
}

export interface ModerateOptions extends PipelineOptions {
  /** Trained model, loaded once per process by the caller (`loadModel()`). */
  model: Model;
}

/** Everything the classifier needs of a page, before any model is involved. */
export interface PageAnalysis {
  blocks: Block[];
  features: FeatureBag[];
  metadata: PageMetadata;
  language: string;
  readabilityFound: boolean;
  /** Readability's kept share per block. */
  kept: Float64Array;
  engine: EngineName;
}

/**
 * Parse once, cut into blocks, let Readability judge the same DOM, compute features. Pure CPU
 * work with no I/O; throws a typed error (too large, too deep, parse failure) on bad input.
 */
export function analyzePage(html: string, options: PipelineOptions & { readLabels?: boolean } = {}): PageAnalysis {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const page = parsePage(html, { url: options.url, engine: options.engine, limits });
  try {
    revealScriptShell(page.document);
    const blocks = segment(page.document, { url: options.url, readLabels: options.readLabels });
    const lang = page.document.documentElement?.getAttribute('lang') ?? null;
    const verdict = readabilityVerdict(page.document, blocks, limits);
    const language = languageOf(verdict.metadata.lang ?? lang);
    const context = {
      blocks,
      kept: verdict.kept,
      readabilityFound: verdict.found,
      title: verdict.metadata.title,
      language,
      listingCues: listingCues(blocks),
      keptSpan: keptSpan(verdict.kept),
      keptRepeats: repeatsWithKeptBlocks(blocks, verdict.kept),
    };
    const features = blocks.map((block) => blockFeatures(block, context));
    for (const block of blocks) block.textNodes = [];
    return {
      blocks,
      features,
      metadata: { ...verdict.metadata, lang: verdict.metadata.lang ?? lang },
      language,
      readabilityFound: verdict.found,
      kept: verdict.kept,
      engine: page.engine,
    };
  } catch (error) {
    throw typedError(error);
  } finally {
    page.dispose();
  }
}

/** Errors thrown while reading a parsed page, as typed errors that say what went wrong. */
function typedError(error: unknown): WinnowError {
  if (error instanceof WinnowError) return error;
  const message = error instanceof Error ? error.message : String(error);
  // Readability's maxElemsToParse guard: "Aborting parsing document; N elements found".
  if (message.startsWith('Aborting parsing document')) return new PageTooLargeError(message);
  return new ParseError(`could not read the page: ${message}`, error);
}

/**
 * The one function every door calls: a page's HTML in, labeled blocks and the cleaned article
 * out. Synchronous and free of I/O, so it runs the same inline, in a sandboxed worker or a
 * benchmark. A page with no text throws NoArticleError (`no_article`).
 */
export function moderate(html: string, options: ModerateOptions): Article {
  const analysis = analyzePage(html, options);
  const article = articleFrom(analysis, options.model, options.url ?? null);
  // With the fallback region, empty text means no block has words.
  if (article.text.trim() === '') throw new NoArticleError();
  return article;
}

/** As `moderate`, from undecoded bytes (a file or an HTTP body): finds the charset first. */
export function moderateBytes(bytes: Uint8Array, options: ModerateOptions & { contentType?: string | null }): Article {
  return moderate(decodeHtml(bytes, options.contentType).html, options);
}

/** The body as Markdown under a level-1 heading: the headline as the page shows it, else the title. */
function articleMarkdown(heading: string | null, html: string): string {
  const body = htmlToMarkdown(html);
  return heading ? `# ${heading.replace(/\s+/g, ' ').trim()}\n\n${body}` : body;
}

/** Label an analysed page and assemble its article. */
export function articleFrom(analysis: PageAnalysis, model: Model, url: string | null): Article {
  const kept = analysis.readabilityFound ? analysis.kept : null;
  const verdicts = classifyBlocks(analysis.blocks, analysis.features, model, kept);
  const region = fallbackRegion(
    analysis.blocks,
    verdicts.map((verdict) => ({ label: verdict.label, editorial: verdict.scores.editorial })),
    kept,
  );
  // No editorial block on a page with text: its likeliest main region, as editorial at the
  // confidence the model gave it, with the label it had before (Article.fallback says so).
  for (const i of region ?? []) {
    const verdict = verdicts[i];
    verdicts[i] = { ...verdict, label: 'editorial', confidence: verdict.scores.editorial, rawLabel: verdict.rawLabel ?? verdict.label };
  }
  const blocks: LabeledBlock[] = analysis.blocks.map((block, i) => ({
    index: block.index,
    path: block.path,
    tag: block.tag,
    text: block.text,
    html: block.html,
    label: verdicts[i].label,
    confidence: verdicts[i].confidence,
    scores: verdicts[i].scores,
    rawLabel: verdicts[i].rawLabel,
    smoothedBy: verdicts[i].smoothedBy,
    readability: Math.round(analysis.kept[i] * 1000) / 1000,
    listingSize: block.listingSize,
    listingKey: block.listingKey,
    topFeatures: verdicts[i].topFeatures,
  }));
  const { body, headline } = bodyBlocks(analysis.blocks.filter((_, i) => verdicts[i].label === 'editorial'), analysis.metadata.title, analysis.metadata.excerpt);
  const html = assembleHtml(body);
  const counts = Object.fromEntries(LABELS.map((label) => [label, 0])) as Record<Label, number>;
  analysis.blocks.forEach((block, i) => (counts[verdicts[i].label] += block.wordCount));
  return {
    url,
    ...analysis.metadata,
    text: assembleText(body),
    html,
    markdown: articleMarkdown(headline ?? analysis.metadata.title, html),
    blocks,
    model: model.version,
    engine: analysis.engine ?? DEFAULT_ENGINE,
    counts,
    fallback: region !== null,
  };
}
