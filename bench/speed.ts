/**
 * Speed benchmark: time and peak memory per page of each DOM engine and each stage of the
 * pipeline, side by side, over the same pages as bench/quality.
 *
 *   node dist/bench/speed.js [--pages corpus|fixtures] [--repeat N] [--json FILE]
 *
 * Stages:
 * - `parse`: preparePage + parsePage + dispose (limits, stripping, the DOM and freeing it);
 * - `parse+readability`: readabilityBaseline, bare Readability as bench/quality scores it. On
 *   jsdom (script and style stripped first) it is the reference every row is compared to;
 * - `winnow`: moderate(), the whole pipeline, with the model loaded once before timing.
 *
 * Every (engine, stage) runs in its own child process (this file, hidden `--child ENGINE STAGE`
 * mode), one after another, so peak RSS belongs to one configuration and timings never share a
 * core with another configuration. The corpus is read in place and only measured; the figures
 * hold times and sizes, never page text.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { corpusDir, CORPUS_ENV } from '../src/eval/corpus.js';
import { describeError, formatTable, stripFixtureLabels } from '../src/eval/quality.js';
import type { EngineName } from '../src/types.js';

const ENGINES: readonly EngineName[] = ['linkedom', 'jsdom'];
const STAGES = ['parse', 'parse+readability', 'winnow'] as const;
type Stage = (typeof STAGES)[number];
type PageSource = 'corpus' | 'fixtures';

/** The row every other row's time is divided by: bare Readability on jsdom. */
const REFERENCE = { engine: 'jsdom' as EngineName, stage: 'parse+readability' as Stage };

/** Passes over the page set; 3 x 50 corpus pages keeps a full run near two minutes on 2 cores. */
const DEFAULT_REPEAT = 3;

const USAGE = 'usage: node dist/bench/speed.js [--pages corpus|fixtures] [--repeat N] [--json FILE]';

/** What a child measures and sends back to the parent. */
interface ChildResult {
  engine: EngineName;
  stage: Stage;
  source: PageSource;
  /** Distinct pages in the set. */
  pages: number;
  repeat: number;
  /** UTF-8 size of the page set, once. Unit: bytes. */
  bytes: number;
  /** Time of each page, in run order (pages x repeat). Unit: milliseconds. */
  ms: number[];
  /** Wall time of the whole timed loop, yields included. Unit: milliseconds. */
  wallMs: number;
  /**
   * CPU time of the whole child process (user + system, all threads, GC helpers included) over the
   * timed loop. Steadier than wall time when other processes share the machine. Unit: milliseconds.
   */
  cpuMs: number;
  /** Pages that threw (timed all the same: the work was done). */
  errors: number;
  /** First error message, if any. */
  firstError: string | null;
  /** Peak RSS once pages (and the model) are loaded, before the timed loop. Unit: MB. */
  loadRssMb: number;
  /** Peak RSS of the child at the end. Unit: MB. */
  peakRssMb: number;
}

/** One row of the table. */
interface Row {
  engine: EngineName;
  stage: Stage;
  /** Pages timed (distinct pages x repeat). */
  runs: number;
  errors: number;
  p50Ms: number;
  p95Ms: number;
  meanMs: number;
  /** Process CPU time over the loop, per page. Unit: milliseconds. */
  cpuMsPerPage: number;
  pagesPerSecond: number;
  totalSeconds: number;
  loadRssMb: number;
  peakRssMb: number;
  /** Summed page time over the reference row's; null when the reference row is missing. */
  vsReadabilityJsdom: number | null;
  /** Why the child failed, when it did (the figures are then zero). */
  failure: string | null;
}

// ---------------------------------------------------------------------------------------------
// Pages

interface BenchPage {
  id: string;
  url: string | undefined;
  html: string;
}

