import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MIGRATIONS, MIGRATIONS_TABLE } from '../../src/storage/migrations.js';
import { openStore } from '../../src/storage/open-store.js';
import { PostgresStore, type PostgresOptions } from '../../src/storage/postgres.js';
import { ARTICLE_PARAM_ORDER, BLOCK_PARAM_ORDER, articleParams, blockParams } from '../../src/storage/rows.js';
import { SqliteStore } from '../../src/storage/sqlite.js';
import { LABELS, type Article, type Label } from '../../src/types.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { makeArticle } from './make-article.js';
import { bigHtml, describeStoreContract, pageFor } from './store-contract.js';

let server: TestPostgres;

beforeAll(async () => {
  server = await startPostgres();
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

// makeStore must return an empty store: one database for the contract suite, emptied before each test
// (much faster than a database per test; the PostgreSQL-specific tests below each get a fresh one).
let contractUrl: string | undefined;
describeStoreContract('PostgresStore', async () => {
  contractUrl ??= await server.createDatabase();
  const store = await PostgresStore.open(contractUrl);
  await sql(contractUrl, 'TRUNCATE pages, articles, blocks, corrections');
  return store;
});

/** Run one statement on `url` outside any store. */
async function sql<R extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** An article with `count` blocks (the realistic ones, repeated), indexed 0..count-1. */
function articleWithBlocks(count: number, variant = ''): Article {
  const base = makeArticle({ variant });
  const blocks = Array.from({ length: count }, (_, index) => ({ ...base.blocks[index % base.blocks.length], index }));
  return { ...base, blocks };
}

/** Resolves once some session waits for a lock (seen from `client`'s own connection). */
async function waitForLockWaiter(client: pg.Client): Promise<void> {
  for (let tries = 0; tries < 250; tries++) {
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted');
    if (rows[0].n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no session started waiting for a lock within 5 s');
}

/** Milliseconds `promise` takes to settle, and its rejection (undefined when it resolved). */
async function timedRejection(promise: Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  try {
    await promise;
    return { ms: performance.now() - started, error: undefined };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

describe('PostgresStore', () => {
  const opened: PostgresStore[] = [];

  async function open(url: string, options?: PostgresOptions): Promise<PostgresStore> {
    const store = await PostgresStore.open(url, options);
    opened.push(store);
    return store;
  }

  afterEach(async () => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  it('applies migrations once when several workers open at the same time, and not again on reopen', async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all(Array.from({ length: 4 }, () => open(url)));
    const read = () => sql(url, 'SELECT version, name, applied_at FROM schema_migrations ORDER BY version');
    const first = await read();
    expect(first.map((row) => row.version)).toEqual(MIGRATIONS.map((migration) => migration.version));
    expect(first.map((row) => row.name)).toEqual(MIGRATIONS.map((migration) => migration.name));
    const results = await Promise.all(stores.map((store, n) => store.putPage(pageFor(`https://example.org/${n}`, '<p>x</p>'))));
    expect(results.every((result) => result.created)).toBe(true);
    await open(url);
    expect(await read()).toEqual(first);
  });

  it('refuses a database written by a newer schema', async () => {
    const url = await server.createDatabase();
    await open(url);
    await sql(url, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', now())");
    await expect(PostgresStore.open(url)).rejects.toThrow(/newer/);
  });

  it('stores one row when the same page is put from 10 parallel calls', async () => {
    const url = await server.createDatabase();
    const [a, b] = await Promise.all([open(url), open(url)]);
    const input = pageFor('https://news.example.com/race?id=1', bigHtml(64 * 1024));
    const results = await Promise.all(Array.from({ length: 10 }, (_, n) => (n % 2 === 0 ? a : b).putPage(input)));
    expect(new Set(results.map((result) => result.page.id)).size).toBe(1);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(await sql(url, 'SELECT count(*)::int AS n FROM pages')).toEqual([{ n: 1 }]);
  });

  it('keeps a page and article under a 5,000-character URL', async () => {
    const url = await server.createDatabase();
    const store = await open(url);
    // Random characters do not compress, so this key cannot fit a btree entry (about 2.7 kB).
    const longUrl = `https://news.example.com/${randomBytes(3750).toString('base64url')}`;
    expect(longUrl.length).toBeGreaterThanOrEqual(5000);
    const { page, created } = await store.putPage(pageFor(longUrl, '<p>long</p>'));
    expect(created).toBe(true);
    expect(page.url).toBe(longUrl);
    expect(await store.putPage(pageFor(longUrl, '<p>long</p>'))).toEqual({ page, created: false });
    const stored = await store.saveArticle(page.id, makeArticle({ url: longUrl }));
    expect(await store.getArticle(longUrl)).toEqual(stored);
    expect((await store.listArticles({ site: 'news.example.com' })).map((summary) => summary.id)).toEqual([stored.id]);
  });

  it('stores raw pages gzip-compressed in a bytea', async () => {
    const url = await server.createDatabase();
    const store = await open(url);
    const html = bigHtml(2 * 1024 * 1024);
    const { page } = await store.putPage(pageFor('https://example.org/big', html));
    const [row] = await sql<{ raw: Buffer }>(url, 'SELECT raw FROM pages WHERE id = $1', [page.id]);
    expect([row.raw[0], row.raw[1]]).toEqual([0x1f, 0x8b]);
    expect(row.raw.byteLength).toBeLessThan(html.length / 10);
  });

  it('returns timestamps in the format SqliteStore returns', async () => {
    const store = await open(await server.createDatabase());
    const sqlite = SqliteStore.open(':memory:');
    try {
      const format = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
      const { page } = await store.putPage(pageFor('https://example.org/t', '<p>t</p>'));
      const stored = await store.saveArticle(page.id, makeArticle());
      const failed = await store.saveFailure(page.id, { code: 'empty', message: 'x' });
      const fromSqlite = (await sqlite.putPage(pageFor('https://example.org/t', '<p>t</p>'))).page;
      for (const value of [page.createdAt, page.updatedAt, stored.createdAt, failed.updatedAt, fromSqlite.createdAt]) {
        expect(value).toMatch(format);
      }
      expect(failed.updatedAt > stored.createdAt).toBe(true);
    } finally {
      await sqlite.close();
    }
  });

  it('saves an article with 500 blocks in one transaction of a few statements', async () => {
    const store = await open(await server.createDatabase());
    const { page } = await store.putPage(pageFor('https://example.org/many', '<p>many</p>'));
    const article = articleWithBlocks(500);
    const query = vi.spyOn(pg.Client.prototype, 'query');
    const stored = await store.saveArticle(page.id, article);
    const statements = query.mock.calls.length;
    query.mockRestore();
    expect(statements).toBeLessThan(15);
    expect(stored.blocks).toHaveLength(500);
    expect(await store.getArticle(page.id)).toEqual(stored);
    expect((await store.listArticles())[0]).toMatchObject({ id: stored.id, blockCount: 500 });
  });

  it('stores nothing of an article whose 400th block is invalid, and keeps the previous one', async () => {
    const url = await server.createDatabase();
    const store = await open(url);
    const { page } = await store.putPage(pageFor('https://example.org/atomic', '<p>atomic</p>'));
    const good = await store.saveArticle(page.id, articleWithBlocks(500, ' (good)'));
    const bad = articleWithBlocks(500, ' (bad)');
    bad.blocks[399] = { ...bad.blocks[399], label: 'not-a-label' as Label };
    await expect(store.saveArticle(page.id, bad)).rejects.toThrow(/check constraint/);
    expect(await sql(url, 'SELECT id FROM articles')).toEqual([{ id: good.id }]);
    expect(await sql(url, 'SELECT article_id, count(*)::int AS n FROM blocks GROUP BY article_id')).toEqual([
      { article_id: good.id, n: 500 },
    ]);
    expect(await sql(url, "SELECT count(*)::int AS n FROM blocks WHERE text LIKE '%(bad)'")).toEqual([{ n: 0 }]);
    expect(await store.getArticle(page.id)).toEqual(good);
    expect(await store.getPage(page.id)).toMatchObject({ status: 'done', articleId: good.id });
  });

  it('serialises concurrent saves of one page: each replaces the last, one article remains', async () => {
    const url = await server.createDatabase();
    const [a, b] = await Promise.all([open(url), open(url)]);
    const { page } = await a.putPage(pageFor('https://example.org/busy', '<p>busy</p>'));
    const saved = await Promise.all(
      Array.from({ length: 6 }, (_, n) => (n % 2 === 0 ? a : b).saveArticle(page.id, makeArticle({ variant: ` (${n})` }))),
    );
    const [row] = await sql<{ article_id: string }>(url, 'SELECT article_id FROM pages WHERE id = $1', [page.id]);
    expect(saved.map((article) => article.id)).toContain(row.article_id);
    expect(await sql(url, 'SELECT id FROM articles')).toEqual([{ id: row.article_id }]);
    expect(await sql(url, 'SELECT count(*)::int AS n FROM blocks')).toEqual([{ n: 12 }]);
  });

  it('cuts a statement stuck on a lock at the statement timeout, as a retryable timeout', async () => {
    const url = await server.createDatabase();
    const store = await open(url, { statementTimeoutMs: 300 });
    const { page } = await store.putPage(pageFor('https://example.org/locked', '<p>locked</p>'));
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM pages WHERE id = $1 FOR UPDATE', [page.id]);
      const { ms, error } = await timedRejection(store.saveArticle(page.id, makeArticle()));
      expect(error).toMatchObject({ name: 'WinnowError', code: 'timeout', retryable: true });
      expect(ms).toBeLessThan(3000);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect((await store.saveArticle(page.id, makeArticle())).pageId).toBe(page.id);
  });

  it('deletes blocks with their replaced article', async () => {
    const url = await server.createDatabase();
    const store = await open(url);
    const { page } = await store.putPage(pageFor('https://example.org/a', '<p>a</p>'));
    await store.saveArticle(page.id, makeArticle());
    await store.saveArticle(page.id, makeArticle());
    expect(await sql(url, 'SELECT (SELECT count(*) FROM articles)::int AS articles, (SELECT count(*) FROM blocks)::int AS blocks')).toEqual([
      { articles: 1, blocks: 12 },
    ]);
  });

  it('keeps object keys in the order they were stored', async () => {
    const store = await open(await server.createDatabase());
    const { page } = await store.putPage(pageFor('https://example.org/k', '<p>k</p>'));
    const article = makeArticle();
    const stored = await store.saveArticle(page.id, article);
    expect(Object.keys(stored.counts)).toEqual(Object.keys(article.counts));
    expect(Object.keys(stored.blocks[0].scores)).toEqual(Object.keys(article.blocks[0].scores));
  });

  it('reports a server that accepts but never answers as a retryable network error within the connection timeout', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const { ms, error } = await timedRejection(PostgresStore.open(`postgresql://postgres@127.0.0.1:${port}/x`, { connectionTimeoutMs: 500 }));
      expect(error).toMatchObject({ code: 'network', retryable: true });
      expect(ms).toBeLessThan(3000);
    } finally {
      sockets.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  describe('openStore', () => {
    let dir: string;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'winnow-open-store-'));
    });

    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('opens PostgreSQL for a postgres:// or postgresql:// URL', async () => {
      const url = await server.createDatabase();
      for (const databaseUrl of [url, url.replace(/^postgresql:/, 'postgres:')]) {
        const store = await openStore({ databaseUrl, sqlitePath: join(dir, 'unused.db') });
        opened.push(store as PostgresStore);
        expect(store).toBeInstanceOf(PostgresStore);
      }
      expect(existsSync(join(dir, 'unused.db'))).toBe(false);
    });

    it('falls back to DATABASE_URL, then to SQLite', async () => {
      vi.stubEnv('DATABASE_URL', await server.createDatabase());
      const fromEnv = await openStore({ sqlitePath: join(dir, 'unused.db') });
      opened.push(fromEnv as PostgresStore);
      expect(fromEnv).toBeInstanceOf(PostgresStore);

      vi.stubEnv('DATABASE_URL', undefined);
      const sqlite = await openStore({ sqlitePath: join(dir, 'a.db') });
      await sqlite.close();
      expect(sqlite).toBeInstanceOf(SqliteStore);
      expect(existsSync(join(dir, 'a.db'))).toBe(true);

      const notPostgres = await openStore({ databaseUrl: 'mysql://example.org/x', sqlitePath: join(dir, 'b.db') });
      await notPostgres.close();
      expect(notPostgres).toBeInstanceOf(SqliteStore);
    });
  });

  it('lets exactly one of eight batches from two processes expecting the same label through, round after round', async () => {
    const url = await server.createDatabase();
    const [a, b] = await Promise.all([open(url), open(url)]);
    const { page } = await a.putPage(pageFor('https://example.org/review', '<p>review</p>'));
    const stored = await a.saveArticle(page.id, makeArticle());
    let expected: Label = 'promo';
    for (let round = 0; round < 5; round++) {
      // Every contender changes the label (a confirmation would leave it as the others expect).
      const others = LABELS.filter((label) => label !== expected);
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, n) =>
          (n % 2 === 0 ? a : b).addCorrections(stored.id, [{ blockIndex: 6, expected, label: others[n % 2] }], `r${n}`),
        ),
      );
      const won = results.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
      const lost = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
      expect(won, `round ${round}`).toHaveLength(1);
      expect(lost.every((error) => error.code === 'conflict' && error.current[0].label === won[0].label)).toBe(true);
      expected = won[0].label;
    }
    expect(await sql(url, 'SELECT count(*)::int AS n FROM corrections')).toEqual([{ n: 5 }]);
    expect((await b.blockReviews(page.id)).get(stored.blocks[6].path)?.label).toBe(expected);
  });

  it('waits for a reprocessing of the page, then refuses corrections to the replaced article', async () => {
    const url = await server.createDatabase();
    const store = await open(url);
    const { page } = await store.putPage(pageFor('https://example.org/reprocess', '<p>r</p>'));
    const stored = await store.saveArticle(page.id, makeArticle());
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      // A reprocessing in flight holds the page row, as saveArticle does.
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM pages WHERE id = $1 FOR UPDATE', [page.id]);
      const pending = store.addCorrections(stored.id, [{ blockIndex: 2, expected: 'editorial', label: 'promo' }], 'ada');
      // It may reject before COMMIT's answer arrives here; the assertion below still sees the rejection.
      pending.catch(() => undefined);
      await waitForLockWaiter(holder);
      await holder.query('DELETE FROM articles WHERE id = $1', [stored.id]);
      await holder.query('COMMIT');
      await expect(pending).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      await holder.end();
    }
    expect(await sql(url, 'SELECT count(*)::int AS n FROM corrections')).toEqual([{ n: 0 }]);
  });

  it('refuses to update a correction (append-only)', async () => {
    const url = await server.createDatabase();
    const store = await open(url);
    const { page } = await store.putPage(pageFor('https://example.org/audit', '<p>a</p>'));
    const stored = await store.saveArticle(page.id, makeArticle());
    const [correction] = await store.addCorrections(stored.id, [{ blockIndex: 2, expected: 'editorial', label: 'promo' }], 'ada');
    await expect(sql(url, "UPDATE corrections SET label = 'editorial' WHERE id = $1", [correction.id])).rejects.toThrow(/append-only/);
    expect(await store.listCorrections()).toEqual([correction]);
  });

  it('migrates a version-1 database, keeping its pages and articles', async () => {
    const url = await server.createDatabase();
    const article = makeArticle({ url: 'https://example.org/old' });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(MIGRATIONS_TABLE.postgres);
      await client.query(MIGRATIONS[0].postgres);
      await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'initial_schema', now())");
      const raw = gzipSync(Buffer.from('<p>old</p>'));
      await client.query(
        `INSERT INTO pages (id, url, url_key, source, status, content_sha256, raw, created_at, updated_at)
         VALUES ('page-1', 'https://example.org/old', 'https://example.org/old', 'url', 'done', 'sha', $1, now(), now())`,
        [raw],
      );
      const params = articleParams('article-1', { id: 'page-1', url: 'https://example.org/old' }, article, '2024-05-02T06:30:00.000000Z');
      await client.query(
        `INSERT INTO articles (id, page_id, url, url_key, site, title, byline, published_time, site_name, lang, excerpt, text, html,
           markdown, model, engine, counts, block_count, min_confidence, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
        // A version-1 row has no fallback column (migration 3 adds it).
        ARTICLE_PARAM_ORDER.filter((key) => key !== 'fallback').map((key) => params[key]),
      );
      for (const block of article.blocks) {
        const row = blockParams(block);
        await client.query(
          `INSERT INTO blocks (article_id, idx, path, tag, text, html, label, confidence, scores, raw_label, smoothed_by, readability,
             listing_size, listing_key, top_features)
           VALUES ('article-1', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
          BLOCK_PARAM_ORDER.map((key) => row[key]),
        );
      }
      await client.query("UPDATE pages SET article_id = 'article-1' WHERE id = 'page-1'");
    } finally {
      await client.end();
    }

    const store = await open(url);
    expect((await sql(url, 'SELECT version FROM schema_migrations ORDER BY version')).map((row) => row.version)).toEqual(
      MIGRATIONS.map((migration) => migration.version),
    );
    expect((await store.getArticle('https://example.org/old'))?.blocks).toStrictEqual(article.blocks);
    expect((await store.getArticle('https://example.org/old'))?.fallback).toBe(false);
    expect(await store.listDonePageIds()).toEqual(['page-1']);
    expect(await store.countArticlesByModel()).toEqual({ [article.model]: 1 });
    expect((await store.listReviewCandidates()).map((candidate) => candidate.articleId)).toHaveLength(8);
    const [correction] = await store.addCorrections('article-1', [{ blockIndex: 5, expected: 'promo', label: 'boilerplate' }], 'ada');
    expect(correction).toMatchObject({ pageId: 'page-1', articleId: 'article-1', previousLabel: 'promo', label: 'boilerplate' });
    expect(await store.reviewStats()).toMatchObject({ corrections: 1, changedBlocks: 1 });
  });

  // Stops the shared server: keep last in the file.
  describe('when the server goes down', () => {
    it('rejects with a retryable network error within seconds, then works again after a restart', async () => {
      const store = await open(server.url, { connectionTimeoutMs: 2000 });
      const { page } = await store.putPage(pageFor('https://example.org/outage', '<p>before</p>'));
      // Warm several pooled connections, so dead idle ones are exercised too.
      await Promise.all(Array.from({ length: 5 }, () => store.getPage(page.id)));

      await server.halt();
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['getPage', () => store.getPage(page.id)],
        ['putPage', () => store.putPage(pageFor('https://example.org/outage', '<p>during</p>'))],
        ['getRawPage', () => store.getRawPage(page.id)],
        ['saveArticle', () => store.saveArticle(page.id, makeArticle())],
        ['saveFailure', () => store.saveFailure(page.id, { code: 'empty', message: 'x' })],
        ['getArticle', () => store.getArticle(page.id)],
        ['listArticles', () => store.listArticles()],
        ['listFailures', () => store.listFailures()],
        ['addCorrections', () => store.addCorrections('some-article', [{ blockIndex: 0, expected: 'promo', label: 'editorial' }], 'ada')],
        ['listCorrections', () => store.listCorrections()],
        ['blockReviews', () => store.blockReviews(page.id)],
        ['listReviewCandidates', () => store.listReviewCandidates()],
        ['listReviewedPages', () => store.listReviewedPages()],
        ['reviewStats', () => store.reviewStats()],
        ['listDonePageIds', () => store.listDonePageIds()],
        ['countArticlesByModel', () => store.countArticlesByModel()],
        ['open', () => PostgresStore.open(server.url, { connectionTimeoutMs: 2000 })],
      ];
      for (const [name, call] of calls) {
        const { ms, error } = await timedRejection(call());
        expect(error, name).toMatchObject({ name: 'WinnowError', code: 'network', retryable: true });
        expect(ms, name).toBeLessThan(3000);
      }

      await server.restart();
      expect(await store.getPage(page.id)).toEqual(page);
      const stored = await store.saveArticle(page.id, makeArticle());
      expect(await store.getArticle(page.id)).toEqual(stored);
    });
  });
});
