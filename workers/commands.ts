import { readFileSync } from 'node:fs';
import { articleJson } from '../src/cli/run-command.js';
import { htmlFilesIn } from '../src/cli/input-files.js';
import type { WinnowConfig } from '../src/config.js';
import type { PageRecord, Store } from '../src/storage/store.js';
import { tryNormalizeUrl } from '../src/storage/url-key.js';
import { runWorkersUntilSignal } from './main.js';
import { createProducerConnection, createQueues, enqueueModerate, waitForReady, type Enqueued, type Stage } from './queues.js';
import { reconcileStages, type ReconcileSummary } from './reconciler.js';
import { submissionLedgerOf, submitFetch } from './submissions.js';
import { importWarc, type WarcImportSummary } from './warc-import.js';

/** How many recent failures `get <url>` searches for the URL when it has no article. */
const FAILURE_SCAN_LIMIT = 1000;

export interface EnqueueOptions {
  /** URLs, one per line (blank lines and `#` comments skipped). */
  file?: string;
  /** Folder of saved pages (subfolders included): stored as files, then queued for moderation directly. */
  dir?: string;
  /** WARC files (`.warc` or `.warc.gz`): every 2xx HTML response is stored and queued for moderation. */
  warc?: string[];
  config: Pick<WinnowConfig, 'redisUrl' | 'queuePrefix'>;
  /** Store for `dir` and `warc` pages and the URL submission ledger (opened only when there is input). */
  openStore: () => Promise<Store>;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export interface EnqueueSummary {
  created: number;
  duplicates: number;
  rejected: number;
  /** One summary per `warc` file, in order. */
  warc: WarcImportSummary[];
}

/**
 * `winnow enqueue`: a fetch job per URL and a moderate job per saved page of `dir`. Prints one
 * line per job (`<job id> new|duplicate (<state>) <input>`), then the counts. Fails fast when
 * Redis is down; URLs that are not http(s) are refused and never queued. When the store keeps a
 * submission ledger, each URL is recorded there before its job is added (workers/submissions.ts).
 */
export async function enqueueCommand(urls: string[], options: EnqueueOptions): Promise<EnqueueSummary> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const all = [...urls, ...(options.file ? urlsFromFile(options.file) : [])];
  // The same discovery as `winnow run <folder>`: subfolders included.
  const files = options.dir ? htmlFilesIn(options.dir).map((input) => input.location) : [];
  const warcFiles = options.warc ?? [];
  const summary: EnqueueSummary = { created: 0, duplicates: 0, rejected: 0, warc: [] };
  const report = (enqueued: Enqueued, input: string): void => {
    if (enqueued.created) summary.created++;
    else summary.duplicates++;
    const what = enqueued.created ? 'new' : `duplicate (${enqueued.existingState})`;
    stdout.write(`${enqueued.jobId}\t${what}\t${input}\n`);
  };

  const connection = createProducerConnection(options.config.redisUrl);
  connection.on('error', () => undefined);
  const store = all.length > 0 || files.length > 0 || warcFiles.length > 0 ? await options.openStore() : null;
  const ledger = store ? submissionLedgerOf(store) : undefined;
  try {
    await waitForReady(connection);
    const queues = createQueues(connection, { prefix: options.config.queuePrefix });
    try {
      for (const url of all) {
        if (!isHttpUrl(url)) {
          summary.rejected++;
          stderr.write(`winnow: not an http(s) URL, not queued: ${url}\n`);
          continue;
        }
        report(await submitFetch(queues.fetch, ledger, { url, source: 'url' }), url);
      }
      for (const file of files) {
        const { page } = await store!.putPage({ url: null, name: file, source: 'file', raw: readFileSync(file) });
        report(await enqueueModerate(queues.moderate, page.id), file);
      }
      for (const file of warcFiles) {
        const imported = await importWarc(file, {
          store: store!,
          moderateQueue: queues.moderate,
          onPage: ({ url, enqueued }) => report(enqueued, url),
        });
        summary.warc.push(imported);
        const skipped = Object.entries(imported.skipped).map(([reason, count]) => `${reason} ${count}`);
        stderr.write(
          `${file}: ${imported.records} records, ${imported.pages} pages queued (${imported.created} new, ${imported.duplicates} duplicate), ` +
            `${imported.records - imported.pages} skipped${skipped.length > 0 ? ` (${skipped.join(', ')})` : ''}\n`,
        );
      }
    } finally {
      await queues.fetch.close();
      await queues.moderate.close();
    }
  } finally {
    await store?.close();
    await connection.quit().catch(() => connection.disconnect());
  }
  const rejected = summary.rejected > 0 ? `, ${summary.rejected} refused` : '';
  stderr.write(`${summary.created} new, ${summary.duplicates} duplicate${summary.duplicates === 1 ? '' : 's'}${rejected}\n`);
  return summary;
}

export interface RequeuePendingOptions {
  /** Only pages unchanged for longer than this, e.g. `10m` (see {@link parseDuration}). */
  olderThan: string;
  config: Pick<WinnowConfig, 'redisUrl' | 'queuePrefix'> & Partial<Pick<WinnowConfig, 'maxRequeues'>>;
  store: Store;
  stdout?: NodeJS.WritableStream;
}