async function loadPages(source: PageSource): Promise<BenchPage[]> {
  if (source === 'corpus') {
    const dir = corpusDir();
    if (dir === null) throw new Error(`corpus not found (../shared/corpus/scrapinghub-dev beside the repo, or ${CORPUS_ENV})`);
    const { loadCorpus } = await import('../src/eval/corpus.js');
    return loadCorpus(dir).map((page) => ({ id: page.id, url: page.url || undefined, html: page.html }));
  }
  const { loadFixtures } = await import('../src/train/fixtures.js');
  return loadFixtures().map((page) => ({ id: page.slug, url: page.meta.url || undefined, html: stripFixtureLabels(page.html) }));
}

// ---------------------------------------------------------------------------------------------
// Child: one engine, one stage

/** `process.resourceUsage().maxRSS` is in kilobytes. */
function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** The work of one stage on one page, bound to the engine (and model). */
async function stageRunner(engine: EngineName, stage: Stage): Promise<(page: BenchPage) => void> {
  if (stage === 'parse') {
    const [{ preparePage }, { parsePage }] = await Promise.all([import('../src/input/prepare.js'), import('../src/dom/engine.js')]);
    return (page) => parsePage(preparePage(page.html), { url: page.url, engine }).dispose();
  }
  if (stage === 'parse+readability') {
    const { readabilityBaseline } = await import('../src/extract/readability.js');
    return (page) => void readabilityBaseline(page.html, { url: page.url, engine });
  }
  const [{ loadModel }, { moderate }] = await Promise.all([import('../src/classify/model.js'), import('../src/pipeline.js')]);
  const model = loadModel();
  return (page) => void moderate(page.html, { url: page.url, engine, model });
}

async function runChild(engine: EngineName, stage: Stage, source: PageSource, repeat: number): Promise<ChildResult> {
  const pages = await loadPages(source);
  if (pages.length === 0) throw new Error(`no ${source} pages`);
  const run = await stageRunner(engine, stage);
  const loadRssMb = peakRssMb();
  const ms: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  for (let pass = 0; pass < repeat; pass++) {
    for (const page of pages) {
      const start = performance.now();
      try {
        run(page);
      } catch (err) {
        errors++;
        firstError ??= `${page.id}: ${describeError(err)}`;
      }
      ms.push(performance.now() - start);
      // jsdom frees a closed window's memory only once the event loop turns (as `winnow run` does).
      if (engine === 'jsdom') await yieldToEventLoop();
    }
  }
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  return {
    engine,
    stage,
    source,
    pages: pages.length,
    repeat,
    bytes: pages.reduce((sum, page) => sum + Buffer.byteLength(page.html, 'utf8'), 0),
    ms,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    errors,
    firstError,
    loadRssMb,
    peakRssMb: peakRssMb(),
  };
}

// ---------------------------------------------------------------------------------------------
// Parent: spawn the children one after another, then tabulate

/** Runs one configuration in a child process; resolves with its figures or rejects with why it failed. */
function spawnChild(engine: EngineName, stage: Stage, source: PageSource, repeat: number): Promise<ChildResult> {
  const self = fileURLToPath(import.meta.url);
  const args = [...process.execArgv, self, '--child', engine, stage, '--pages', source, '--repeat', String(repeat)];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    let result: ChildResult | null = null;
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('message', (message) => {
      result = message as ChildResult;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (result !== null && code === 0) resolvePromise(result);
      else {
        const last = stderr.trim().split('\n').slice(-3).join(' | ');
        reject(new Error(`child exited with ${signal ?? `code ${code}`}${last ? `: ${last}` : ''}`));
      }
    });
  });
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function toRow(result: ChildResult): Row {
  const sorted = [...result.ms].sort((a, b) => a - b);
  const sum = result.ms.reduce((a, b) => a + b, 0);
  return {
    engine: result.engine,
    stage: result.stage,
    runs: result.ms.length,
    errors: result.errors,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    meanMs: result.ms.length > 0 ? sum / result.ms.length : 0,
    cpuMsPerPage: result.ms.length > 0 ? result.cpuMs / result.ms.length : 0,
    pagesPerSecond: result.wallMs > 0 ? result.ms.length / (result.wallMs / 1000) : 0,
    totalSeconds: result.wallMs / 1000,
    loadRssMb: result.loadRssMb,
    peakRssMb: result.peakRssMb,
    vsReadabilityJsdom: null,
    failure: null,
  };
}

