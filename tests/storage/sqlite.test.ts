import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, MIGRATIONS_TABLE } from '../../src/storage/migrations.js';
import { articleParams, blockParams } from '../../src/storage/rows.js';
import { SqliteStore } from '../../src/storage/sqlite.js';
import { makeArticle } from './make-article.js';
import { bigHtml, describeStoreContract, pageFor } from './store-contract.js';

let contractDir: string | undefined;

describeStoreContract(
  'SqliteStore (file)',
  async () => {
    contractDir = mkdtempSync(join(tmpdir(), 'winnow-store-'));
    return SqliteStore.open(join(contractDir, 'winnow.db'));
  },
  async () => {
    rmSync(contractDir!, { recursive: true, force: true });
  },
);

describeStoreContract('SqliteStore (:memory:)', async () => SqliteStore.open(':memory:'));

/** Holds the write lock on `file` from another thread for `holdMs`; resolves once the lock is taken. */
async function holdWriteLock(file: string, holdMs: number): Promise<Worker> {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const Database = require(workerData.driver);
    const db = new Database(workerData.file);
    db.exec('BEGIN IMMEDIATE');
    parentPort.postMessage('locked');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.holdMs);
    db.exec('COMMIT');
    db.close();
  `;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(source, { eval: true, workerData: { driver, file, holdMs } });
  const [message] = await once(worker, 'message');
  expect(message).toBe('locked');
  return worker;
}

describe('SqliteStore', () => {
  let dir: string;
  let file: string;
  const opened: SqliteStore[] = [];

  function open(path = file): SqliteStore {
    const store = SqliteStore.open(path);
    opened.push(store);
    return store;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'winnow-sqlite-'));
    file = join(dir, 'winnow.db');
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens with WAL, synchronous FULL, a 5 s busy timeout and foreign keys on', () => {
    expect(open().settings()).toEqual({ journalMode: 'wal', synchronous: 2, busyTimeoutMs: 5000, foreignKeys: true });
  });

  it('creates missing parent folders', async () => {
    const store = open(join(dir, 'a', 'b', 'winnow.db'));
    expect((await store.putPage(pageFor('https://example.org/', '<p>x</p>'))).created).toBe(true);
  });

  it('applies each migration once, and not again on reopen', async () => {
    await open().close();
    const read = () => {
      const db = new Database(file, { readonly: true });
      try {
        return db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all();
      } finally {
        db.close();
      }
    };
    const first = read();
    expect(first.map((row) => (row as { version: number }).version)).toEqual(MIGRATIONS.map((m) => m.version));
    await open().close();
    expect(read()).toEqual(first);
  });

  it('refuses a database written by a newer schema', async () => {
    await open().close();
    const db = new Database(file);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')").run();
    db.close();
    expect(() => SqliteStore.open(file)).toThrow(/newer/);
  });

  it('keeps pages and articles across close and reopen', async () => {
    const first = open();
    const { page } = await first.putPage(pageFor('https://example.org/a', '<p>kept</p>'));
    const stored = await first.saveArticle(page.id, makeArticle({ url: 'https://example.org/a' }));
    await first.close();
    const second = open();
    expect(await second.getArticle('https://example.org/a')).toEqual(stored);
    expect(new TextDecoder().decode((await second.getRawPage(page.id))!)).toBe('<p>kept</p>');
    expect(await second.putPage(pageFor('https://example.org/a', '<p>kept</p>'))).toEqual({
      page: { ...page, status: 'done', articleId: stored.id, updatedAt: expect.any(String) },
      created: false,
    });
  });

  it('stores raw pages gzip-compressed', async () => {
    const store = open();
    const html = bigHtml(2 * 1024 * 1024);
    const { page } = await store.putPage(pageFor('https://example.org/big', html));
    const db = new Database(file, { readonly: true });
    const blob = db.prepare('SELECT raw FROM pages WHERE id = ?').pluck().get(page.id) as Buffer;
    db.close();
    expect([blob[0], blob[1]]).toEqual([0x1f, 0x8b]);
    expect(blob.byteLength).toBeLessThan(html.length / 10);
  });

  it('deletes blocks with their article (foreign keys enforced)', async () => {
    const store = open();
    const { page } = await store.putPage(pageFor('https://example.org/a', '<p>a</p>'));
    await store.saveArticle(page.id, makeArticle());
    await store.saveArticle(page.id, makeArticle());
    const db = new Database(file, { readonly: true });
    const counts = db.prepare('SELECT (SELECT count(*) FROM articles) AS articles, (SELECT count(*) FROM blocks) AS blocks').get();
    db.close();
    expect(counts).toEqual({ articles: 1, blocks: 12 });
  });

  it('lets two connections on one file both write', async () => {
    const a = open();
    const b = open();
    const writes = Array.from({ length: 20 }, async (_, n) => {
      const store = n % 2 === 0 ? a : b;
      const url = `https://example.org/${n}`;
      const { page } = await store.putPage(pageFor(url, `<p>${n}</p>`));
      return store.saveArticle(page.id, makeArticle({ url }));
    });
    const stored = await Promise.all(writes);
    expect(await a.listArticles({ limit: 100 })).toHaveLength(20);
    expect(await b.getArticle(stored[0].id)).toEqual(stored[0]);
    expect(await a.getArticle(stored[1].id)).toEqual(stored[1]);
  });

  it('waits for another connection\'s write lock instead of failing', async () => {
    const store = open();
    await store.putPage(pageFor('https://example.org/warm-up', '<p>0</p>'));
    const holdMs = 300;
    const worker = await holdWriteLock(file, holdMs);
    const started = performance.now();
    const { created } = await store.putPage(pageFor('https://example.org/blocked', '<p>1</p>'));
    const waited = performance.now() - started;
    const [exitCode] = await once(worker, 'exit');
    expect(created).toBe(true);
    expect(exitCode).toBe(0);
    expect(waited).toBeGreaterThan(holdMs / 2);
  });

  it('migrates a version-1 file, keeping its pages and articles', async () => {
    const article = makeArticle({ url: 'https://example.org/old' });
    const v1 = new Database(file);
    v1.exec(MIGRATIONS_TABLE.sqlite);
    v1.exec(MIGRATIONS[0].sqlite);
    v1.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'initial_schema', '2024-05-01T00:00:00.000000Z')").run();
    v1.prepare(
      `INSERT INTO pages (id, url, url_key, source, status, content_sha256, raw, created_at, updated_at)
       VALUES ('page-1', 'https://example.org/old', 'https://example.org/old', 'url', 'done', 'sha', ?, 'x', 'x')`,
    ).run(gzipSync(Buffer.from('<p>old</p>')));
    v1.prepare(
      `INSERT INTO articles (id, page_id, url, url_key, site, title, byline, published_time, site_name, lang, excerpt, text, html,
         markdown, model, engine, counts, block_count, min_confidence, created_at)
       VALUES (@id, @pageId, @url, @urlKey, @site, @title, @byline, @publishedTime, @siteName, @lang, @excerpt, @text, @html,
         @markdown, @model, @engine, @counts, @blockCount, @minConfidence, @createdAt)`,
    ).run(articleParams('article-1', { id: 'page-1', url: 'https://example.org/old' }, article, '2024-05-02T06:30:00.000000Z'));
    const insertBlock = v1.prepare(
      `INSERT INTO blocks (article_id, idx, path, tag, text, html, label, confidence, scores, raw_label, smoothed_by, readability,
         listing_size, listing_key, top_features)
       VALUES ('article-1', @idx, @path, @tag, @text, @html, @label, @confidence, @scores, @rawLabel, @smoothedBy, @readability,
         @listingSize, @listingKey, @topFeatures)`,
    );
    for (const block of article.blocks) {
      insertBlock.run(blockParams(block));
    }
    v1.prepare("UPDATE pages SET article_id = 'article-1' WHERE id = 'page-1'").run();
    v1.close();

    const store = open();
    const db = new Database(file, { readonly: true });
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    db.close();
    expect(versions).toEqual(MIGRATIONS.map((migration) => migration.version));
    expect((await store.getArticle('https://example.org/old'))?.blocks).toStrictEqual(article.blocks);
    expect(new TextDecoder().decode((await store.getRawPage('page-1'))!)).toBe('<p>old</p>');
    expect(await store.listDonePageIds()).toEqual(['page-1']);
    expect(await store.countArticlesByModel()).toEqual({ [article.model]: 1 });
    expect(await store.listReviewCandidates()).toHaveLength(8);
    const [correction] = await store.addCorrections('article-1', [{ blockIndex: 5, expected: 'promo', label: 'boilerplate' }], 'ada');
    expect(correction).toMatchObject({ pageId: 'page-1', articleId: 'article-1', previousLabel: 'promo', label: 'boilerplate' });
    expect(await store.reviewStats()).toMatchObject({ corrections: 1, changedBlocks: 1 });
  });

  it('refuses to update a correction (append-only)', async () => {
    const store = open();
    const { page } = await store.putPage(pageFor('https://example.org/audit', '<p>a</p>'));
    const stored = await store.saveArticle(page.id, makeArticle());
    const [correction] = await store.addCorrections(stored.id, [{ blockIndex: 2, expected: 'editorial', label: 'promo' }], 'ada');
    const db = new Database(file);
    try {
      expect(() => db.prepare("UPDATE corrections SET label = 'editorial' WHERE id = ?").run(correction.id)).toThrow(/append-only/);
    } finally {
      db.close();
    }
    expect(await store.listCorrections()).toEqual([correction]);
  });

  it('serialises corrections from two connections on one file: the second sees the first', async () => {
    const a = open();
    const b = open();
    const { page } = await a.putPage(pageFor('https://example.org/two', '<p>two</p>'));
    const stored = await a.saveArticle(page.id, makeArticle());
    const [first] = await a.addCorrections(stored.id, [{ blockIndex: 7, expected: 'promo', label: 'editorial' }], 'ada');
    await expect(b.addCorrections(stored.id, [{ blockIndex: 7, expected: 'promo', label: 'boilerplate' }], 'bob')).rejects.toMatchObject({
      code: 'conflict',
      current: [{ blockIndex: 7, label: 'editorial', correctionId: first.id }],
    });
    expect(await b.listCorrections()).toEqual([first]);
  });

  it('closes idempotently', async () => {
    const store = open();
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
  });

  it('has ordered, unique migrations with SQL for both backends', () => {
    const versions = MIGRATIONS.map((migration) => migration.version);
    expect(versions).toEqual([...versions].sort((x, y) => x - y));
    expect(new Set(versions).size).toBe(versions.length);
    for (const migration of MIGRATIONS) {
      expect(migration.sqlite.trim()).not.toBe('');
      expect(migration.postgres.trim()).not.toBe('');
    }
  });
});
