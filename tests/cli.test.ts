import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/storage/sqlite.js';
import { fetchJobId } from '../workers/queues.js';
import { startRedis } from './helpers/redis.js';
import { openProducer, testPrefix } from './queue/harness.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/src/cli/main.js');
const FIXTURES = join(ROOT, 'fixtures/pages');
const SEED = join(FIXTURES, 'ai-news-featured-1/page.html');
const SECOND = join(FIXTURES, 'news-wire-1/page.html');
/** A model version the CLI stamps must name a model file in models/ (models may be retrained meanwhile). */
function expectShippedModel(version: unknown): void {
  expect(version).toMatch(/^nb-f\d+-[0-9a-f]{6,}$/);
  expect(existsSync(join(ROOT, 'models', `${version as string}.json`)), `models/${version as string}.json`).toBe(true);
}

let tmp: string;

function run(args: string[], timeout = 60_000, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: tmp,
    encoding: 'utf8',
    timeout,
    // A stray default database must land in the temp folder, never in the repo.
    env: { ...process.env, WINNOW_DB: join(tmp, 'default.db'), WINNOW_ENGINE: undefined, NO_COLOR: '1', ...env },
  });
  if (result.error) throw result.error;
  return result;
}

const norm = (text: string) => text.replace(/\s+/g, ' ').trim();
const stripTags = (html: string) => norm(html.replace(/<[^>]+>/g, '').replace(/&amp;/g, '&'));

