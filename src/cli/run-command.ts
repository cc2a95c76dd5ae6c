import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import cliProgress from 'cli-progress';
import { loadModel, type Model } from '../classify/model.js';
import { errorCode } from '../errors.js';
import { moderateBytes } from '../pipeline.js';
import type { PageSource, Store } from '../storage/store.js';
import type { Article, EngineName } from '../types.js';
import { expandInputs, type Input } from './input-files.js';

export type OutputFormat = 'text' | 'html' | 'md';

export interface RunOptions {
  out?: string;
  json?: boolean;
  format?: OutputFormat;
  engine: EngineName;
  modelDir?: string;
  /** Where results are stored; null to store nothing. */
  store: Store | null;
  /** Stream for articles (stdout) and for progress and errors (stderr). */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export interface RunSummary {
  done: number;
  failed: { input: string; code: string; message: string }[];
}


/** The JSON written per page with `--out`, and printed with `--json`. */
export function articleJson(article: Article): object {
  return {
    url: article.url,
    title: article.title,
    byline: article.byline,
    publishedTime: article.publishedTime,
    siteName: article.siteName,
    lang: article.lang,
    excerpt: article.excerpt,
    text: article.text,
    html: article.html,
    markdown: article.markdown,
    blocks: article.blocks.map((block) => ({
      text: block.text,
      label: block.label,
      confidence: block.confidence,
      path: block.path,
      topFeatures: block.topFeatures,
    })),
    counts: article.counts,
    fallback: article.fallback,
    model: article.model,
    engine: article.engine,
  };
}

/**
 * `winnow run`: moderate pages inline, no queue. One page prints its article; with `--out` each
 * page is written as `<name>.json`. Every page, done or failed, is recorded in the store; a
 * failure is reported with its reason and the run goes on.
 */
export async function runCommand(args: string[], options: RunOptions): Promise<RunSummary> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const inputs = expandInputs(args);
  if (inputs.length === 0) throw new Error('no .html files found in the given inputs');
  const model = loadModel(options.modelDir);
  if (options.out) mkdirSync(options.out, { recursive: true });

  const bar = inputs.length > 1 && (stderr as NodeJS.WriteStream).isTTY
    ? new cliProgress.SingleBar({ stream: stderr as NodeJS.WriteStream, format: 'moderating [{bar}] {value}/{total} pages | {failed} failed' }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(inputs.length, 0, { failed: 0 });

  const summary: RunSummary = { done: 0, failed: [] };
  for (const input of inputs) {
    try {
      const article = await moderateInput(input, model, options);
      summary.done++;
      emitArticle(input, article, options, stdout, inputs.length);
      if (article.fallback && !bar) stderr.write(`winnow: ${input.location}: no block was labeled article; the text is the likeliest main region (fallback)\n`);
    } catch (error) {
      const failure = { input: input.location, code: errorCode(error), message: (error as Error).message };
      summary.failed.push(failure);
      if (!bar) stderr.write(`winnow: ${input.location}: ${failure.code}: ${failure.message}\n`);
    }
    bar?.increment(1, { failed: summary.failed.length });
    // jsdom frees a closed window's memory only once the event loop turns.
    await yieldToEventLoop();
  }
  bar?.stop();
  if (bar) for (const failure of summary.failed) stderr.write(`winnow: ${failure.input}: ${failure.code}: ${failure.message}\n`);
  if (inputs.length > 1) stderr.write(`${summary.done} done, ${summary.failed.length} failed\n`);
  return summary;
}

async function moderateInput(input: Input, model: Model, options: RunOptions): Promise<Article> {
  const { raw, url, contentType, source } = await readInput(input);
  const store = options.store;
  const stored = store ? (await store.putPage({ url, name: input.location, source, raw, contentType })).page : null;
  try {
    const article = moderateBytes(raw, { url: url ?? undefined, engine: options.engine, model, contentType });
    if (store && stored) await store.saveArticle(stored.id, article);
    return article;
  } catch (error) {
    if (store && stored) await store.saveFailure(stored.id, { code: errorCode(error), message: (error as Error).message });
    throw error;
  }
}

async function readInput(input: Input): Promise<{ raw: Uint8Array; url: string | null; contentType: string | null; source: PageSource }> {
  if (input.kind === 'file') return { raw: readFileSync(input.location), url: null, contentType: null, source: 'file' };
  const { fetchPage } = await import('../fetch/fetch-page.js');
  const page = await fetchPage(input.location);
  return { raw: page.body, url: page.url, contentType: page.contentType, source: 'url' };
}

function emitArticle(input: Input, article: Article, options: RunOptions, stdout: NodeJS.WritableStream, total: number): void {
  if (options.out) {
    writeFileSync(join(options.out, `${input.name}.json`), `${JSON.stringify(articleJson(article), null, 2)}\n`);
    return;
  }
  if (options.json) {
    stdout.write(`${JSON.stringify(articleJson(article), null, total > 1 ? 0 : 2)}\n`);
    return;
  }
  if (total > 1) stdout.write(`==> ${input.location} <==\n`);
  const body = options.format === 'html' ? article.html : options.format === 'md' ? article.markdown : article.text;
  const plain = options.format === 'text' || !options.format;
  const heading = plain && article.title && !article.text.startsWith(article.title) ? `${article.title}\n\n` : '';
  stdout.write(`${heading}${body}\n`);
}
