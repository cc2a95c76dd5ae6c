/**
 * The WCXB benchmark on held-out folds: pages are split by page into k folds; each fold's model
 * is trained on every fixture page plus the other folds' aligned corpus pages, and the held-out
 * pages go through the full pipeline (`articleFrom`) with it. Scored with the WCXB word metric
 * (title line + body text), beside bare Readability and the alignment oracle.
 */
import { oracleText, type AlignedCorpus } from '../corpus/aligned-corpus.js';
import type { AlignedPage } from '../corpus/wcxb.js';
import { articleFrom } from '../pipeline.js';
import type { LabeledPage } from '../train/fixtures.js';
import { fitModel, pageFolds, type TrainModelOptions } from '../train/train.js';
import { formatTable, fmt } from './quality.js';
import { aggregateWords, scoreWordPage, type WordAggregate, type WordPageScore } from './word-metric.js';

export const WINNOW = 'winnow';
export const READABILITY = 'readability';
export const ORACLE = 'oracle (aligned labels)';

/** One page's scores per extractor. */
export interface WcxbPageResult {
  id: string;
  pageType: string;
  scores: Record<string, WordPageScore>;
}

export interface WcxbBenchOptions extends TrainModelOptions {
  onFold?: (done: number, total: number) => void;
}

/**
 * Held-out scores of every corpus page: k folds by page, each fold's model fitted on the
 * fixtures plus the other folds' corpus pages (temperature and bias as given in `options`).
 */
export function crossValidateWcxb(corpus: AlignedCorpus, fixtures: LabeledPage[], options: WcxbBenchOptions = {}): WcxbPageResult[] {
  const folds = pageFolds(corpus.pages, options.folds ?? 5, options.seed) as AlignedPage[][];
  const results: WcxbPageResult[] = [];
  folds.forEach((held, f) => {
    const heldIds = new Set(held.map((page) => page.slug));
    const train = corpus.pages.filter((page) => !heldIds.has(page.slug));
    const model = fitModel(fixtures, { ...options, extraPages: train });
    for (const page of held) {
      const truth = { text: page.corpusPage.truth, with: page.corpusPage.with, without: page.corpusPage.without };
      const article = articleFrom(page.analysis, model, page.corpusPage.url || null);
      const readability = corpus.readability.get(page.corpusPage.id);
      const scores: Record<string, WordPageScore> = {
        [WINNOW]: scoreWordPage(`${article.title ?? ''}\n${article.text}`, truth),
        [ORACLE]: scoreWordPage(oracleText(page), truth),
      };
      if (readability) scores[READABILITY] = scoreWordPage(`${readability.title ?? ''}\n${readability.text}`, truth);
      results.push({ id: page.corpusPage.id, pageType: page.corpusPage.pageType, scores });
    }
    options.onFold?.(f + 1, folds.length);
  });
  // Pages the pipeline could not analyse are answered empty.
  for (const skipped of corpus.skipped) {
    results.push({ id: skipped.id, pageType: 'unknown', scores: { [WINNOW]: emptyScore(), [ORACLE]: emptyScore() } });
  }
  return results.sort((a, b) => a.id.localeCompare(b.id));
}

function emptyScore(): WordPageScore {
  return { precision: 0, recall: 0, f1: 0, empty: true, withRate: null, withoutRate: null };
}

/** Aggregate per extractor, overall and per page type. */
export function summarizeWcxb(results: readonly WcxbPageResult[], extractors: readonly string[]): { overall: Record<string, WordAggregate>; byType: Record<string, Record<string, WordAggregate>> } {
  const of = (list: readonly WcxbPageResult[], name: string) => aggregateWords(list.flatMap((r) => (r.scores[name] ? [r.scores[name]] : [])));
  const overall = Object.fromEntries(extractors.map((name) => [name, of(results, name)]));
  const types = [...new Set(results.map((r) => r.pageType))].sort();
  const byType = Object.fromEntries(
    types.map((type) => {
      const list = results.filter((r) => r.pageType === type);
      return [type, Object.fromEntries(extractors.map((name) => [name, of(list, name)]))];
    }),
  );
  return { overall, byType };
}

const pct = (value: number | null) => (value === null ? '-' : `${(value * 100).toFixed(1)}%`);

/** Overall table: F1, P, R, with, without, empty, pages per extractor. */
export function wcxbTable(overall: Record<string, WordAggregate>): string {
  return formatTable(
    ['extractor', 'F1', 'P', 'R', 'with', 'without', 'empty', 'pages'],
    Object.entries(overall).map(([name, a]) => [name, fmt(a.f1), fmt(a.precision), fmt(a.recall), pct(a.withRate), pct(a.withoutRate), String(a.empty), String(a.pages)]),
  );
}

/** Per page type: F1 of each extractor (and P/R of winnow), pages. */
export function wcxbTypeTable(byType: Record<string, Record<string, WordAggregate>>, extractors: readonly string[]): string {
  return formatTable(
    ['type', 'pages', ...extractors.map((name) => `${name} F1`), `${WINNOW} P`, `${WINNOW} R`, `${WINNOW} without`],
    Object.entries(byType)
      .sort((a, b) => b[1][WINNOW].pages - a[1][WINNOW].pages)
      .map(([type, row]) => [
        type,
        String(row[WINNOW].pages),
        ...extractors.map((name) => (row[name] ? fmt(row[name].f1) : '-')),
        fmt(row[WINNOW].precision),
        fmt(row[WINNOW].recall),
        pct(row[WINNOW].withoutRate),
      ]),
  );
}

/** The pages of a type where winnow's F1 is lowest, with the oracle's beside it. */
export function worstWcxbPages(results: readonly WcxbPageResult[], n = 10): WcxbPageResult[] {
  return [...results].sort((a, b) => a.scores[WINNOW].f1 - b.scores[WINNOW].f1).slice(0, n);
}
