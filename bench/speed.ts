/**
 * Speed benchmark: everything about speed and memory in one run, in four sections over the same
 * pages as bench/quality (the corpus when present, else the fixture pages with labels stripped).
 *
 *   node dist/bench/speed.js [--sections stages,process,queue,soak] [--pages corpus|fixtures] [--repeat N]
 *                            [--batch N] [--process-runs N] [--queue-pages N] [--soak-pages N] [--json FILE]
 *
 * - `stages`: time and peak memory per page of each DOM engine and each stage, side by side:
 *   - `parse`: preparePage + parsePage + dispose (limits, stripping, the DOM and freeing it);
 *   - `parse+readability`: readabilityBaseline, bare Readability as bench/quality scores it. On
 *     jsdom (script and style stripped first) it is the reference every row is compared to;
 *   - `winnow`: moderate(), the whole pipeline, with the model loaded once before timing.
 *   Every (engine, stage) runs in its own child process (this file, hidden `--child ENGINE STAGE`
 *   mode), one after another, so peak RSS belongs to one configuration and timings never share a
 *   core with another configuration. `--repeat` passes over the pages (default 3).
 * - `process`: whole processes over a folder of `--batch` pages (default 131): bare Readability on
 *   jsdom (the reference) and on linkedom, `winnow run --no-store` and `winnow run --db`, each
 *   pinned to one core; `--process-runs` rounds (default 2) and the medians (bench/process.ts).
 * - `queue`: pages per second through the real queue with 1 and 2 moderation threads over
 *   `--queue-pages` pages (default 100; bench/queue.ts, which starts its own redis-server).
 * - `soak`: `--soak-pages` pages (default 10,000) through moderate() in one child process, RSS and
 *   heap after full collections, and whether the heap stays flat (bench/soak.ts).
 *
 * The corpus is read in place; only the process section writes the page set, into a fresh folder
 * under the OS temp folder that it deletes at the end. The figures hold times and sizes, never
 * page text.
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
import type { ProcessReport } from './process.js';
import type { QueueReport } from './queue.js';
import type { SoakResult } from './soak.js';

const ENGINES: readonly EngineName[] = ['linkedom', 'jsdom'];
const STAGES = ['parse', 'parse+readability', 'winnow'] as const;
type Stage = (typeof STAGES)[number];
type PageSource = 'corpus' | 'fixtures';

/** The row every other row's time is divided by: bare Readability on jsdom. */
const REFERENCE = { engine: 'jsdom' as EngineName, stage: 'parse+readability' as Stage };

/** Passes over the page set; 3 x 50 corpus pages keeps a full run near two minutes on 2 cores. */
const DEFAULT_REPEAT = 3;

const SECTIONS = ['stages', 'process', 'queue', 'soak'] as const;
type Section = (typeof SECTIONS)[number];

/** Files in the whole-process batch. */
const DEFAULT_BATCH = 131;
/** Rounds of the whole-process commands; two, alternating, show how far a run can be trusted. */
const DEFAULT_PROCESS_RUNS = 2;
const DEFAULT_QUEUE_PAGES = 100;
const DEFAULT_SOAK_PAGES = 10_000;

const USAGE =
  'usage: node dist/bench/speed.js [--sections stages,process,queue,soak] [--pages corpus|fixtures] [--repeat N]\n' +
  '                                [--batch N] [--process-runs N] [--queue-pages N] [--soak-pages N] [--json FILE]';

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
  sections: Set<Section>;
  source: PageSource | null;
  repeat: number;
  batch: number;
  processRuns: number;
  queuePages: number;
  soakPages: number;
  json: string | null;
  child: { engine: EngineName; stage: Stage } | null;
}

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
  return number;
}