/**
 * `winnow requeue-pending [--older-than 10m]`: one pass of the stage reconciler
 * (workers/reconciler.ts) over every page the database holds as `pending` or `fetched` for
 * longer than `olderThan`. A page whose job Redis no longer has (e.g. after a restart without
 * persistence) gets its job again; one whose job is in the failed set is recorded failed with
 * its reason. Prints one line per page acted on, then the counts.
 *
 * @throws Error when `olderThan` is not a duration.
 */
export async function requeuePendingCommand(options: RequeuePendingOptions): Promise<ReconcileSummary> {
  const stdout = options.stdout ?? process.stdout;
  const olderThanMs = parseDuration(options.olderThan);
  const connection = createProducerConnection(options.config.redisUrl);
  connection.on('error', () => undefined);
  try {
    await waitForReady(connection);
    const queues = createQueues(connection, { prefix: options.config.queuePrefix });
    try {
      const summary = await reconcileStages({ store: options.store, queues, olderThanMs, maxRequeues: options.config.maxRequeues });
      for (const url of summary.requeued) stdout.write(`requeued\tfetch\t${url}\n`);
      for (const pageId of summary.remoderated) stdout.write(`requeued\tmoderate\t${pageId}\n`);
      for (const failure of summary.failed) {
        stdout.write(`failed\t${failure.stage}\t${failure.pageId}\t${failure.code}\t${failure.url ?? ''}\t${failure.message}\n`);
      }
      const queued = Object.entries(summary.queued).map(([state, count]) => `${count} ${state}`);
      stdout.write(
        `${summary.pending} pending, ${summary.requeued.length} requeued; ${summary.fetched} fetched, ${summary.remoderated.length} requeued; ` +
          `${summary.failed.length} recorded failed${queued.length > 0 ? `; still queued: ${queued.join(', ')}` : ''}` +
          `${summary.movedOn > 0 ? `; ${summary.movedOn} moved on meanwhile` : ''}\n`,
      );
      return summary;
    } finally {
      await queues.fetch.close();
      await queues.moderate.close();
    }
  } finally {
    await connection.quit().catch(() => connection.disconnect());
  }
}

/** Milliseconds of a duration such as `90s`, `10m`, `2h`, `1d` (a bare number is seconds). */
export function parseDuration(value: string): number {
  const match = /^\s*(\d+)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (!match) throw new Error(`not a duration: "${value}" (use e.g. 90s, 10m, 2h, 1d)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** `winnow worker`: run the given stages until SIGTERM/SIGINT. */
export async function workerCommand(stages: Stage[]): Promise<void> {
  const log = (line: string): void => {
    process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  };
  process.on('unhandledRejection', (reason) => log(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`));
  process.on('uncaughtException', (error) => {
    // The process state is unknown: exit and let the supervisor restart it; active jobs stall
    // and another worker picks them up.
    log(`uncaught exception: ${error.stack ?? error.message}`);
    process.exit(1);
  });
  log(`worker started: ${stages.join(', ')}`);
  await runWorkersUntilSignal({ stages, log });
  log('worker stopped');
}

export interface GetOptions {
  json?: boolean;
  store: Store;
  stdout?: NodeJS.WritableStream;
}

/**
 * `winnow get <url|id>`: the stored article (by article id, page id or URL), or why its page
 * failed. Returns false when there is no article.
 */
export async function getCommand(ref: string, options: GetOptions): Promise<boolean> {
  const stdout = options.stdout ?? process.stdout;
  const article = await options.store.getArticle(ref);
  if (article) {
    if (options.json) {
      stdout.write(`${JSON.stringify({ id: article.id, pageId: article.pageId, createdAt: article.createdAt, ...articleJson(article) }, null, 2)}\n`);
    } else {
      const heading = article.title && !article.text.startsWith(article.title) ? `${article.title}\n\n` : '';
      stdout.write(`${heading}${article.text}\n`);
    }
    return true;
  }
  const page = await findPage(ref, options.store);
  if (options.json) {
    stdout.write(`${JSON.stringify(page ? { status: page.status, errorCode: page.errorCode, errorMessage: page.errorMessage, page } : { status: 'not_found' }, null, 2)}\n`);
  } else if (!page) {
    stdout.write(`not found: ${ref} (no article; not queued, still queued, or not fetched yet)\n`);
  } else if (page.status === 'failed') {
    stdout.write(`failed: ${page.errorCode}: ${page.errorMessage}\n`);
  } else {
    stdout.write(`${page.status}: page ${page.id} has no article yet\n`);
  }
  return false;
}

/** A page by id, or the most recently failed page stored under this URL. */
async function findPage(ref: string, store: Store): Promise<PageRecord | null> {
  const key = isHttpUrl(ref) ? tryNormalizeUrl(ref) : null;
  if (key === null) return store.getPage(ref);
  const failures = await store.listFailures(FAILURE_SCAN_LIMIT);
  return failures.find((page) => tryNormalizeUrl(page.url) === key) ?? null;
}

/** `--stages fetch,moderate` → the stage list; throws on an unknown name. */
export function parseStages(value: string): Stage[] {
  const stages = value
    .split(',')
    .map((stage) => stage.trim())
    .filter((stage) => stage !== '');
  for (const stage of stages) {
    if (stage !== 'fetch' && stage !== 'moderate') throw new Error(`unknown stage "${stage}": use fetch, moderate or both`);
  }
  if (stages.length === 0) throw new Error('no stage given: use fetch, moderate or both');
  return [...new Set(stages)] as Stage[];
}

function urlsFromFile(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function isHttpUrl(value: string): boolean {
  return URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);
}
