/**
 * Promo report: how much of each gold label's text a reader would see, on pages the model was
 * not trained on (held-out cross-validation folds of the fixtures).
 *
 * Every page is labeled by the model of the fold that held it out (fitted on the other folds,
 * with the temperature and promo bias cross-validation chose, as the shipped model is). What the
 * user sees is the page's title plus the article text: the editorial blocks that `bodyBlocks`
 * keeps in the body, and the headline blocks it folds into the title. A block is **shown** when
 * it is one of those, or when it is a gold-editorial block whose text is the title (the title
 * line is shown whatever the labels say, so the headline reaches the reader through it; a
 * chrome copy of the title is not counted as leaked). Shares are in words (`Block.wordCount`), summed over blocks:
 *
 * - **editorial kept** = words of gold-editorial blocks shown / words of gold-editorial blocks
 *   that perfect labels would show (the same rule applied to the gold editorial blocks: a dek
 *   that `bodyBlocks` leaves to the excerpt is not counted either way);
 * - **promo leaked** = words of gold-promo blocks shown / words of gold-promo blocks;
 * - **boilerplate leaked** = words of gold-boilerplate blocks shown / words of gold-boilerplate
 *   blocks.
 *
 * Per pattern (`meta.json` `promo` and `boilerplate` names, which name what a page holds, not
 * which block is which): the leaked words of that label on the pages listing the pattern, and
 * the leaked lines. Per trap (`meta.json` `traps`): editorial words lost on the pages listing it.
 */
import { classifyBlocks } from '../classify/classify.js';
import { bodyBlocks } from '../extract/body.js';
import type { Block } from '../segment/block.js';
import { isHeadlineOf, sameText } from '../text/headline.js';
import { comparable } from '../text/normalize.js';
import type { LabeledPage } from '../train/fixtures.js';
import { crossValidate, fitModel, pageFolds } from '../train/train.js';
import type { Label } from '../types.js';

/** Words of one gold label: how many a perfect labeling shows (`expected`), how many are shown. */
export interface LabelWords {
  total: number;
  expected: number;
  shown: number;
}

/** One page's shares and the lines that went the wrong way. */
export interface PagePromoReport {
  slug: string;
  language: string;
  promoPatterns: string[];
  boilerplatePatterns: string[];
  traps: string[];
  words: Record<Label, LabelWords>;
  /** Gold-promo lines shown to the reader. */
  promoLeaks: string[];
  /** Gold-boilerplate lines shown to the reader. */
  boilerplateLeaks: string[];
  /** Gold-editorial lines a perfect labeling shows that were not shown. */
  editorialLost: string[];
}

/** One pattern's pages and leaked (or, for traps, lost) words among them. */
export interface PatternReport {
  pattern: string;
  pages: number;
  words: number;
  /** Leaked words (promo, boilerplate patterns) or lost words (traps). */
  affected: number;
  lines: string[];
}

export interface PromoReport {
  method: string;
  pages: PagePromoReport[];
  /** editorial kept, promo leaked, boilerplate leaked over all pages (word-weighted). */
  editorialKept: number;
  promoLeaked: number;
  boilerplateLeaked: number;
  promoPatterns: PatternReport[];
  boilerplatePatterns: PatternReport[];
  traps: PatternReport[];
}

export interface PromoReportOptions {
  folds?: number;
  seed?: number;
  /** Report only pages whose slug matches (all pages still train). */
  only?: RegExp;
}

/** Longest leaked line quoted in a report. */
const QUOTE_CHARS = 90;

/**
 * Label every fixture page with its held-out fold's model and measure what the reader sees (see
 * the file comment for the definitions).
 */
export function promoReport(pages: LabeledPage[], options: PromoReportOptions = {}): PromoReport {
  const folds = options.folds ?? 5;
  const seed = options.seed ?? 1;
  const validation = crossValidate(pages, { folds, seed });
  const reports: PagePromoReport[] = [];
  for (const held of pageFolds(pages, folds, seed)) {
    const model = fitModel(
      pages.filter((page) => !held.includes(page)),
      { temperature: validation.temperature, bias: validation.bias },
    );
    for (const page of held) {
      if (options.only && !options.only.test(page.slug)) continue;
      const kept = page.analysis.readabilityFound ? page.analysis.kept : null;
      const predicted = classifyBlocks(page.analysis.blocks, page.analysis.features, model, kept).map((verdict) => verdict.label);
      reports.push(pageReport(page, predicted));
    }
  }
  reports.sort((a, b) => a.slug.localeCompare(b.slug));
  const sum = (label: Label, field: keyof LabelWords) => reports.reduce((total, page) => total + page.words[label][field], 0);
  return {
    method: `${folds}-fold cross-validation by page (${pages.length} pages, seed ${seed}), ${reports.length} reported`,
    pages: reports,
    editorialKept: share(sum('editorial', 'shown'), sum('editorial', 'expected')),
    promoLeaked: share(sum('promo', 'shown'), sum('promo', 'total')),
    boilerplateLeaked: share(sum('boilerplate', 'shown'), sum('boilerplate', 'total')),
    promoPatterns: byPattern(reports, (page) => page.promoPatterns, (page) => [page.words.promo.total, page.words.promo.shown], (page) => page.promoLeaks),
    boilerplatePatterns: byPattern(
      reports,
      (page) => page.boilerplatePatterns,
      (page) => [page.words.boilerplate.total, page.words.boilerplate.shown],
      (page) => page.boilerplateLeaks,
    ),
    traps: byPattern(
      reports,
      (page) => page.traps,
      (page) => [page.words.editorial.expected, page.words.editorial.expected - page.words.editorial.shown],
      (page) => page.editorialLost,
    ),
  };
}

