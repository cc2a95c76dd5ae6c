/**
 * Whole-process section of bench/speed: the page set written as .html files into a fresh folder
 * under the OS temp folder, then each command run over that folder as its own process, one after
 * another, pinned to one core (`taskset -c 0`) when taskset is there:
 * - bare Readability on jsdom (dist/bench/bare-readability.js), the reference, and on linkedom;
 * - `winnow run --no-store DIR` (extraction only, default engine);
 * - `winnow run --db <tmp>/bench.db DIR` (the main job, results stored in SQLite).
 *
 * Wall time runs from spawn to exit, so start-up, module and model loading count. CPU time and
 * peak RSS come from inside each process: it is started with `--import dist/bench/rusage.js`,
 * which writes `process.resourceUsage()` to a file on exit. Rounds alternate the commands, so
 * a slow spell of a shared machine falls on all of them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { repoRoot } from '../src/eval/corpus.js';
import { formatTable } from '../src/eval/quality.js';
import { RUSAGE_ENV, type ProcessUsage } from './rusage.js';

export interface ProcessOptions {
  /** The page set; cycled, with distinct file names, up to `batch` files. */
  pages: readonly { id: string; html: string }[];
  batch: number;
  /** Rounds over all commands. */
  runs: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** One run of one command, or (run 'median') the medians of its runs. */
export interface ProcessRun {
  command: string;
  run: number | 'median';
  wallSeconds: number;
  /** User + system CPU time of the process. */
  cpuSeconds: number;
  peakRssMb: number;
  pagesPerSecond: number;
  /** Wall time over the reference's (same round, or median over median). */
  wallVsReference: number | null;
  cpuVsReference: number | null;
  /** Pages the process reported done and failed (null when it did not say, and on medians). */
  done: number | null;
  failed: number | null;
}

export interface ProcessReport {
  pages: number;
  bytes: number;
  /** The pinning prefix, or null when the processes ran unpinned. */
  pinnedWith: string | null;
  reference: string;
  runs: ProcessRun[];
  medians: ProcessRun[];
}

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const CLI = join(BENCH_DIR, '..', 'src', 'cli', 'main.js');
const BARE = join(BENCH_DIR, 'bare-readability.js');
const RUSAGE_URL = pathToFileURL(join(BENCH_DIR, 'rusage.js')).href;

/**
 * The V8 flags the `winnow` launcher passes (the npm script, which the bin's shebang and the
 * Dockerfile repeat): the batch is timed as people run it.
 */
export function launcherFlags(packageJsonPath: string = join(repoRoot(BENCH_DIR) ?? '.', 'package.json')): string[] {
  if (!existsSync(packageJsonPath)) return [];
  const script = (JSON.parse(readFileSync(packageJsonPath, 'utf8')) as { scripts?: Record<string, string> }).scripts?.winnow ?? '';
  const words = script.split(/\s+/);
  return words[0] === 'node' ? words.slice(1).filter((word) => word.startsWith('--')) : [];
}
/** The launcher's flags, read once: every `winnow run` row passes them. */
export const CLI_FLAGS = launcherFlags();

interface Command {
  name: string;
  args: (pagesDir: string, workDir: string) => string[];
  /** Whether the page counts are on stdout (otherwise it goes to /dev/null, as the article text should). */
  readsStdout: boolean;
  /** How the figures of `done` and `failed` are read from the output. */
  counts: (stdout: string, stderr: string) => { done: number | null; failed: number | null };
  /** Runs before each run (a fresh database). */
  prepare?: (workDir: string) => void;
}

/** bare-readability.js prints one line per page: a length, or `error`. */
const lineCounts = (stdout: string) => {
  const lines = stdout.split('\n').filter(Boolean);
  const failed = lines.filter((line) => line === 'error').length;
  return { done: lines.length - failed, failed };
};

/** `winnow run` ends with "N done, M failed" on stderr. */
const cliCounts = (_stdout: string, stderr: string) => {
  const match = /(\d+) done, (\d+) failed/.exec(stderr);
  return match ? { done: Number(match[1]), failed: Number(match[2]) } : { done: null, failed: null };
};

const COMMANDS: readonly Command[] = [
  { name: 'bare Readability, jsdom', args: (dir) => [BARE, '--engine', 'jsdom', dir], readsStdout: true, counts: lineCounts },
  { name: 'bare Readability, linkedom', args: (dir) => [BARE, '--engine', 'linkedom', dir], readsStdout: true, counts: lineCounts },
  { name: 'winnow run --no-store', args: (dir) => [...CLI_FLAGS, CLI, 'run', '--no-store', dir], readsStdout: false, counts: cliCounts },
  {
    name: 'winnow run --db (SQLite)',
    args: (dir, work) => [...CLI_FLAGS, CLI, 'run', '--db', join(work, 'bench.db'), dir],
    readsStdout: false,
    counts: cliCounts,
    // Each run stores into an empty database, as the first run does.
    prepare: (work) => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(join(work, `bench.db${suffix}`), { force: true });
    },
  },
];
const REFERENCE = COMMANDS[0].name;

/** `taskset -c 0` when it exists and core 0 may be used here; otherwise null. */
function pinning(): string[] | null {
  const probe = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
  return probe.status === 0 ? ['taskset', '-c', '0'] : null;
}

interface Measured {
  exitCode: number | null;
  wallSeconds: number;
  usage: ProcessUsage;
  stdout: string;
  stderr: string;
}