function failedRow(engine: EngineName, stage: Stage, failure: string): Row {
  return {
    engine,
    stage,
    runs: 0,
    errors: 0,
    p50Ms: 0,
    p95Ms: 0,
    meanMs: 0,
    cpuMsPerPage: 0,
    pagesPerSecond: 0,
    totalSeconds: 0,
    loadRssMb: 0,
    peakRssMb: 0,
    vsReadabilityJsdom: null,
    failure,
  };
}

/** Fills the ratio column: each row's mean page time over the reference row's. */
function addRatios(rows: Row[]): void {
  const reference = rows.find((row) => row.engine === REFERENCE.engine && row.stage === REFERENCE.stage && row.failure === null);
  if (!reference || reference.meanMs <= 0) return;
  for (const row of rows) if (row.failure === null) row.vsReadabilityJsdom = row.meanMs / reference.meanMs;
}

function speedTable(rows: readonly Row[]): string {
  return formatTable(
    ['engine', 'stage', 'pages', 'errors', 'p50 ms', 'p95 ms', 'mean ms', 'cpu ms', 'pages/s', 'total s', 'load RSS MB', 'peak RSS MB', 'vs readability-on-jsdom'],
    rows.map((row) =>
      row.failure !== null
        ? [row.engine, row.stage, 'failed', '', '', '', '', '', '', '', '', '', '']
        : [
            row.engine,
            row.stage,
            String(row.runs),
            String(row.errors),
            row.p50Ms.toFixed(1),
            row.p95Ms.toFixed(1),
            row.meanMs.toFixed(1),
            row.cpuMsPerPage.toFixed(1),
            row.pagesPerSecond.toFixed(1),
            row.totalSeconds.toFixed(1),
            row.loadRssMb.toFixed(0),
            row.peakRssMb.toFixed(0),
            row.vsReadabilityJsdom === null ? '-' : `${row.vsReadabilityJsdom.toFixed(2)}x`,
          ],
    ),
  );
}

interface Machine {
  cpu: string;
  cores: number;
  totalMemoryGb: number;
  node: string;
  platform: string;
  loadAverage: number[];
}

function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    totalMemoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((value) => Math.round(value * 100) / 100),
  };
}

interface Cli {
  source: PageSource | null;
  repeat: number;
  json: string | null;
  child: { engine: EngineName; stage: Stage } | null;
}