/**
 * Blocks the reader sees when `editorial` are the blocks labeled editorial: the body, and any
 * of `titled` whose text the title line shows (the title is shown whatever the labels say).
 */
export function shownBlocks(titled: Block[], editorial: Block[], title: string | null, excerpt: string | null): Set<Block> {
  const { body } = bodyBlocks(editorial, title, excerpt);
  const shown = new Set(body);
  if (title) {
    const titleText = comparable(title);
    for (const block of titled) {
      if (shown.has(block)) continue;
      const text = comparable(block.text);
      if (sameText(text, titleText) || (block.headingLevel > 0 && isHeadlineOf(text, titleText))) shown.add(block);
    }
  }
  return shown;
}

function pageReport(page: LabeledPage, predicted: Label[]): PagePromoReport {
  const { blocks, metadata } = page.analysis;
  const goldEditorial = blocks.filter((_, i) => page.gold[i] === 'editorial');
  const shown = shownBlocks(goldEditorial, blocks.filter((_, i) => predicted[i] === 'editorial'), metadata.title, metadata.excerpt);
  const expected = shownBlocks(goldEditorial, goldEditorial, metadata.title, metadata.excerpt);
  const empty = (): LabelWords => ({ total: 0, expected: 0, shown: 0 });
  const words: Record<Label, LabelWords> = { editorial: empty(), promo: empty(), boilerplate: empty() };
  const report: PagePromoReport = {
    slug: page.slug,
    language: page.meta.language,
    promoPatterns: page.meta.promo ?? [],
    boilerplatePatterns: page.meta.boilerplate ?? [],
    traps: page.meta.traps ?? [],
    words,
    promoLeaks: [],
    boilerplateLeaks: [],
    editorialLost: [],
  };
  blocks.forEach((block, i) => {
    const gold = page.gold[i];
    const entry = words[gold];
    const isShown = shown.has(block);
    entry.total += block.wordCount;
    if (gold === 'editorial') {
      if (!expected.has(block)) return;
      entry.expected += block.wordCount;
      if (isShown) entry.shown += block.wordCount;
      else report.editorialLost.push(quote(block.text));
      return;
    }
    if (!isShown) return;
    entry.shown += block.wordCount;
    (gold === 'promo' ? report.promoLeaks : report.boilerplateLeaks).push(quote(block.text));
  });
  return report;
}

function byPattern(
  pages: PagePromoReport[],
  patternsOf: (page: PagePromoReport) => string[],
  counts: (page: PagePromoReport) => [number, number],
  linesOf: (page: PagePromoReport) => string[],
): PatternReport[] {
  const patterns = new Map<string, PatternReport>();
  for (const page of pages) {
    const [words, affected] = counts(page);
    for (const name of new Set(patternsOf(page))) {
      let entry = patterns.get(name);
      if (!entry) patterns.set(name, (entry = { pattern: name, pages: 0, words: 0, affected: 0, lines: [] }));
      entry.pages++;
      entry.words += words;
      entry.affected += affected;
      for (const line of linesOf(page)) entry.lines.push(`${page.slug}: ${line}`);
    }
  }
  return [...patterns.values()].sort((a, b) => b.affected - a.affected || a.pattern.localeCompare(b.pattern));
}

function share(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}

function quote(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > QUOTE_CHARS ? `${line.slice(0, QUOTE_CHARS - 1)}…` : line;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

/** The report as text: totals against the targets, per page, per pattern, traps. */
export function formatPromoReport(report: PromoReport, options: { lines?: number } = {}): string {
  const maxLines = options.lines ?? 5;
  const out: string[] = [report.method, ''];
  out.push(`editorial kept     ${percent(report.editorialKept).padStart(6)}   (target >= 99%)`);
  out.push(`promo leaked       ${percent(report.promoLeaked).padStart(6)}   (target <= 1%)`);
  out.push(`boilerplate leaked ${percent(report.boilerplateLeaked).padStart(6)}   (target <= 2%)`);
  out.push('', 'per page: editorial kept, promo leaked, boilerplate leaked (words)');
  for (const page of report.pages) {
    const { editorial, promo, boilerplate } = page.words;
    const cell = (value: number, whole: number) => (whole === 0 ? '-' : percent(share(value, whole))).padStart(7);
    out.push(
      `  ${page.slug.padEnd(40)} ${page.language.padEnd(3)}${cell(editorial.shown, editorial.expected)}${cell(promo.shown, promo.total)}${cell(boilerplate.shown, boilerplate.total)}`,
    );
  }
  const section = (title: string, rows: PatternReport[], verb: string) => {
    out.push('', title);
    for (const row of rows) {
      out.push(`  ${row.pattern.padEnd(24)} ${String(row.pages).padStart(3)} pages  ${verb} ${row.affected}/${row.words} words (${percent(share(row.affected, row.words))})`);
      for (const line of row.lines.slice(0, maxLines)) out.push(`      ${line}`);
      if (row.lines.length > maxLines) out.push(`      … ${row.lines.length - maxLines} more`);
    }
  };
  section('promo patterns: leaked', report.promoPatterns, 'leaked');
  section('boilerplate patterns: leaked', report.boilerplatePatterns, 'leaked');
  section('traps: editorial lost', report.traps, 'lost');
  return out.join('\n');
}