function parseCli(argv: string[]): Cli {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      sections: { type: 'string' },
      pages: { type: 'string' },
      repeat: { type: 'string' },
      batch: { type: 'string' },
      'process-runs': { type: 'string' },
      'queue-pages': { type: 'string' },
      'soak-pages': { type: 'string' },
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
  const sections = new Set<Section>();
  for (const name of (values.sections ?? SECTIONS.join(',')).split(',').map((part) => part.trim())) {
    if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`--sections: unknown section ${name} (${SECTIONS.join(', ')})`);
    sections.add(name as Section);
  }
  let child: Cli['child'] = null;
  if (values.child) {
    const [engine, stage] = positionals;
    if (!ENGINES.includes(engine as EngineName)) throw new Error(`--child: unknown engine ${engine}`);
    if (!(STAGES as readonly string[]).includes(stage)) throw new Error(`--child: unknown stage ${stage}`);
    child = { engine: engine as EngineName, stage: stage as Stage };
  } else if (positionals.length > 0) {
    throw new Error(`unexpected argument ${positionals[0]}`);
  }
  return {
    sections,
    source,
    repeat: positiveInteger('--repeat', values.repeat, DEFAULT_REPEAT),
    batch: positiveInteger('--batch', values.batch, DEFAULT_BATCH),
    processRuns: positiveInteger('--process-runs', values['process-runs'], DEFAULT_PROCESS_RUNS),
    queuePages: positiveInteger('--queue-pages', values['queue-pages'], DEFAULT_QUEUE_PAGES),
    soakPages: positiveInteger('--soak-pages', values['soak-pages'], DEFAULT_SOAK_PAGES),
    json: values.json ?? null,
    child,
  };
}

// ---------------------------------------------------------------------------------------------
// Sections

/** What the stage section adds to the JSON (the keys it had before the other sections). */
interface StagesReport {
  pages: { source: PageSource; dir: string | null; count: number; bytes: number; repeat: number };
  reference: typeof REFERENCE;
  rows: Row[];
}

