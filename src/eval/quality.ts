/**
 * Pure helpers of the quality benchmark (`bench/quality.ts`): run extractors on a page without
 * letting one failure stop the others, score them, rank the pages where one extractor loses most
 * against another, and format plain-text tables.
 */
import {
  aggregate,
  pageF1,
  pagePrecisionRecall,
  scoreText,
  type AggregateScore,
  type PageScore,
} from './text-metric.js';

/** One extractor's outcome on one page. */
export interface ExtractorResult extends PageScore {
  /** Page precision, null when the prediction is empty (not counted in the mean). */
  precision: number | null;
  /** Page recall, null when the truth is empty (not counted in the mean). */
  recall: number | null;
  /** Page F1 (2TP/(2TP+FP+FN)), used to rank pages only. */
  f1: number;
  /** Error message when the extractor threw (its prediction is then empty). */
  error: string | null;
  /** Wall time of the extraction. Unit: milliseconds. */
  ms: number;
  /** Length of the predicted text. Unit: characters. */
  chars: number;
}

/** All extractors' outcomes on one page. */
export interface PageResult {
  id: string;
  url: string;
  results: Record<string, ExtractorResult>;
}

/** Something that turns a page into article text. */
export type Extractor = (html: string, url: string | undefined) => string;

/**
 * Runs one extractor on a page and scores it; an exception becomes an empty prediction with the
 * error recorded.
 *
 * @param extract - The extractor.
 * @param html - Page HTML.
 * @param url - Page URL, if known.
 * @param truth - Ground-truth article text.
 * @param now - Clock in milliseconds (injectable for tests).
 * @returns The scored outcome.
 */
export function runExtractor(
  extract: Extractor,
  html: string,
  url: string | undefined,
  truth: string,
  now: () => number = () => performance.now(),
): ExtractorResult {
  const start = now();
  let text = '';
  let error: string | null = null;
  try {
    text = extract(html, url);
    if (typeof text !== 'string') throw new TypeError(`extractor returned ${typeof text}, not text`);
  } catch (err) {
    text = '';
    error = describeError(err);
  }
  const ms = now() - start;
  const score = scoreText(text, truth);
  return { ...score, ...pagePrecisionRecall(score), f1: pageF1(score), error, ms, chars: text.length };
}

/** A one-line description of a thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const prefix = typeof code === 'string' ? `${err.name} [${code}]` : err.name;
    return `${prefix}: ${err.message.split('\n')[0]}`;
  }
  return String(err);
}

/** One row of the summary table. */
export interface SummaryRow extends AggregateScore {
  extractor: string;
  /** Pages where the extractor threw. Unit: pages. */
  errors: number;
  /** Mean extraction time. Unit: milliseconds per page. */
  meanMs: number;
}

/**
 * Aggregates each extractor's page results with the benchmark metric.
 *
 * @param pages - Page results.
 * @param extractors - Names of the extractors, in row order.
 * @returns One row per extractor (pages where it has no result are skipped for that row).
 */
export function summarize(pages: readonly PageResult[], extractors: readonly string[]): SummaryRow[] {
  return extractors.map((extractor) => {
    const results = pages.flatMap((page) => (page.results[extractor] ? [page.results[extractor]] : []));
    const totalMs = results.reduce((sum, r) => sum + r.ms, 0);
    return {
      extractor,
      ...aggregate(results),
      errors: results.filter((r) => r.error !== null).length,
      meanMs: results.length > 0 ? totalMs / results.length : 0,
    };
  });
}

/** A page where `subject` does worse than `baseline`. */
export interface Regression {
  id: string;
  url: string;
  /** subject F1 - baseline F1 on the page (negative = subject worse). */
  deltaF1: number;
  subject: ExtractorResult;
  baseline: ExtractorResult;
}

/**
 * The pages where `subject` is worst relative to `baseline`, by page F1 difference.
 *
 * @param pages - Page results holding both extractors.
 * @param subject - Extractor under test (e.g. "winnow").
 * @param baseline - Extractor compared against (e.g. "readability").
 * @param n - How many pages to return (default 10).
 * @returns Up to `n` pages, most negative F1 difference first (ties by id), including pages where
 *   the subject is not worse when fewer than `n` are.
 */
export function worstPages(pages: readonly PageResult[], subject: string, baseline: string, n = 10): Regression[] {
  const rows: Regression[] = [];
  for (const page of pages) {
    const s = page.results[subject];
    const b = page.results[baseline];
    if (!s || !b) continue;
    rows.push({ id: page.id, url: page.url, deltaF1: s.f1 - b.f1, subject: s, baseline: b });
  }
  rows.sort((x, y) => x.deltaF1 - y.deltaF1 || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return rows.slice(0, n);
}

/**
 * Removes fixture labels (`data-winnow-label="..."`) from a page, so an extractor never sees them.
 *
 * @param html - A fixture page.
 * @returns The page without any `data-winnow-label` attribute.
 */
export function stripFixtureLabels(html: string): string {
  return html.replace(/\s+data-winnow-label(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?(?=[\s/>])/gi, '');
}

/**
 * Shortens a content-hash page id (32+ hex digits) to its first 16 digits, enough to find the
 * file; other ids (fixture slugs) are kept whole.
 */
export function shortId(id: string): string {
  return /^[0-9a-f]{32,}$/i.test(id) ? id.slice(0, 16) : id;
}

/** Formats a 0..1 value (or null, shown as "-") with 3 decimals. */
export function fmt(value: number | null): string {
  return value === null ? '-' : value.toFixed(3);
}

/**
 * Lays out rows as a plain-text table: first column left-aligned, the rest right-aligned.
 *
 * @param header - Column titles.
 * @param rows - Cells, one array per row.
 * @returns The table, lines joined by "\n", no trailing newline.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]) =>
    widths
      .map((w, i) => (i === 0 ? (row[i] ?? '').padEnd(w) : (row[i] ?? '').padStart(w)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/**
 * The summary table: extractor, F1, precision, recall, empty predictions, pages (plus errors and
 * mean time, to read the rest in context).
 *
 * @param rows - Output of {@link summarize}.
 * @returns The formatted table.
 */
export function summaryTable(rows: readonly SummaryRow[]): string {
  return formatTable(
    ['extractor', 'F1', 'precision', 'recall', 'empty', 'pages', 'errors', 'ms/page'],
    rows.map((r) => [
      r.extractor,
      fmt(r.f1),
      fmt(r.precision),
      fmt(r.recall),
      String(r.empty),
      String(r.pages),
      String(r.errors),
      r.meanMs.toFixed(0),
    ]),
  );
}

/**
 * The table of pages where `subject` loses most against `baseline`.
 *
 * @param rows - Output of {@link worstPages}.
 * @param subject - Subject's column label.
 * @param baseline - Baseline's column label.
 * @returns The formatted table.
 */
export function regressionTable(rows: readonly Regression[], subject: string, baseline: string): string {
  return formatTable(
    ['id', `${subject} P`, `${subject} R`, `${baseline} P`, `${baseline} R`, 'ΔF1'],
    rows.map((r) => [
      shortId(r.id),
      fmt(r.subject.precision) + (r.subject.error ? '!' : ''),
      fmt(r.subject.recall),
      fmt(r.baseline.precision) + (r.baseline.error ? '!' : ''),
      fmt(r.baseline.recall),
      (r.deltaF1 >= 0 ? '+' : '') + r.deltaF1.toFixed(3),
    ]),
  );
}
