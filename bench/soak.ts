/**
 * Memory soak: moderate many pages in one process, cycling the page set, and print the process
 * RSS and the V8 heap every so many pages, each read right after a full garbage collection, then
 * their slopes against pages. A flat slope means nothing is kept from one page to the next
 * (caches stay bounded, documents are freed).
 *
 *   node dist/bench/soak.js [--pages 10000] [--every 1000] [--engine linkedom|jsdom] [--source corpus|fixtures]
 *
 * The script runs itself again under `--expose-gc` when started without it: without a full
 * collection before each reading, RSS and heap follow the collector's schedule, not what is
 * kept. The slopes are least-squares fits over the checkpoints after the first one (the first
 * covers JIT warm-up and the caches filling). Pages are the corpus pages when present, otherwise
 * the fixture pages with their labels stripped. Also usable as a profiling driver:
 * `node --cpu-prof --cpu-prof-dir=DIR dist/bench/soak.js --pages 300`.
 *
 * bench/speed calls {@link runSoak}, which always runs the soak in a fresh child (under
 * `--expose-gc`), so the caller's own heap never counts; the child prints as the script does and
 * hands its figures back through a JSON file (hidden `--result FILE`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { loadModel } from '../src/classify/model.js';
import { corpusDir, loadCorpus } from '../src/eval/corpus.js';
import { describeError, formatTable, stripFixtureLabels } from '../src/eval/quality.js';
import { moderate } from '../src/pipeline.js';
import { loadFixtures } from '../src/train/fixtures.js';
import type { EngineName } from '../src/types.js';

/** Heap growth, after full collections, above which the run is reported as growing. Unit: MB per 1,000 pages. */
const FLAT_HEAP_SLOPE = 1;

const USAGE =
  'usage: node dist/bench/soak.js [--pages 10000] [--every 1000] [--engine linkedom|jsdom] [--source corpus|fixtures]';

export type SoakSource = 'corpus' | 'fixtures';

export interface SoakOptions {
  pages: number;
  /** Pages between checkpoints. */
  every: number;
  engine: EngineName;
  source: SoakSource;
}

interface SoakPage {
  id: string;
  url: string | undefined;
  html: string;
}

export interface Checkpoint {
  pages: number;
  /** Unit: MB. */
  rssMb: number;
  /** V8 heap in use. Unit: MB. */
  heapMb: number;
  /** Pages per second since the previous checkpoint. */
  pagesPerSecond: number;
}

export interface SoakResult {
  options: SoakOptions;
  /** Distinct pages cycled. */
  pageSet: number;
  checkpoints: Checkpoint[];
  /** Least-squares slopes after the first checkpoint; null with fewer than three checkpoints. Unit: MB per 1,000 pages. */
  rssSlope: number | null;
  heapSlope: number | null;
  /** Heap slope at most {@link FLAT_HEAP_SLOPE}; null without a slope. */
  flat: boolean | null;
  peakRssMb: number;
  errors: number;
  firstError: string | null;
}

function loadPages(source: SoakSource): SoakPage[] {
  if (source === 'corpus') {
    const dir = corpusDir();
    if (dir === null) throw new Error('corpus not found (../shared/corpus/scrapinghub-dev beside the repo, or WINNOW_CORPUS_DIR)');
    return loadCorpus(dir).map((page) => ({ id: page.id, url: page.url || undefined, html: page.html }));
  }
  return loadFixtures().map((page) => ({ id: page.slug, url: page.meta.url || undefined, html: stripFixtureLabels(page.html) }));
}

/** Least-squares slope of y against x. */
function slope(points: readonly { x: number; y: number }[]): number {
  if (points.length < 2) return 0;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / points.length;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / points.length;
  let numerator = 0;
  let denominator = 0;
  for (const p of points) {
    numerator += (p.x - meanX) * (p.y - meanY);
    denominator += (p.x - meanX) ** 2;
  }
  return denominator === 0 ? 0 : numerator / denominator;
}

const megabytes = (bytes: number) => bytes / 1024 ** 2;