async function stagesSection(source: PageSource, where: string | null, repeat: number): Promise<StagesReport> {
  const rows: Row[] = [];
  let pageSet: { pages: number; bytes: number } | null = null;
  for (const engine of ENGINES) {
    for (const stage of STAGES) {
      process.stderr.write(`${engine} ${stage}: running...`);
      try {
        const result = await spawnChild(engine, stage, source, repeat);
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

  const size = pageSet ? `${pageSet.pages} pages, ${(pageSet.bytes / 1024 ** 2).toFixed(1)} MB of HTML` : 'no pages';
  console.log(`\nstages: ${source} (${where}; ${size}) x ${repeat} passes, one child process per row`);
  console.log(speedTable(rows));
  for (const row of rows) if (row.failure !== null) console.log(`  ${row.engine} ${row.stage} failed: ${row.failure}`);
  console.log(
    '\nms per page = one synchronous call; cpu ms = process CPU time (all threads) over the loop / pages;' +
      '\ntotal s = wall time of the timed loop (jsdom yields to the event loop between pages);' +
      "\npages/s = pages / total s; load RSS = the child's maxRSS once modules, pages (and model) are loaded, before timing;" +
      '\npeak RSS = its maxRSS at the end;' +
      '\nvs readability-on-jsdom = mean page time over that of jsdom parse+readability.',
  );
  return { pages: { source, dir: where, count: pageSet?.pages ?? 0, bytes: pageSet?.bytes ?? 0, repeat }, reference: REFERENCE, rows };
}

async function processSection(pages: readonly BenchPage[], source: PageSource, batch: number, runs: number): Promise<ProcessReport> {
  const { CLI_FLAGS, measureProcesses, processTable } = await import('./process.js');
  const report = await measureProcesses({ pages, batch, runs, log: (line) => process.stderr.write(`${line}\n`) });
  const mb = (report.bytes / 1024 ** 2).toFixed(1);
  const pinned = report.pinnedWith ?? 'nothing: taskset not found or core 0 not allowed, so the processes are NOT pinned';
  console.log(`\nwhole processes: ${report.pages} .html files (${pages.length} distinct ${source} pages cycled, ${mb} MB), ${runs} round(s), pinned with ${pinned}`);
  if (CLI_FLAGS.length > 0) console.log(`winnow runs with the launcher's node flags: ${CLI_FLAGS.join(' ')}`);
  console.log(processTable(report));
  console.log(
    '\nwall s = spawn to exit (start-up, modules and model included); cpu s = user + system and peak RSS = resourceUsage()' +
      '\nof the process itself, written on exit; pages/s = pages / wall s; vs ref = over ' +
      `${report.reference} (same round; medians over medians).`,
  );
  return report;
}

async function queueSection(source: PageSource, pages: number): Promise<QueueReport> {
  const { queueThroughput } = await import('./queue.js');
  console.log(`\nqueue: one worker process, 1 then 2 sandboxed moderation threads, throwaway redis-server and SQLite`);
  return queueThroughput({ pages, threads: [1, 2], source });
}

async function soakSection(source: PageSource, pages: number): Promise<SoakResult> {
  const { runSoak } = await import('./soak.js');
  console.log(`\nsoak: moderate() in a child process under --expose-gc`);
  // Ten checkpoints whatever the length, so a short soak still has a slope.
  return runSoak({ pages, every: Math.max(1, Math.round(pages / 10)), engine: 'linkedom', source });
}

/** One line per section with the figures that matter most, read off the reports. */
function summary(report: SpeedReport): string[] {
  const lines: string[] = [];
  const processes = report.process;
  for (const row of processes?.medians ?? []) {
    if (row.command === processes?.reference) continue;
    lines.push(
      `${row.command}: median wall ${row.wallSeconds.toFixed(2)} s = ${row.wallVsReference?.toFixed(2)}x of ${processes?.reference}` +
        ` (cpu ${row.cpuVsReference?.toFixed(2)}x), peak RSS ${row.peakRssMb.toFixed(0)} MB for ${processes?.pages} pages`,
    );
  }
  const queueRows = report.queue?.rows ?? [];
  if (queueRows.length > 1) {
    const last = queueRows[queueRows.length - 1];
    lines.push(`queue: ${last.threads} threads ${last.speedUp.toFixed(2)}x the pages/s of ${queueRows[0].threads} (${queueRows[0].pagesPerSecond.toFixed(1)} -> ${last.pagesPerSecond.toFixed(1)})`);
  }
  if (report.soak) {
    const { heapSlope, rssSlope, flat, options } = report.soak;
    const signed = (value: number | null) => (value === null ? 'n/a' : `${value >= 0 ? '+' : ''}${value.toFixed(2)}`);
    const verdict = flat === null ? 'no slope' : flat ? 'flat' : 'GROWING';
    lines.push(`soak: ${options.pages} pages, heap ${signed(heapSlope)} and RSS ${signed(rssSlope)} MB per 1,000 pages (${verdict}), peak RSS ${report.soak.peakRssMb.toFixed(0)} MB`);
  }
  return lines;
}

interface SpeedReport extends Partial<StagesReport> {
  generated: string;
  machine: Machine & { loadAverageAtEnd?: number[] };
  sections: Section[];
  process?: ProcessReport;
  queue?: QueueReport;
  soak?: SoakResult;
  /** Sections that failed, with why. */
  failures: string[];
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
  if (cli.source === null && dir === null) console.log('corpus not found: measuring the fixture pages (labels stripped)');
  const where = source === 'corpus' ? dir : `${(await import('../src/train/fixtures.js')).defaultFixtureDir()}, data-winnow-label stripped`;

  const started = new Date();
  const report: SpeedReport = { generated: started.toISOString(), machine: machine(), sections: [...cli.sections], failures: [] };
  // A failed section is reported and the others still run.
  const attempt = async <T>(section: Section, work: () => Promise<T>): Promise<T | undefined> => {
    if (!cli.sections.has(section)) return undefined;
    try {
      return await work();
    } catch (err) {
      report.failures.push(`${section}: ${describeError(err)}`);
      console.log(`\n${section} failed: ${describeError(err)}`);
      return undefined;
    }
  };
  Object.assign(report, await attempt('stages', () => stagesSection(source, where, cli.repeat)));
  const failedRows = report.rows?.filter((row) => row.failure !== null).length ?? 0;
  if (failedRows > 0) report.failures.push(`stages: ${failedRows} row(s) failed`);
  report.process = await attempt('process', async () => processSection(await loadPages(source), source, cli.batch, cli.processRuns));
  report.queue = await attempt('queue', () => queueSection(source, cli.queuePages));
  report.soak = await attempt('soak', () => soakSection(source, cli.soakPages));
  if (report.failures.length > 0) process.exitCode = 1;

  const lines = summary(report);
  if (lines.length > 0) console.log(`\nsummary:\n${lines.map((line) => `  ${line}`).join('\n')}`);
  const host = report.machine;
  host.loadAverageAtEnd = os.loadavg().map((value) => Math.round(value * 100) / 100);
  console.log(`\nmachine: ${host.cpu}, ${host.cores} cores, ${host.totalMemoryGb} GB, node ${host.node}, ${host.platform}`);
  console.log(`date: ${report.generated}  (load average at start ${host.loadAverage.join(' ')}, at end ${host.loadAverageAtEnd.join(' ')})`);

  if (cli.json !== null) {
    const file = resolve(cli.json);
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