function parseCli(argv: string[]): Cli {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      pages: { type: 'string' },
      repeat: { type: 'string' },
      json: { type: 'string' },
      child: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const source = values.pages ?? null;
  if (source !== null && source !== 'corpus' && source !== 'fixtures') throw new Error(`--pages must be corpus or fixtures, got ${source}`);
  const repeat = values.repeat === undefined ? DEFAULT_REPEAT : Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, got ${values.repeat}`);
  let child: Cli['child'] = null;
  if (values.child) {
    const [engine, stage] = positionals;
    if (!ENGINES.includes(engine as EngineName)) throw new Error(`--child: unknown engine ${engine}`);
    if (!(STAGES as readonly string[]).includes(stage)) throw new Error(`--child: unknown stage ${stage}`);
    child = { engine: engine as EngineName, stage: stage as Stage };
  } else if (positionals.length > 0) {
    throw new Error(`unexpected argument ${positionals[0]}`);
  }
  return { source, repeat, json: values.json ?? null, child };
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));

  if (cli.child !== null) {
    const result = await runChild(cli.child.engine, cli.child.stage, cli.source ?? 'corpus', cli.repeat);
    await new Promise<void>((done, fail) => process.send!(result, (err: Error | null) => (err ? fail(err) : done())));
    process.disconnect?.();
    return;
  }

  const dir = corpusDir();
  const source: PageSource = cli.source ?? (dir !== null ? 'corpus' : 'fixtures');
  if (source === 'corpus' && dir === null) {
    throw new Error(`corpus not found (../shared/corpus/scrapinghub-dev beside the repo, or ${CORPUS_ENV}); use --pages fixtures`);
  }
  if (cli.source === null && dir === null) console.log('corpus not found: timing the fixture pages (labels stripped)');

  const started = new Date();
  const host = machine();
  const rows: Row[] = [];
  let pageSet: { pages: number; bytes: number } | null = null;
  for (const engine of ENGINES) {
    for (const stage of STAGES) {
      process.stderr.write(`${engine} ${stage}: running...`);
      try {
        const result = await spawnChild(engine, stage, source, cli.repeat);
        pageSet ??= { pages: result.pages, bytes: result.bytes };
        const row = toRow(result);
        rows.push(row);
        process.stderr.write(` ${row.runs} pages in ${row.totalSeconds.toFixed(1)} s\n`);
        if (result.firstError !== null) process.stderr.write(`  ${result.errors} page(s) threw, first: ${result.firstError}\n`);
      } catch (err) {
        rows.push(failedRow(engine, stage, describeError(err)));
        process.stderr.write(` failed: ${describeError(err)}\n`);
      }
    }
  }
  addRatios(rows);

  const endLoad = os.loadavg().map((value) => Math.round(value * 100) / 100);
  const where =
    source === 'corpus' ? dir : `${(await import('../src/train/fixtures.js')).defaultFixtureDir()}, data-winnow-label stripped`;
  const size = pageSet ? `${pageSet.pages} pages, ${(pageSet.bytes / 1024 ** 2).toFixed(1)} MB of HTML` : 'no pages';
  console.log(`\nspeed: ${source} (${where}; ${size}) x ${cli.repeat} passes, one child process per row`);
  console.log(speedTable(rows));
  for (const row of rows) if (row.failure !== null) console.log(`  ${row.engine} ${row.stage} failed: ${row.failure}`);
  if (rows.some((row) => row.failure !== null)) process.exitCode = 1;
  console.log(
    '\nms per page = one synchronous call; cpu ms = process CPU time (all threads) over the loop / pages;' +
      '\ntotal s = wall time of the timed loop (jsdom yields to the event loop between pages);' +
      '\npages/s = pages / total s; load RSS = the child\'s maxRSS once modules, pages (and model) are loaded, before timing;' +
      '\npeak RSS = its maxRSS at the end;' +
      '\nvs readability-on-jsdom = mean page time over that of jsdom parse+readability.',
  );
  console.log(`\nmachine: ${host.cpu}, ${host.cores} cores, ${host.totalMemoryGb} GB, node ${host.node}, ${host.platform}`);
  console.log(`date: ${started.toISOString()}  (load average at start ${host.loadAverage.join(' ')}, at end ${endLoad.join(' ')})`);

  if (cli.json !== null) {
    const file = resolve(cli.json);
    const report = {
      generated: started.toISOString(),
      machine: { ...host, loadAverageAtEnd: endLoad },
      pages: { source, dir: where, count: pageSet?.pages ?? 0, bytes: pageSet?.bytes ?? 0, repeat: cli.repeat },
      reference: REFERENCE,
      rows,
    };
    writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
    console.log(`figures written to ${file}`);
  }
}

try {
  await main();
} catch (err) {
  console.error(`speed benchmark: ${describeError(err)}`);
  if (!process.argv.includes('--child')) console.error(USAGE);
  process.exitCode = 1;
}
