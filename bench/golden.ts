/**
 * Golden digest: what `moderate()` returns for every fixture page and every corpus page, written
 * to one JSON file, so a change meant to make the pipeline faster can be shown to leave its
 * output exactly as it was.
 *
 *   node dist/bench/golden.js --out FILE [--compare BASELINE] [--engine linkedom|jsdom|both]
 *
 * Per page and engine the digest keeps the article (metadata, text, html, markdown, counts) and
 * every block (path, tag, label, confidence rounded to 1e-9, scores, smoothing, Readability
 * share, listing, topFeatures, text, html), plus a hash of each block's feature bag in insertion
 * order (Naive Bayes sums in that order). With `--compare`, every field is checked against the
 * baseline and the first differences are printed; the exit code is 1 when anything differs.
 *
 * Fixture pages are moderated as they are (`data-winnow-label` is not read by `moderate`). The
 * corpus (../shared/corpus/scrapinghub-dev, or WINNOW_CORPUS_DIR) is skipped cleanly when absent.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { loadModel } from '../src/classify/model.js';
import { corpusDir, loadCorpus } from '../src/eval/corpus.js';
import { describeError } from '../src/eval/quality.js';
import { analyzePage, moderate } from '../src/pipeline.js';
import { loadFixtures } from '../src/train/fixtures.js';
import type { Article, EngineName } from '../src/types.js';

const USAGE = 'usage: node dist/bench/golden.js --out FILE [--compare BASELINE] [--engine linkedom|jsdom|both]';

/** How many differing fields are printed before the rest are only counted. */
const MAX_PRINTED_DIFFERENCES = 20;

interface GoldenPage {
  id: string;
  url: string | undefined;
  html: string;
}

/** One page's output on one engine, reduced to plain comparable values. */
type PageDigest = Record<string, unknown>;

interface GoldenFile {
  model: string;
  engines: EngineName[];
  /** `<engine> <source>/<id>` → digest. */
  pages: Record<string, PageDigest>;
}

function goldenPages(): { source: string; pages: GoldenPage[] }[] {
  const sets = [
    {
      source: 'fixtures',
      pages: loadFixtures().map((page) => ({ id: page.slug, url: page.meta.url || undefined, html: page.html })),
    },
  ];
  const dir = corpusDir();
  if (dir === null) {
    console.log('corpus not found: fixture pages only');
  } else {
    sets.push({ source: 'corpus', pages: loadCorpus(dir).map((page) => ({ id: page.id, url: page.url || undefined, html: page.html })) });
  }
  return sets;
}

function roundTo(value: number, step: number): number {
  return Math.round(value / step) * step;
}

function articleDigest(article: Article): PageDigest {
  const { blocks, ...rest } = article;
  return {
    ...rest,
    blocks: blocks.map((block) => ({ ...block, confidence: roundTo(block.confidence, 1e-9) })),
  };
}

/** sha256 of each block's feature bag, tokens in insertion order. */
function featureHashes(html: string, url: string | undefined, engine: EngineName): string[] {
  const analysis = analyzePage(html, { url, engine });
  return analysis.features.map((bag) => createHash('sha256').update(JSON.stringify([...bag])).digest('hex').slice(0, 16));
}

function digestPage(page: GoldenPage, engine: EngineName, model: ReturnType<typeof loadModel>): PageDigest {
  try {
    const article = moderate(page.html, { url: page.url, engine, model });
    return { ...articleDigest(article), featureHashes: featureHashes(page.html, page.url, engine) };
  } catch (err) {
    return { error: describeError(err) };
  }
}

/** Every path where two JSON values differ, as `path: before → after` (values shortened). */
function differences(before: unknown, after: unknown, path: string, out: string[]): void {
  if (Object.is(before, after)) return;
  const bothObjects = typeof before === 'object' && before !== null && typeof after === 'object' && after !== null;
  if (bothObjects && Array.isArray(before) === Array.isArray(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of keys) differences((before as Record<string, unknown>)[key], (after as Record<string, unknown>)[key], `${path}.${key}`, out);
    return;
  }
  const show = (value: unknown) => {
    const text = JSON.stringify(value) ?? 'undefined';
    return text.length > 160 ? `${text.slice(0, 160)}…` : text;
  };
  out.push(`${path}: ${show(before)} → ${show(after)}`);
}

function compare(baseline: GoldenFile, current: GoldenFile): string[] {
  const out: string[] = [];
  if (baseline.model !== current.model) out.push(`model: ${baseline.model} → ${current.model}`);
  for (const key of new Set([...Object.keys(baseline.pages), ...Object.keys(current.pages)])) {
    // A page on one side only is reported, unless its engine was not run on the other side.
    if (!(key in current.pages) || !(key in baseline.pages)) {
      const engine = key.slice(0, key.indexOf(' ')) as EngineName;
      if (baseline.engines.includes(engine) && current.engines.includes(engine)) out.push(`${key}: only in ${key in current.pages ? 'current' : 'baseline'}`);
      continue;
    }
    differences(baseline.pages[key], current.pages[key], key, out);
  }
  return out;
}

function parseCli(): { out: string; compareWith: string | null; engines: EngineName[] } {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      compare: { type: 'string' },
      engine: { type: 'string', default: 'both' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!values.out) throw new Error('--out FILE is required');
  const engine = values.engine;
  if (engine !== 'linkedom' && engine !== 'jsdom' && engine !== 'both') throw new Error(`--engine must be linkedom, jsdom or both, got ${engine}`);
  return { out: resolve(values.out), compareWith: values.compare ? resolve(values.compare) : null, engines: engine === 'both' ? ['linkedom', 'jsdom'] : [engine] };
}

function main(): void {
  const cli = parseCli();
  const model = loadModel();
  const sets = goldenPages();
  const golden: GoldenFile = { model: model.version, engines: cli.engines, pages: {} };
  for (const engine of cli.engines) {
    const started = performance.now();
    let count = 0;
    for (const { source, pages } of sets) {
      for (const page of pages) {
        golden.pages[`${engine} ${source}/${page.id}`] = digestPage(page, engine, model);
        count++;
      }
    }
    console.log(`${engine}: ${count} pages in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  writeFileSync(cli.out, JSON.stringify(golden) + '\n');
  console.log(`digest written to ${cli.out}`);

  if (cli.compareWith === null) return;
  const baseline = JSON.parse(readFileSync(cli.compareWith, 'utf8')) as GoldenFile;
  const found = compare(baseline, golden);
  if (found.length === 0) {
    console.log(`identical to ${cli.compareWith} (${Object.keys(golden.pages).length} page digests)`);
    return;
  }
  for (const line of found.slice(0, MAX_PRINTED_DIFFERENCES)) console.log(`  ${line}`);
  if (found.length > MAX_PRINTED_DIFFERENCES) console.log(`  … and ${found.length - MAX_PRINTED_DIFFERENCES} more`);
  console.log(`DIFFERENT from ${cli.compareWith}: ${found.length} field(s)`);
  process.exitCode = 1;
}

try {
  main();
} catch (err) {
  console.error(`golden: ${describeError(err)}`);
  console.error(USAGE);
  process.exitCode = 1;
}