function parseCli(): SoakOptions & { result: string | null } {
  const { values } = parseArgs({
    options: {
      result: { type: 'string' },
      pages: { type: 'string', default: '10000' },
      every: { type: 'string', default: '1000' },
      engine: { type: 'string', default: 'linkedom' },
      source: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const pages = Number(values.pages);
  const every = Number(values.every);
  if (!Number.isInteger(pages) || pages < 1) throw new Error(`--pages must be a positive integer, got ${values.pages}`);
  if (!Number.isInteger(every) || every < 1) throw new Error(`--every must be a positive integer, got ${values.every}`);
  if (values.engine !== 'linkedom' && values.engine !== 'jsdom') throw new Error(`--engine must be linkedom or jsdom, got ${values.engine}`);
  const source = values.source ?? (corpusDir() !== null ? 'corpus' : 'fixtures');
  if (source !== 'corpus' && source !== 'fixtures') throw new Error(`--source must be corpus or fixtures, got ${source}`);
  return { pages, every, engine: values.engine, source, result: values.result ?? null };
}

/** `global.gc` when the process runs with `--expose-gc`. */
function fullGc(): (() => void) | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  return typeof gc === 'function' ? gc : null;
}

/** Runs the soak script as a child under `--expose-gc`, output inherited; its exit status. */
function spawnSoak(options: SoakOptions, execArgv: readonly string[], resultFile: string | null): number {
  const self = fileURLToPath(import.meta.url);
  const args = ['--pages', String(options.pages), '--every', String(options.every), '--engine', options.engine, '--source', options.source];
  if (resultFile !== null) args.push('--result', resultFile);
  const child = spawnSync(process.execPath, ['--expose-gc', ...execArgv, self, ...args], { stdio: 'inherit' });
  return child.status ?? 1;
}

/** The soak in a fresh child process: it prints its progress, table and verdict; its figures are returned. */
export function runSoak(options: SoakOptions): SoakResult {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-bench-soak-'));
  try {
    const file = join(dir, 'result.json');
    const status = spawnSoak(options, [], file);
    if (status !== 0) throw new Error(`soak child exited with code ${status}`);
    return JSON.parse(readFileSync(file, 'utf8')) as SoakResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The soak itself, in this process (run with --expose-gc so `gc` is there). */
async function soakInProcess(cli: SoakOptions, gc: (() => void) | null): Promise<SoakResult> {
  const pages = loadPages(cli.source);
  if (pages.length === 0) throw new Error(`no ${cli.source} pages`);
  const model = loadModel();
  console.log(`soak: ${cli.pages} pages on ${cli.engine}, cycling ${pages.length} ${cli.source} pages`);
  gc?.();
  console.log(`start: RSS ${megabytes(process.memoryUsage().rss).toFixed(0)} MB, heap ${megabytes(process.memoryUsage().heapUsed).toFixed(0)} MB (modules, pages and model loaded)`);

  const checkpoints: Checkpoint[] = [];
  let errors = 0;
  let firstError: string | null = null;
  let since = performance.now();
  for (let done = 0; done < cli.pages; ) {
    const page = pages[done % pages.length];
    try {
      moderate(page.html, { url: page.url, engine: cli.engine, model });
    } catch (err) {
      errors++;
      firstError ??= `${page.id}: ${describeError(err)}`;
    }
    done++;
    // jsdom frees a closed window only once the event loop turns, as in `winnow run`.
    if (cli.engine === 'jsdom') await yieldToEventLoop();
    if (done % cli.every === 0 || done === cli.pages) {
      const now = performance.now();
      gc?.();
      const memory = process.memoryUsage();
      const previous = checkpoints[checkpoints.length - 1]?.pages ?? 0;
      checkpoints.push({
        pages: done,
        rssMb: megabytes(memory.rss),
        heapMb: megabytes(memory.heapUsed),
        pagesPerSecond: (done - previous) / ((now - since) / 1000),
      });
      since = performance.now();
      const last = checkpoints[checkpoints.length - 1];
      console.log(`${String(done).padStart(7)} pages  RSS ${last.rssMb.toFixed(0)} MB  heap ${last.heapMb.toFixed(0)} MB  ${last.pagesPerSecond.toFixed(1)} pages/s`);
    }
  }

  const fitted = checkpoints.slice(1).map((c) => ({ x: c.pages / 1000, rss: c.rssMb, heap: c.heapMb }));
  const rssSlope = slope(fitted.map((p) => ({ x: p.x, y: p.rss })));
  const heapSlope = slope(fitted.map((p) => ({ x: p.x, y: p.heap })));
  console.log('');
  console.log(
    formatTable(
      ['pages', 'RSS MB', 'heap MB', 'pages/s'],
      checkpoints.map((c) => [String(c.pages), c.rssMb.toFixed(0), c.heapMb.toFixed(0), c.pagesPerSecond.toFixed(1)]),
    ),
  );
  const peak = process.resourceUsage().maxRSS / 1024;
  const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;
  console.log(
    `\nslope after the first checkpoint: RSS ${signed(rssSlope)} MB per 1,000 pages, heap ${signed(heapSlope)} MB per 1,000 pages` +
      ` (${heapSlope <= FLAT_HEAP_SLOPE ? 'flat' : 'GROWING'}); peak RSS ${peak.toFixed(0)} MB; errors ${errors}`,
  );
  if (fitted.length < 2) console.log('(fewer than three checkpoints: no slope)');
  if (firstError !== null) console.log(`first error: ${firstError}`);
  const sloped = fitted.length >= 2;
  return {
    options: { pages: cli.pages, every: cli.every, engine: cli.engine, source: cli.source },
    pageSet: pages.length,
    checkpoints,
    rssSlope: sloped ? rssSlope : null,
    heapSlope: sloped ? heapSlope : null,
    flat: sloped ? heapSlope <= FLAT_HEAP_SLOPE : null,
    peakRssMb: peak,
    errors,
    firstError,
  };
}

async function main(): Promise<void> {
  const cli = parseCli();
  const gc = fullGc();
  if (gc === null && !process.execArgv.includes('--expose-gc')) {
    // Again under --expose-gc; the child prints everything, its errors included.
    process.exitCode = spawnSoak(cli, process.execArgv, cli.result);
    return;
  }
  const result = await soakInProcess(cli, gc);
  if (cli.result !== null) writeFileSync(cli.result, JSON.stringify(result));
}

// Run only when started as a script, not when bench/speed imports runSoak.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await main();
  } catch (err) {
    console.error(`soak: ${describeError(err)}`);
    console.error(USAGE);
    process.exitCode = 1;
  }
}