/** Runs one process to its end; rejects when it leaves no usage figures (killed, or no exit handler ran). */
function measure(argv: string[], readsStdout: boolean, workDir: string, usageFile: string): Promise<Measured> {
  // The CLI's own defaults whatever this shell sets: linkedom, and SQLite rather than a PostgreSQL DATABASE_URL.
  const env: NodeJS.ProcessEnv = { ...process.env, [RUSAGE_ENV]: usageFile };
  delete env.WINNOW_ENGINE;
  delete env.DATABASE_URL;
  rmSync(usageFile, { force: true });
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    let wallSeconds = 0;
    let stdout = '';
    let stderr = '';
    const child = spawn(argv[0], argv.slice(1), { cwd: workDir, env, stdio: ['ignore', readsStdout ? 'pipe' : 'ignore', 'pipe'] });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('exit', () => {
      wallSeconds = (performance.now() - started) / 1000;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (!existsSync(usageFile)) {
        const last = stderr.trim().split('\n').slice(-3).join(' | ');
        reject(new Error(`${argv.join(' ')} exited with ${signal ?? `code ${code}`} and no usage figures${last ? `: ${last}` : ''}`));
        return;
      }
      resolvePromise({ exitCode: code, wallSeconds, usage: JSON.parse(readFileSync(usageFile, 'utf8')) as ProcessUsage, stdout, stderr });
    });
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Fills the two ratio columns against the reference row of the same list. */
function addRatios(rows: ProcessRun[]): void {
  const reference = rows.find((row) => row.command === REFERENCE);
  if (!reference) return;
  for (const row of rows) {
    row.wallVsReference = row.wallSeconds / reference.wallSeconds;
    row.cpuVsReference = row.cpuSeconds / reference.cpuSeconds;
  }
}

/** Writes the batch, runs every command `runs` times (alternating) and returns each run and the medians. */
export async function measureProcesses(options: ProcessOptions): Promise<ProcessReport> {
  const log = options.log ?? (() => undefined);
  if (options.pages.length === 0) throw new Error('no pages');
  const pin = pinning();
  const workDir = mkdtempSync(join(tmpdir(), 'winnow-bench-process-'));
  try {
    const pagesDir = join(workDir, 'pages');
    mkdirSync(pagesDir);
    let bytes = 0;
    for (let i = 0; i < options.batch; i++) {
      const page = options.pages[i % options.pages.length];
      writeFileSync(join(pagesDir, `${String(i).padStart(5, '0')}-${page.id.replace(/[^\w.-]+/g, '_')}.html`), page.html);
      bytes += Buffer.byteLength(page.html, 'utf8');
    }

    const runs: ProcessRun[] = [];
    for (let round = 1; round <= options.runs; round++) {
      const roundRows: ProcessRun[] = [];
      for (const command of COMMANDS) {
        command.prepare?.(workDir);
        const argv = [...(pin ?? []), process.execPath, '--import', RUSAGE_URL, ...command.args(pagesDir, workDir)];
        const measured = await measure(argv, command.readsStdout, workDir, join(workDir, 'usage.json'));
        const { usage } = measured;
        const counts = command.counts(measured.stdout, measured.stderr);
        // `winnow run` exits 1 when some page failed yet reports them all; anything else is a failed command.
        if (measured.exitCode !== 0 && (counts.done ?? 0) + (counts.failed ?? 0) !== options.batch) {
          const last = measured.stderr.trim().split('\n').slice(-3).join(' | ');
          throw new Error(`${command.name} exited with code ${measured.exitCode}${last ? `: ${last}` : ''}`);
        }
        const row: ProcessRun = {
          command: command.name,
          run: round,
          wallSeconds: measured.wallSeconds,
          cpuSeconds: (usage.userCpuUs + usage.systemCpuUs) / 1e6,
          peakRssMb: usage.maxRssKb / 1024,
          pagesPerSecond: options.batch / measured.wallSeconds,
          wallVsReference: null,
          cpuVsReference: null,
          ...counts,
        };
        roundRows.push(row);
        log(`${command.name}, run ${round}: ${row.wallSeconds.toFixed(1)} s wall, ${row.cpuSeconds.toFixed(1)} s CPU, peak RSS ${row.peakRssMb.toFixed(0)} MB`);
      }
      addRatios(roundRows);
      runs.push(...roundRows);
    }

    const medians = COMMANDS.map((command): ProcessRun => {
      const own = runs.filter((row) => row.command === command.name);
      const wallSeconds = median(own.map((row) => row.wallSeconds));
      return {
        command: command.name,
        run: 'median',
        wallSeconds,
        cpuSeconds: median(own.map((row) => row.cpuSeconds)),
        peakRssMb: median(own.map((row) => row.peakRssMb)),
        pagesPerSecond: options.batch / wallSeconds,
        wallVsReference: null,
        cpuVsReference: null,
        done: null,
        failed: null,
      };
    });
    addRatios(medians);
    return { pages: options.batch, bytes, pinnedWith: pin?.join(' ') ?? null, reference: REFERENCE, runs, medians };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Each command's runs, then its median. */
export function processTable(report: ProcessReport): string {
  const ratio = (value: number | null) => (value === null ? '-' : `${value.toFixed(2)}x`);
  const count = (row: ProcessRun, value: number | null) => (row.run === 'median' ? '' : value === null ? '?' : String(value));
  const rows = report.medians.flatMap((medianRow) => [...report.runs.filter((row) => row.command === medianRow.command), medianRow]);
  return formatTable(
    ['command', 'run', 'wall s', 'cpu s', 'peak RSS MB', 'pages/s', 'wall vs ref', 'cpu vs ref', 'done', 'failed'],
    rows.map((row) => [
      row.command,
      String(row.run),
      row.wallSeconds.toFixed(2),
      row.cpuSeconds.toFixed(2),
      row.peakRssMb.toFixed(0),
      row.pagesPerSecond.toFixed(1),
      ratio(row.wallVsReference),
      ratio(row.cpuVsReference),
      count(row, row.done),
      count(row, row.failed),
    ]),
  );
}