const SEED_HTML = readFileSync(SEED, 'utf8');
const SEED_H1 = stripTags(/<h1[^>]*>([\s\S]*?)<\/h1>/.exec(SEED_HTML)![1]);
const SEED_FIRST_PARAGRAPH = 'In a decisive move to secure its footing in the world’s largest electric vehicle market';

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'winnow-cli-'));
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  // Another folder (src/fetch) may still be in progress; a build with errors still emits.
  if (build.status !== 0 && !existsSync(CLI)) {
    throw new Error(`tsc failed and ${CLI} does not exist:\n${build.stdout}\n${build.stderr}`);
  }
  expect(existsSync(CLI)).toBe(true);
}, 180_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('winnow run', () => {
  it('one file with --no-store prints the article text, headline first, without the promo rail', () => {
    const result = run(['run', SEED, '--no-store']);
    expect(result.status, result.stderr).toBe(0);
    expect(SEED_H1).toBe('Tesla Operationalizes AI Training Center in China to Power FSD Ambitions');
    expect(result.stdout).toContain(SEED_H1);
    expect(result.stdout).toContain(SEED_FIRST_PARAGRAPH);
    expect(result.stdout).not.toContain('ThumbnailCreator.com');
    expect(result.stdout).not.toContain('All rights reserved');
    expect(existsSync(join(tmp, 'default.db'))).toBe(false);
  });

  it('--format md prints markdown (heading, table rows, bullets)', () => {
    const result = run(['run', SEED, '--no-store', '--format', 'md']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^# Tesla Operationalizes/m);
    expect(result.stdout).toMatch(/^\|\s*Sensor Suite\s*\|/m);
    expect(result.stdout).toMatch(/^\|\s*-{3,}/m);
    expect(result.stdout).toMatch(/^-\s+\*\*Latency Reduction:\*\*/m);
  });

  it('--format html prints sanitized article html', () => {
    const result = run(['run', SEED, '--no-store', '--format', 'html']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('<table>');
    expect(result.stdout).not.toMatch(/<script|data-winnow|class=/);
  });

  it('--engine jsdom works (and says so in --json output)', () => {
    const result = run(['run', SEED, '--no-store', '--engine', 'jsdom', '--json']);
    expect(result.status, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as { engine: string; text: string; model: string };
    expect(json.engine).toBe('jsdom');
    expectShippedModel(json.model);
    expect(json.text).toContain(SEED_FIRST_PARAGRAPH);
  });

  it('an unknown engine exits nonzero with a clear message', () => {
    const result = run(['run', SEED, '--no-store', '--engine', 'happydom']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/engine/i);
    expect(result.stderr).toContain('happydom');
    expect(result.stderr).toMatch(/jsdom/);
    expect(result.stderr).toMatch(/linkedom/);
    expect(result.stdout).not.toContain(SEED_H1);
  });

  it('a missing input exits nonzero and names it', () => {
    const result = run(['run', join(tmp, 'does-not-exist.html'), '--no-store']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('does-not-exist.html');
  });

  it('<dir> --out --db writes one JSON per .html and stores every page', () => {
    const input = join(tmp, 'good');
    const out = join(tmp, 'out-good');
    const db = join(tmp, 'good', 'w.db');
    mkdirSync(input, { recursive: true });
    copyFileSync(SEED, join(input, 'seed.html'));
    copyFileSync(SECOND, join(input, 'wire.html'));
    writeFileSync(join(input, 'notes.txt'), 'not a page');

    const result = run(['run', input, '--out', out, '--db', db]);
    expect(result.status, result.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['seed.json', 'wire.json']);

    for (const file of ['seed.json', 'wire.json']) {
      const json = JSON.parse(readFileSync(join(out, file), 'utf8')) as Record<string, unknown>;
      for (const key of ['title', 'byline', 'publishedTime', 'siteName', 'lang', 'text', 'html', 'markdown', 'blocks', 'model']) {
        expect(json, `${file} lacks ${key}`).toHaveProperty(key);
      }
      expectShippedModel(json.model);
      expect(typeof json.text).toBe('string');
      expect((json.text as string).length).toBeGreaterThan(500);
      const blocks = json.blocks as { text: string; label: string; confidence: number }[];
      expect(blocks.length).toBeGreaterThan(5);
      for (const block of blocks) {
        expect(typeof block.text).toBe('string');
        expect(['editorial', 'promo', 'boilerplate']).toContain(block.label);
        expect(block.confidence).toBeGreaterThanOrEqual(0);
        expect(block.confidence).toBeLessThanOrEqual(1);
      }
    }
    const seed = JSON.parse(readFileSync(join(out, 'seed.json'), 'utf8')) as { title: string; text: string; publishedTime: string };
    expect(seed.title).toBe(SEED_H1);
    expect(seed.publishedTime).toContain('2026-01-27');

    const sqlite = new Database(db, { readonly: true });
    try {
      expect((sqlite.prepare('SELECT count(*) AS n FROM pages').get() as { n: number }).n).toBe(2);
      expect((sqlite.prepare('SELECT count(*) AS n FROM articles').get() as { n: number }).n).toBe(2);
      expect((sqlite.prepare("SELECT count(*) AS n FROM pages WHERE status = 'done'").get() as { n: number }).n).toBe(2);
      const stored = sqlite.prepare('SELECT text, model FROM articles WHERE title = ?').get(SEED_H1) as { text: string; model: string };
      expect(stored.text).toBe(seed.text);
      expect(stored.model).toBe((JSON.parse(readFileSync(join(out, 'seed.json'), 'utf8')) as { model: string }).model);
      expect((sqlite.prepare('SELECT count(*) AS n FROM blocks').get() as { n: number }).n).toBeGreaterThan(10);
    } finally {
      sqlite.close();
    }
  });

  it('a folder with an empty and a binary .html exits 1, writes the good pages and records the failures', () => {
    const input = join(tmp, 'mixed');
    const out = join(tmp, 'out-mixed');
    const db = join(tmp, 'mixed.db');
    mkdirSync(input, { recursive: true });
    copyFileSync(SEED, join(input, 'a-good.html'));
    copyFileSync(SECOND, join(input, 'd-good.html'));
    writeFileSync(join(input, 'b-empty.html'), '');
    const binary = Buffer.alloc(4096);
    Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').copy(binary);
    for (let i = 16; i < binary.length; i++) binary[i] = (i * 2654435761) % 251;
    writeFileSync(join(input, 'c-binary.html'), binary);

    const result = run(['run', input, '--out', out, '--db', db]);
    expect(result.status).toBe(1);
    expect(readdirSync(out).sort()).toEqual(['a-good.json', 'd-good.json']);
    expect(result.stderr).toContain('b-empty.html');
    expect(result.stderr).toContain('c-binary.html');
    expect(result.stderr).toMatch(/2 done, 2 failed/);

    const sqlite = new Database(db, { readonly: true });
    try {
      const rows = sqlite.prepare('SELECT name, status, error_code FROM pages ORDER BY name').all() as {
        name: string;
        status: string;
        error_code: string | null;
      }[];
      const byFile = Object.fromEntries(rows.map((row) => [row.name.split(/[\\/]/).pop()!, row]));
      expect(Object.keys(byFile).sort()).toEqual(['a-good.html', 'b-empty.html', 'c-binary.html', 'd-good.html']);
      expect(byFile['a-good.html']).toMatchObject({ status: 'done', error_code: null });
      expect(byFile['d-good.html']).toMatchObject({ status: 'done', error_code: null });
      expect(byFile['b-empty.html']).toMatchObject({ status: 'failed', error_code: 'empty' });
      expect(byFile['c-binary.html']).toMatchObject({ status: 'failed', error_code: 'not_text' });
      expect((sqlite.prepare('SELECT count(*) AS n FROM articles').get() as { n: number }).n).toBe(2);
    } finally {
      sqlite.close();
    }
  });
});

describe('winnow eval', () => {
  it('--folds 3 prints macro F1 and a confusion matrix', () => {
    const result = run(['eval', '--folds', '3'], 120_000);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/3-fold/);
    const f1 = /macro F1\s+([0-9.]+)/.exec(result.stdout);
    expect(f1).not.toBeNull();
    const macro = Number(f1![1]);
    expect(macro).toBeGreaterThan(0.5);
    expect(macro).toBeLessThanOrEqual(1);
    expect(result.stdout).toMatch(/confusion/i);
    // one matrix row per label, three integer columns each
    for (const label of ['editorial', 'promo', 'boilerplate']) {
      expect(result.stdout).toMatch(new RegExp(`^${label}\\s+\\d+\\s+\\d+\\s+\\d+\\s*$`, 'm'));
    }
  });

  it('--folds 1 is refused', () => {
    const result = run(['eval', '--folds', '1']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/folds/);
  });
});

describe('settings', () => {
  it('a bad setting stops every command with one clear line and exit code 2, no stack trace', () => {
    for (const args of [['run', SEED, '--no-store'], ['get', 'x'], ['requeue-pending']]) {
      const result = run(args, 60_000, { WINNOW_LOCK_MS: 'abc' });
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toBe('winnow: WINNOW_LOCK_MS must be a whole number >= 1, not "abc"\n');
      expect(result.stdout).toBe('');
    }
  });
});

describe('winnow enqueue --dir', () => {
  it('stores and queues every .html file of a nested folder, as `winnow run` finds them', async () => {
    const input = join(tmp, 'nested');
    const db = join(tmp, 'nested.db');
    mkdirSync(join(input, 'site-a', 'deeper'), { recursive: true });
    mkdirSync(join(input, 'site-b'), { recursive: true });
    copyFileSync(SEED, join(input, 'top.html'));
    copyFileSync(SECOND, join(input, 'site-a', 'page.html'));
    writeFileSync(join(input, 'site-a', 'deeper', 'story.htm'), '<html><body><article><p>Deep story.</p></article></body></html>');
    copyFileSync(SEED, join(input, 'site-b', 'page.html'));
    writeFileSync(join(input, 'site-b', 'notes.txt'), 'not a page');
    const expected = [
      join(input, 'site-a', 'deeper', 'story.htm'),
      join(input, 'site-a', 'page.html'),
      join(input, 'site-b', 'page.html'),
      join(input, 'top.html'),
    ];

    const redis = await startRedis();
    const prefix = testPrefix();
    const env = { REDIS_URL: redis.url, WINNOW_QUEUE_PREFIX: prefix };
    try {
      const result = run(['enqueue', '--dir', input, '--db', db], 60_000, env);
      expect(result.status, result.stderr).toBe(0);
      const lines = result.stdout.split('\n').filter((line) => line !== '').map((line) => line.split('\t'));
      expect(lines.map(([, what, file]) => [what, file])).toEqual(expected.map((file) => ['new', file]));
      expect(result.stderr).toContain('4 new, 0 duplicates\n');

      const producer = await openProducer(redis.url, prefix);
      const store = SqliteStore.open(db);
      try {
        const jobs = await producer.moderate.getJobs(['waiting']);
        expect(jobs.map((job) => job.id).sort()).toEqual(lines.map(([jobId]) => jobId).sort());
        const pages = await Promise.all(jobs.map(async (job) => store.getPage(job.data.pageId as string)));
        expect(pages.map((page) => [page?.source, page?.name]).sort()).toEqual(expected.map((file) => ['file', file]));
      } finally {
        await store.close();
        await producer.close();
      }

      // Enqueueing the folder again finds the same files: every job is a duplicate.
      const again = run(['enqueue', '--dir', input, '--db', db], 60_000, env);
      expect(again.status, again.stderr).toBe(0);
      expect(again.stderr).toContain('0 new, 4 duplicates\n');
    } finally {
      await redis.stop();
    }
  }, 120_000);
});

describe('winnow requeue-pending', () => {
  it('queues again the pending submissions older than --older-than whose job Redis lost', async () => {
    const redis = await startRedis();
    const prefix = testPrefix();
    const db = join(tmp, 'ledger.db');
    const urls = ['https://news.example.com/a', 'https://news.example.com/b'];
    const store = SqliteStore.open(db);
    try {
      for (const url of urls) await store.recordSubmission({ url, source: 'api' });
    } finally {
      await store.close();
    }
    const env = { REDIS_URL: redis.url, WINNOW_QUEUE_PREFIX: prefix };
    try {
      const young = run(['requeue-pending', '--db', db], 60_000, env);
      expect(young.status, young.stderr).toBe(0);
      expect(young.stdout).toBe('0 pending, 0 requeued; 0 fetched, 0 requeued; 0 recorded failed\n');

      const result = run(['requeue-pending', '--older-than', '0s', '--db', db], 60_000, env);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout.split('\n').filter((line) => line.startsWith('requeued\t')).sort()).toEqual(urls.map((url) => `requeued\tfetch\t${url}`));
      expect(result.stdout).toContain('2 pending, 2 requeued; 0 fetched, 0 requeued; 0 recorded failed\n');

      const producer = await openProducer(redis.url, prefix);
      try {
        for (const url of urls) expect(await producer.fetch.getJobState(fetchJobId(url))).toBe('waiting');
      } finally {
        await producer.close();
      }

      const refused = run(['requeue-pending', '--older-than', 'soon', '--db', db], 60_000, env);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toBe('winnow: not a duration: "soon" (use e.g. 90s, 10m, 2h, 1d)\n');
    } finally {
      await redis.stop();
    }
  }, 120_000);
});

describe('the winnow launcher', () => {
  const root = ROOT;
  it('passes the same node flags from the npm script, the bin shebang and the Dockerfile, and the speed benchmark times them', async () => {
    const { launcherFlags } = await import('../bench/process.js');
    const flags = launcherFlags(join(root, 'package.json'));
    expect(flags).toEqual(['--max-semi-space-size=4']);
    const shebang = readFileSync(join(root, 'src/cli/main.ts'), 'utf8').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${flags.join(' ')}`);
    const entry = /ENTRYPOINT \[(.*)\]/.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'))?.[1];
    expect(entry).toBe(['node', ...flags, 'dist/src/cli/main.js'].map((word) => `"${word}"`).join(', '));
  });
});
