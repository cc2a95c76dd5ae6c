import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.js';
import type { CorrectionInput, ReviewCandidateFilter } from '../../src/review/types.js';
import type { NewPage, Store, StoredArticle } from '../../src/storage/store.js';
import type { Article, Label } from '../../src/types.js';
import { makeArticle } from './make-article.js';

const URL_A = 'https://news.example.com/zurich/rents?id=42';
const HTML_A = '<html><head><title>Rents</title></head><body><p>Café — 4 %</p></body></html>';

/** A page fetched from `url` with `html` as its bytes. */
export function pageFor(url: string | null, html: string, extra: Partial<NewPage> = {}): NewPage {
  return { url, source: 'url', raw: new TextEncoder().encode(html), contentType: 'text/html; charset=utf-8', ...extra };
}

/** About `bytes` of repetitive but realistic HTML. */
export function bigHtml(bytes: number): string {
  const row = '<tr><td class="c">Zürich</td><td>1 061 CHF</td><td><a href="/x?a=1&b=2">details</a></td></tr>\n';
  return `<html><body><table>${row.repeat(Math.ceil(bytes / row.length))}</table></body></html>`;
}

/** A relabel of block `blockIndex` from `expected` to `label`. */
function relabel(blockIndex: number, expected: Label, label: Label, undoes?: number): CorrectionInput {
  return undoes === undefined ? { blockIndex, expected, label } : { blockIndex, expected, label, undoes };
}

/** First 16 hex digits of the sha256 of `text`. */
function hash16(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The rejection of `promise` (fails the test when it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

/** Hex sha256 of no bytes: the content key of a submission's pending row. */
const EMPTY_SHA256 = createHash('sha256').update(new Uint8Array(0)).digest('hex');

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

function withoutStoreFields(stored: StoredArticle): Article {
  const { id: _id, pageId: _pageId, createdAt: _createdAt, ...article } = stored;
  return article;
}

/**
 * The behaviour every {@link Store} backend must show. `makeStore` is called before each test
 * and must return a fresh, empty store; after each test the suite closes it, then awaits `cleanup`.
 */
export function describeStoreContract(
  name: string,
  makeStore: () => Promise<Store>,
  cleanup?: () => Promise<void>,
): void {
  describe(`${name}: Store contract`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    /** Store a page for `url` and an article for it; returns the stored article. */
    async function storeArticle(url: string, article: Article = makeArticle({ url }), html = `${HTML_A}<!--${url}-->`) {
      const { page } = await store.putPage(pageFor(url, html));
      return store.saveArticle(page.id, article);
    }

    describe('putPage', () => {
      it('stores a new page as fetched, with its sha256', async () => {
        const input = pageFor(URL_A, HTML_A, { name: 'rents.html' });
        const { page, created } = await store.putPage(input);
        expect(created).toBe(true);
        expect(page).toMatchObject({
          url: URL_A,
          name: 'rents.html',
          source: 'url',
          status: 'fetched',
          errorCode: null,
          errorMessage: null,
          contentSha256: createHash('sha256').update(input.raw).digest('hex'),
          contentType: 'text/html; charset=utf-8',
          articleId: null,
        });
        expect(page.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
        expect(await store.getPage(page.id)).toEqual(page);
      });

      it('returns the existing page for the same URL and bytes', async () => {
        const first = await store.putPage(pageFor(URL_A, HTML_A));
        const again = await store.putPage(pageFor(URL_A, HTML_A));
        const variant = await store.putPage(pageFor('HTTPS://News.Example.COM:443/zurich/rents?utm_source=x&id=42#top', HTML_A));
        expect(again).toEqual({ page: first.page, created: false });
        expect(variant).toEqual({ page: first.page, created: false });
      });

      it('keeps a new page when the bytes or the URL differ', async () => {
        const first = await store.putPage(pageFor(URL_A, HTML_A));
        const changed = await store.putPage(pageFor(URL_A, `${HTML_A} `));
        const elsewhere = await store.putPage(pageFor('https://news.example.com/other', HTML_A));
        expect(changed.created).toBe(true);
        expect(elsewhere.created).toBe(true);
        expect(new Set([first.page.id, changed.page.id, elsewhere.page.id]).size).toBe(3);
      });

      it('keys pages without a URL on their name, else on their bytes', async () => {
        const named = await store.putPage(pageFor(null, HTML_A, { source: 'file', name: 'a.html' }));
        const sameName = await store.putPage(pageFor(null, HTML_A, { source: 'file', name: 'a.html' }));
        const otherName = await store.putPage(pageFor(null, HTML_A, { source: 'file', name: 'b.html' }));
        const anonymous = await store.putPage(pageFor(null, HTML_A, { source: 'api' }));
        const anonymousAgain = await store.putPage(pageFor(null, HTML_A, { source: 'api' }));
        expect(sameName).toEqual({ page: named.page, created: false });
        expect(otherName.created).toBe(true);
        expect(anonymous.created).toBe(true);
        expect(anonymousAgain).toEqual({ page: anonymous.page, created: false });
        expect(anonymous.page).toMatchObject({ url: null, name: null, source: 'api' });
      });

      it('rejects a URL that is not absolute', async () => {
        await expect(store.putPage(pageFor('/relative/path', HTML_A))).rejects.toMatchObject({ code: 'bad_input' });
      });
    });

    describe('raw pages', () => {
      it('round-trips every byte value exactly', async () => {
        const raw = new Uint8Array(512).map((_, i) => (i * 7) % 256);
        const { page } = await store.putPage({ url: URL_A, source: 'warc', raw });
        const back = await store.getRawPage(page.id);
        expect(back).toBeInstanceOf(Uint8Array);
        expect(Buffer.from(back!).equals(Buffer.from(raw))).toBe(true);
      });

      it('round-trips a 2 MB page', async () => {
        const input = pageFor(URL_A, bigHtml(2 * 1024 * 1024));
        expect(input.raw.byteLength).toBeGreaterThanOrEqual(2 * 1024 * 1024);
        const { page } = await store.putPage(input);
        const back = await store.getRawPage(page.id);
        expect(back?.byteLength).toBe(input.raw.byteLength);
        expect(Buffer.from(back!).equals(Buffer.from(input.raw))).toBe(true);
      });

      it('returns null for unknown pages', async () => {
        expect(await store.getPage('no-such-page')).toBeNull();
        expect(await store.getRawPage('no-such-page')).toBeNull();
      });
    });

    describe('saveArticle', () => {
      it('stores the article and marks the page done', async () => {
        const { page } = await store.putPage(pageFor(URL_A, HTML_A));
        const article = makeArticle();
        const stored = await store.saveArticle(page.id, article);
        expect(stored.pageId).toBe(page.id);
        expect(stored.id).not.toBe(page.id);
        expect(withoutStoreFields(stored)).toStrictEqual(article);
        expect(await store.getPage(page.id)).toMatchObject({ status: 'done', articleId: stored.id, errorCode: null });
      });

      it('replaces the previous article and its blocks', async () => {
        const { page } = await store.putPage(pageFor(URL_A, HTML_A));
        const first = await store.saveArticle(page.id, makeArticle({ variant: ' (v1)' }));
        const second = await store.saveArticle(page.id, makeArticle({ variant: ' (v2)', without: ['promo'] }));
        const byPage = await store.getArticle(page.id);
        expect(byPage?.id).toBe(second.id);
        expect(byPage?.blocks).toHaveLength(8);
        expect(byPage?.blocks.map((block) => block.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
        expect(byPage?.blocks.every((block) => block.text.endsWith(' (v2)'))).toBe(true);
        expect(await store.getArticle(first.id)).toBeNull();
        expect((await store.listArticles()).map((summary) => summary.id)).toEqual([second.id]);
        expect((await store.listArticles({ label: 'promo' })).length).toBe(0);
      });

      it('clears an earlier failure', async () => {
        const { page } = await store.putPage(pageFor(URL_A, HTML_A));
        await store.saveFailure(page.id, { code: 'parse_failed', message: 'boom' });
        await store.saveArticle(page.id, makeArticle());
        expect(await store.getPage(page.id)).toMatchObject({ status: 'done', errorCode: null, errorMessage: null });
        expect(await store.listFailures()).toEqual([]);
      });

      it('throws for an unknown page and stores nothing', async () => {
        await expect(store.saveArticle('no-such-page', makeArticle())).rejects.toThrow(/no-such-page/);
        expect(await store.listArticles()).toEqual([]);
      });

      it('keeps the previous article when the new one cannot be stored', async () => {
        const { page } = await store.putPage(pageFor(URL_A, HTML_A));
        const good = await store.saveArticle(page.id, makeArticle());
        const bad = makeArticle({ variant: ' (bad)' });
        bad.blocks[1] = { ...bad.blocks[1], index: 0 };
        await expect(store.saveArticle(page.id, bad)).rejects.toThrow();
        expect(await store.getArticle(page.id)).toEqual(good);
        expect(await store.getPage(page.id)).toMatchObject({ status: 'done', articleId: good.id });
      });

      it('stores an article with no blocks and no URL', async () => {
        const { page } = await store.putPage(pageFor(null, HTML_A, { source: 'file', name: 'empty.html' }));
        const article: Article = { ...makeArticle({ url: null, title: null }), blocks: [], counts: { editorial: 0, promo: 0, boilerplate: 0 } };
        const stored = await store.saveArticle(page.id, article);
        expect(withoutStoreFields(stored)).toStrictEqual(article);
        const [summary] = await store.listArticles();
        expect(summary).toMatchObject({ url: null, title: null, blockCount: 0 });
      });
    });

    describe('saveFailure and listFailures', () => {
      it('records the reason and keeps the raw page', async () => {
        const input = pageFor(URL_A, HTML_A);
        const { page } = await store.putPage(input);
        const failed = await store.saveFailure(page.id, { code: 'too_deep', message: 'nesting over 512' });
        expect(failed).toMatchObject({ id: page.id, status: 'failed', errorCode: 'too_deep', errorMessage: 'nesting over 512' });
        expect(await store.getPage(page.id)).toEqual(failed);
        expect(Buffer.from((await store.getRawPage(page.id))!).equals(Buffer.from(input.raw))).toBe(true);
        expect(await store.listFailures()).toEqual([failed]);
      });

      it('lists the most recent failures first, up to the limit', async () => {
        const ids: string[] = [];
        for (const n of [1, 2, 3]) {
          ids.push((await store.putPage(pageFor(`https://example.org/${n}`, HTML_A))).page.id);
        }
        await store.putPage(pageFor('https://example.org/ok', HTML_A));
        for (const id of [ids[2], ids[0], ids[1]]) {
          await store.saveFailure(id, { code: 'not_html', message: `page ${id}` });
        }
        expect((await store.listFailures()).map((page) => page.id)).toEqual([ids[1], ids[0], ids[2]]);
        expect((await store.listFailures(2)).map((page) => page.id)).toEqual([ids[1], ids[0]]);
      });

      it('throws for an unknown page', async () => {
        await expect(store.saveFailure('no-such-page', { code: 'empty', message: 'x' })).rejects.toThrow(/no-such-page/);
      });
    });

    describe('getArticle', () => {
      it('finds an article by its id, its page id and its URL', async () => {
        const stored = await storeArticle(URL_A);
        expect(await store.getArticle(stored.id)).toEqual(stored);
        expect(await store.getArticle(stored.pageId)).toEqual(stored);
        expect(await store.getArticle(URL_A)).toEqual(stored);
      });

      it('finds an article by an equivalent URL', async () => {
        const stored = await storeArticle(URL_A);
        const equivalent = 'https://NEWS.Example.com/zurich/rents?utm_medium=email&id=42&utm_campaign=spring#comments';
        expect(await store.getArticle(equivalent)).toEqual(stored);
      });

      it('returns the most recent article for a URL', async () => {
        await storeArticle(URL_A, makeArticle({ variant: ' (old)' }), `${HTML_A}<!-- v1 -->`);
        const latest = await storeArticle(URL_A, makeArticle({ variant: ' (new)' }), `${HTML_A}<!-- v2 -->`);
        expect((await store.getArticle(URL_A))?.id).toBe(latest.id);
      });

      it('returns null when nothing matches', async () => {
        await storeArticle(URL_A);
        expect(await store.getArticle('https://news.example.com/zurich/rents?id=43')).toBeNull();
        expect(await store.getArticle('not a url or id')).toBeNull();
        expect(await store.getArticle('')).toBeNull();
      });

      it('round-trips blocks exactly, in index order', async () => {
        const article = makeArticle();
        const stored = await storeArticle(URL_A, article);
        const back = await store.getArticle(stored.id);
        expect(back?.blocks).toStrictEqual(article.blocks);
        const smoothed = back!.blocks.filter((block) => block.smoothedBy !== undefined);
        expect(smoothed.map((block) => [block.label, block.rawLabel, block.smoothedBy])).toEqual([
          ['promo', 'boilerplate', 'listing'],
          ['editorial', 'boilerplate', 'context'],
        ]);
        expect(back!.blocks.filter((block) => !('rawLabel' in block))).toHaveLength(article.blocks.length - 2);
      });
    });

    describe('listArticles', () => {
      it('lists summaries newest first', async () => {
        const older = await storeArticle('https://news.example.com/a');
        const newer = await storeArticle('https://blog.example.org/b', makeArticle({ url: 'https://blog.example.org/b', title: 'B' }));
        const summaries = await store.listArticles();
        expect(summaries.map((summary) => summary.id)).toEqual([newer.id, older.id]);
        expect(summaries[0]).toEqual({
          id: newer.id,
          pageId: newer.pageId,
          url: 'https://blog.example.org/b',
          title: 'B',
          siteName: 'Example News',
          model: newer.model,
          blockCount: 12,
          counts: newer.counts,
          minConfidence: Math.min(...newer.blocks.map((block) => block.confidence)),
          createdAt: newer.createdAt,
        });
      });

      it('filters by site, model and label', async () => {
        const a = await storeArticle('https://news.example.com/a');
        const b = await storeArticle('https://news.example.com/b', makeArticle({ url: 'https://news.example.com/b', model: 'nb-2', without: ['promo'] }));
        const c = await storeArticle('https://blog.example.org/c', makeArticle({ url: 'https://blog.example.org/c', model: 'nb-2' }));
        const ids = async (filter: Parameters<Store['listArticles']>[0]) => (await store.listArticles(filter)).map((s) => s.id);
        expect(await ids({ site: 'news.example.com' })).toEqual([b.id, a.id]);
        expect(await ids({ site: 'example.com' })).toEqual([]);
        expect(await ids({ model: 'nb-2' })).toEqual([c.id, b.id]);
        expect(await ids({ label: 'promo' })).toEqual([c.id, a.id]);
        expect(await ids({ label: 'editorial' })).toEqual([c.id, b.id, a.id]);
        expect(await ids({ site: 'news.example.com', model: 'nb-2', label: 'editorial' })).toEqual([b.id]);
        expect(await ids({ site: 'news.example.com', label: 'promo' })).toEqual([a.id]);
      });

      it('pages with limit and offset, 50 by default', async () => {
        const ids: string[] = [];
        for (let n = 0; n < 55; n++) {
          const url = `https://news.example.com/story/${n}`;
          ids.unshift((await storeArticle(url, makeArticle({ url }))).id);
        }
        expect((await store.listArticles()).map((s) => s.id)).toEqual(ids.slice(0, 50));
        expect((await store.listArticles({ limit: 20, offset: 0 })).map((s) => s.id)).toEqual(ids.slice(0, 20));
        expect((await store.listArticles({ limit: 20, offset: 20 })).map((s) => s.id)).toEqual(ids.slice(20, 40));
        expect((await store.listArticles({ limit: 20, offset: 40 })).map((s) => s.id)).toEqual(ids.slice(40));
        expect(await store.listArticles({ offset: 55 })).toEqual([]);
        expect(await store.listArticles({ limit: 5000 })).toHaveLength(55);
      });
    });

    describe('submission ledger', () => {
      const NO_BYTES = new Uint8Array(0);
      const inAMinute = (): string => new Date(Date.now() + 60_000).toISOString();
      const pendingIds = async (): Promise<string[]> => (await store.listPendingSubmissions({ olderThan: inAMinute() })).map((page) => page.id);

      it('records a submission as a pending page without bytes, keyed like every page', async () => {
        const url = `${URL_A}&utm_source=feed`;
        const submitted = await store.recordSubmission({ url, source: 'api' });
        expect(submitted).toMatchObject({
          url,
          name: null,
          source: 'api',
          status: 'pending',
          errorCode: null,
          errorMessage: null,
          contentSha256: EMPTY_SHA256,
          contentType: null,
          articleId: null,
        });
        expect(submitted.updatedAt).toBe(submitted.createdAt);
        expect(await store.getPage(submitted.id)).toEqual(submitted);
        expect((await store.getRawPage(submitted.id))?.byteLength).toBe(0);
        // The fetch stage records a failure on this very row: a page of the URL without bytes.
        expect(await store.putPage({ url: URL_A, source: 'url', raw: NO_BYTES })).toEqual({ page: submitted, created: false });
        expect(await pendingIds()).toEqual([submitted.id]);
      });

      it('keeps one row per normalised URL and refreshes it on every submission', async () => {
        const first = await store.recordSubmission({ url: URL_A, source: 'api' });
        const again = await store.recordSubmission({ url: 'HTTPS://News.Example.COM:443/zurich/rents?utm_source=x&id=42#top', source: 'url' });
        expect(again).toEqual({ ...first, updatedAt: again.updatedAt });
        expect(again.updatedAt > first.updatedAt).toBe(true);
        const concurrent = await Promise.all(Array.from({ length: 5 }, () => store.recordSubmission({ url: URL_A, source: 'api' })));
        expect(new Set(concurrent.map((page) => page.id))).toEqual(new Set([first.id]));
        expect(await pendingIds()).toEqual([first.id]);
      });

      it('keeps a failed fetch as the failure record, and sets it back to pending when the URL comes again', async () => {
        const submitted = await store.recordSubmission({ url: URL_A, source: 'api' });
        // As the fetch stage records a failure: the URL's page without bytes, marked failed.
        const { page } = await store.putPage({ url: URL_A, source: 'url', raw: NO_BYTES });
        const failed = await store.saveFailure(page.id, { code: 'http_error', message: 'HTTP 404' });
        expect(failed).toMatchObject({ id: submitted.id, status: 'failed', errorCode: 'http_error' });
        expect(await pendingIds()).toEqual([]);
        await store.settleSubmission(URL_A);
        expect(await store.listFailures()).toEqual([failed]);

        const again = await store.recordSubmission({ url: URL_A, source: 'api' });
        expect(again).toMatchObject({ id: submitted.id, status: 'pending', errorCode: null, errorMessage: null });
        expect(again.updatedAt > failed.updatedAt).toBe(true);
        expect(await store.listFailures()).toEqual([]);
        expect(await pendingIds()).toEqual([submitted.id]);
      });

      it('leaves a stored page without bytes as it is', async () => {
        const { page } = await store.putPage({ url: URL_A, source: 'file', raw: NO_BYTES });
        expect(await store.recordSubmission({ url: URL_A, source: 'api' })).toEqual(page);
        await store.settleSubmission(URL_A);
        expect(await store.getPage(page.id)).toEqual(page);
        expect(await pendingIds()).toEqual([]);
      });

      it('settles a submission once its page is stored, deleting only the pending row', async () => {
        const submitted = await store.recordSubmission({ url: URL_A, source: 'url' });
        const other = await store.recordSubmission({ url: 'https://news.example.com/other', source: 'url' });
        const { page, created } = await store.putPage(pageFor(URL_A, HTML_A));
        expect(created).toBe(true);
        expect(page.id).not.toBe(submitted.id);

        await store.settleSubmission(`${URL_A}#comments`);
        expect(await store.getPage(submitted.id)).toBeNull();
        expect(await store.getPage(page.id)).toEqual(page);
        expect(Buffer.from((await store.getRawPage(page.id))!).toString('utf8')).toBe(HTML_A);
        expect(await pendingIds()).toEqual([other.id]);

        await store.settleSubmission(URL_A);
        await store.settleSubmission('https://never.example/');
        expect(await pendingIds()).toEqual([other.id]);
        await expect(store.settleSubmission('/relative/path')).rejects.toMatchObject({ code: 'bad_input' });
      });

      it('lists submissions pending since before a cutoff, in id order, page by page', async () => {
        const old: string[] = [];
        for (let n = 0; n < 7; n++) {
          old.push((await store.recordSubmission({ url: `https://news.example.com/story/${n}`, source: 'url' })).id);
        }
        await sleep(5);
        const cutoff = new Date().toISOString();
        await sleep(5);
        const young = await store.recordSubmission({ url: 'https://news.example.com/young', source: 'url' });
        // Submitted again after the cutoff: young again.
        const refreshed = await store.recordSubmission({ url: 'https://news.example.com/story/6', source: 'url' });
        old.splice(old.indexOf(refreshed.id), 1);
        old.sort();
        const listed = async (options: { olderThan: string; afterId?: string; limit?: number }) =>
          (await store.listPendingSubmissions(options)).map((page) => page.id);

        expect(await listed({ olderThan: cutoff })).toEqual(old);
        expect(await listed({ olderThan: inAMinute() })).toEqual([...old, young.id, refreshed.id].sort());
        expect(await listed({ olderThan: '2000-01-01T00:00:00Z' })).toEqual([]);

        const pages: string[][] = [];
        let afterId: string | undefined;
        for (;;) {
          const ids = await listed({ olderThan: cutoff, afterId, limit: 4 });
          if (ids.length === 0) break;
          pages.push(ids);
          afterId = ids[ids.length - 1];
        }
        expect(pages.map((ids) => ids.length)).toEqual([4, 2]);
        expect(pages.flat()).toEqual(old);
        expect(await listed({ olderThan: cutoff, limit: 0 })).toEqual(old.slice(0, 1));

        for (const olderThan of ['yesterday', '', 42 as unknown as string]) {
          await expect(store.listPendingSubmissions({ olderThan }), String(olderThan)).rejects.toMatchObject({ name: 'WinnowError', code: 'bad_input' });
        }
        await expect(store.listPendingSubmissions({ olderThan: cutoff, afterId: 7 as unknown as string })).rejects.toMatchObject({ code: 'bad_input' });
      });

      it('leaves pending rows out of articles, failures, done pages, review and URL lookups', async () => {
        const pending = await store.recordSubmission({ url: URL_A, source: 'api' });
        await store.recordSubmission({ url: 'https://news.example.com/waiting', source: 'api' });
        const stored = await storeArticle(URL_A);
        expect(stored.pageId).not.toBe(pending.id);
        expect((await store.listArticles()).map((summary) => summary.id)).toEqual([stored.id]);
        expect(await store.listFailures()).toEqual([]);
        expect(await store.listDonePageIds()).toEqual([stored.pageId]);
        expect(new Set((await store.listReviewCandidates()).map((candidate) => candidate.pageId))).toEqual(new Set([stored.pageId]));
        expect(await store.getArticle(URL_A)).toEqual(stored);
        expect(await store.getArticle(pending.id)).toBeNull();
        expect(await store.getArticle('https://news.example.com/waiting')).toBeNull();
        expect(await store.countArticlesByModel()).toEqual({ [stored.model]: 1 });
        expect(await store.reviewStats()).toMatchObject({ corrections: 0, reviewedPages: 0 });
      });

      it('refuses a submission whose URL is not absolute, and records nothing', async () => {
        await expect(store.recordSubmission({ url: '/relative/path', source: 'api' })).rejects.toMatchObject({ name: 'WinnowError', code: 'bad_input' });
        expect(await pendingIds()).toEqual([]);
      });
    });

    describe('review corrections', () => {
      // makeArticle's blocks: 0 nav, 1 cookie notice (boilerplate); 2 h1, 3 and 4 p (editorial);
      // 5–8 a four-card promo listing (8 smoothed); 9 table, 10 list (editorial, 10 smoothed); 11 footer.
      it('records a relabel with the block path, text hash, model and label the reviewer saw', async () => {
        const stored = await storeArticle(URL_A);
        const [correction, ...rest] = await store.addCorrections(stored.id, [relabel(8, 'promo', 'boilerplate')], '  Ada Lovelace ');
        expect(rest).toEqual([]);
        expect(correction).toEqual({
          id: expect.any(Number),
          pageId: stored.pageId,
          articleId: stored.id,
          blockIndex: 8,
          path: stored.blocks[8].path,
          textHash: hash16(stored.blocks[8].text),
          previousLabel: 'promo',
          label: 'boilerplate',
          reviewer: 'Ada Lovelace',
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
          model: stored.model,
          undoes: null,
        });
        expect(await store.listCorrections()).toEqual([correction]);
        expect(await store.listCorrections({ pageId: stored.pageId })).toEqual([correction]);
        expect(await store.blockReviews(stored.pageId)).toEqual(
          new Map([[stored.blocks[8].path, { label: 'boilerplate', correctionId: correction.id, reviewer: 'Ada Lovelace', createdAt: correction.createdAt }]]),
        );
        expect((await store.getArticle(stored.id))?.blocks[8].label).toBe('promo');
      });

      it('records a batch in input order with increasing ids', async () => {
        const stored = await storeArticle(URL_A);
        const written = await store.addCorrections(
          stored.id,
          [relabel(7, 'promo', 'editorial'), relabel(2, 'editorial', 'editorial'), relabel(11, 'boilerplate', 'promo')],
          'ada',
        );
        expect(written.map((correction) => [correction.blockIndex, correction.previousLabel, correction.label])).toEqual([
          [7, 'promo', 'editorial'],
          [2, 'editorial', 'editorial'],
          [11, 'boilerplate', 'promo'],
        ]);
        expect(written[0].id).toBeLessThan(written[1].id);
        expect(written[1].id).toBeLessThan(written[2].id);
        expect(new Set(written.map((correction) => correction.createdAt)).size).toBe(1);
        expect(await store.listCorrections()).toEqual(written);
      });

      it('refuses a batch holding a stale expected label, names every changed block and writes nothing', async () => {
        const stored = await storeArticle(URL_A);
        const [first] = await store.addCorrections(stored.id, [relabel(5, 'promo', 'boilerplate')], 'ada');
        const error = await rejectionOf(
          store.addCorrections(
            stored.id,
            [relabel(2, 'editorial', 'boilerplate'), relabel(5, 'promo', 'editorial'), relabel(6, 'editorial', 'promo')],
            'bob',
          ),
        );
        expect(error).toBeInstanceOf(ConflictError);
        expect(error).toMatchObject({
          code: 'conflict',
          message: expect.stringMatching(/5 \(now boilerplate\), 6 \(now promo\)/),
          current: [
            { blockIndex: 5, path: stored.blocks[5].path, expected: 'promo', label: 'boilerplate', correctionId: first.id, reviewer: 'ada' },
            { blockIndex: 6, path: stored.blocks[6].path, expected: 'editorial', label: 'promo', correctionId: null, reviewer: null },
          ],
        });
        expect(await store.listCorrections()).toEqual([first]);
      });

      it('lets exactly one of two concurrent batches expecting the same label through', async () => {
        const stored = await storeArticle(URL_A);
        const results = await Promise.allSettled([
          store.addCorrections(stored.id, [relabel(7, 'promo', 'editorial')], 'ada'),
          store.addCorrections(stored.id, [relabel(7, 'promo', 'boilerplate')], 'bob'),
        ]);
        const won = results.filter((result) => result.status === 'fulfilled');
        const lost = results.filter((result) => result.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        const [winner] = won[0].value;
        expect(lost[0].reason).toMatchObject({ code: 'conflict', current: [{ blockIndex: 7, label: winner.label, correctionId: winner.id }] });
        expect(await store.listCorrections()).toEqual([winner]);
      });

      it('takes the latest of several decisions as the block label', async () => {
        const stored = await storeArticle(URL_A);
        const path = stored.blocks[0].path;
        await store.addCorrections(stored.id, [relabel(0, 'boilerplate', 'promo')], 'ada');
        await store.addCorrections(stored.id, [relabel(0, 'promo', 'editorial')], 'bob');
        const [confirmed] = await store.addCorrections(stored.id, [relabel(0, 'editorial', 'editorial')], 'cy');
        expect(confirmed.previousLabel).toBe('editorial');
        const reviews = await store.blockReviews(stored.pageId);
        expect([...reviews.keys()]).toEqual([path]);
        expect(reviews.get(path)).toEqual({ label: 'editorial', correctionId: confirmed.id, reviewer: 'cy', createdAt: confirmed.createdAt });
        await expect(store.addCorrections(stored.id, [relabel(0, 'boilerplate', 'promo')], 'dee')).rejects.toMatchObject({
          code: 'conflict',
          current: [{ blockIndex: 0, label: 'editorial', correctionId: confirmed.id }],
        });
        expect(await store.blockReviews('no-such-page')).toEqual(new Map());
      });

      it('lists articles with their reviewed blocks counted as blockReviews counts them, on request', async () => {
        const none = await storeArticle('https://news.example.com/none');
        const same = await storeArticle('https://news.example.com/same');
        const two = await storeArticle('https://news.example.com/two');
        // Three decisions on one block, one of them an undo back to the model's label: still one reviewed block.
        const [first] = await store.addCorrections(same.id, [relabel(0, 'boilerplate', 'promo')], 'ada');
        await store.addCorrections(same.id, [relabel(0, 'promo', 'boilerplate', first.id)], 'bob');
        await store.addCorrections(same.id, [relabel(0, 'boilerplate', 'editorial')], 'cy');
        // Two blocks, one of them decided twice.
        await store.addCorrections(two.id, [relabel(5, 'promo', 'boilerplate'), relabel(2, 'editorial', 'promo')], 'ada');
        await store.addCorrections(two.id, [relabel(5, 'boilerplate', 'editorial')], 'bob');
        expect(await store.listCorrections({ pageId: none.pageId })).toHaveLength(0);
        expect(await store.listCorrections({ pageId: same.pageId })).toHaveLength(3);
        expect(await store.listCorrections({ pageId: two.pageId })).toHaveLength(3);

        const listed = await store.listArticles(undefined, { reviewedBlocks: true });
        expect(listed.map((summary) => [summary.id, summary.reviewedBlocks])).toEqual([
          [two.id, 2],
          [same.id, 1],
          [none.id, 0],
        ]);
        for (const summary of listed) {
          expect(summary.reviewedBlocks).toBe((await store.blockReviews(summary.pageId)).size);
        }
        // The summaries are the plain list's, plus the count; without the option there is no count.
        const plain = await store.listArticles();
        expect(plain.every((summary) => !('reviewedBlocks' in summary))).toBe(true);
        expect(listed).toEqual(plain.map((summary, n) => ({ ...summary, reviewedBlocks: listed[n].reviewedBlocks })));
        expect(await store.listArticles({}, { reviewedBlocks: false })).toEqual(plain);

        // Filters and paging apply as without the count.
        const counted = async (filter: Parameters<Store['listArticles']>[0]) =>
          (await store.listArticles(filter, { reviewedBlocks: true })).map((summary) => [summary.id, summary.reviewedBlocks]);
        expect(await counted({ limit: 1, offset: 1 })).toEqual([[same.id, 1]]);
        expect(await counted({ site: 'blog.example.org' })).toEqual([]);

        // Decisions are kept on the page: the article that replaces it on reprocessing counts them too.
        const reprocessed = await store.saveArticle(two.pageId, makeArticle({ url: 'https://news.example.com/two', model: 'nb-2' }));
        expect(await counted({ model: 'nb-2' })).toEqual([[reprocessed.id, 2]]);
      });

      it('is append-only: an undo is a new row that restores the label and takes the decision back', async () => {
        const stored = await storeArticle(URL_A);
        const [relabelled] = await store.addCorrections(stored.id, [relabel(3, 'editorial', 'promo')], 'ada');
        const [undo] = await store.addCorrections(stored.id, [relabel(3, 'promo', 'editorial', relabelled.id)], 'bob');
        expect(undo).toMatchObject({ blockIndex: 3, previousLabel: 'promo', label: 'editorial', undoes: relabelled.id, reviewer: 'bob' });
        expect(undo.id).toBeGreaterThan(relabelled.id);
        expect(await store.listCorrections()).toEqual([relabelled, undo]);
        // The block is unreviewed again: an undo is not a decision of its own.
        expect((await store.blockReviews(stored.pageId)).has(stored.blocks[3].path)).toBe(false);
        expect(await store.listReviewedPages()).toEqual([]);
      });

      it('refuses an undo of another block, of an unknown correction, or to another label', async () => {
        const stored = await storeArticle(URL_A);
        const [relabelled] = await store.addCorrections(stored.id, [relabel(3, 'editorial', 'promo')], 'ada');
        const other = await storeArticle('https://news.example.com/other');
        for (const [articleId, input] of [
          [stored.id, relabel(4, 'editorial', 'editorial', relabelled.id)],
          [stored.id, relabel(3, 'promo', 'editorial', relabelled.id + 1000)],
          [stored.id, relabel(3, 'promo', 'boilerplate', relabelled.id)],
          [other.id, relabel(3, 'editorial', 'editorial', relabelled.id)],
        ] as const) {
          await expect(store.addCorrections(articleId, [input], 'bob'), JSON.stringify(input)).rejects.toMatchObject({ code: 'bad_input' });
        }
        expect(await store.listCorrections()).toEqual([relabelled]);
      });

      it('rejects bad input with a typed error and writes nothing', async () => {
        const stored = await storeArticle(URL_A);
        const ok = relabel(2, 'editorial', 'promo');
        await expect(store.addCorrections('no-such-article', [ok], 'ada')).rejects.toMatchObject({ name: 'WinnowError', code: 'not_found' });
        const bad: Array<[string, unknown, unknown]> = [
          ['empty reviewer', [ok], ''],
          ['blank reviewer', [ok], ' \t '],
          ['reviewer over 64 characters', [ok], 'x'.repeat(65)],
          ['reviewer not a string', [ok], 42],
          ['no corrections', [], 'ada'],
          ['not an array', ok, 'ada'],
          ['index out of range', [relabel(12, 'boilerplate', 'promo')], 'ada'],
          ['negative index', [relabel(-1, 'boilerplate', 'promo')], 'ada'],
          ['fractional index', [relabel(1.5, 'boilerplate', 'promo')], 'ada'],
          ['unknown label', [{ blockIndex: 2, expected: 'editorial', label: 'spam' }], 'ada'],
          ['unknown expected label', [{ blockIndex: 2, expected: 'news', label: 'promo' }], 'ada'],
          ['bad undo id', [{ ...ok, undoes: 'x' }], 'ada'],
          ['a block twice', [ok, relabel(2, 'promo', 'boilerplate')], 'ada'],
          ['a good item then an out-of-range one', [ok, relabel(99, 'promo', 'boilerplate')], 'ada'],
        ];
        for (const [what, inputs, reviewer] of bad) {
          const call = store.addCorrections(stored.id, inputs as CorrectionInput[], reviewer as string);
          await expect(call, what).rejects.toMatchObject({ name: 'WinnowError', code: 'bad_input' });
        }
        expect(await store.listCorrections()).toEqual([]);
        const longest = 'é'.repeat(64);
        expect((await store.addCorrections(stored.id, [ok], longest))[0].reviewer).toBe(longest);
      });

      it('keeps corrections when the page is reprocessed into a new article', async () => {
        const stored = await storeArticle(URL_A);
        const path = stored.blocks[8].path;
        const [correction] = await store.addCorrections(stored.id, [relabel(8, 'promo', 'boilerplate')], 'ada');
        const reprocessed = await store.saveArticle(stored.pageId, makeArticle({ model: 'nb-2' }));
        expect(reprocessed.id).not.toBe(stored.id);

        await expect(store.addCorrections(stored.id, [relabel(2, 'editorial', 'promo')], 'ada')).rejects.toMatchObject({ code: 'not_found' });
        expect((await store.blockReviews(stored.pageId)).get(path)).toMatchObject({ label: 'boilerplate', correctionId: correction.id });
        expect(await store.listCorrections({ pageId: stored.pageId })).toEqual([correction]);

        const candidates = await store.listReviewCandidates();
        expect(candidates.map((candidate) => candidate.path)).not.toContain(path);
        expect(candidates.map((candidate) => candidate.blockIndex)).toEqual([11, 1, 0, 7, 6, 5, 10]);
        expect(new Set(candidates.map((candidate) => candidate.articleId))).toEqual(new Set([reprocessed.id]));

        // The decision still rules the block: the model's label is no longer what a client may expect.
        await expect(store.addCorrections(reprocessed.id, [relabel(8, 'promo', 'editorial')], 'bob')).rejects.toMatchObject({
          code: 'conflict',
          current: [{ blockIndex: 8, label: 'boilerplate', correctionId: correction.id }],
        });
        const [next] = await store.addCorrections(reprocessed.id, [relabel(8, 'boilerplate', 'promo')], 'bob');
        expect(next).toMatchObject({ articleId: reprocessed.id, previousLabel: 'boilerplate', label: 'promo', model: 'nb-2' });
      });

      it('lists corrections oldest first, by page, after an id and up to a limit', async () => {
        const a = await storeArticle('https://news.example.com/a');
        const b = await storeArticle('https://news.example.com/b');
        const written = [];
        for (const [article, index] of [[a, 2], [b, 2], [a, 3], [b, 3], [a, 4]] as const) {
          written.push(...(await store.addCorrections(article.id, [relabel(index, 'editorial', 'promo')], 'ada')));
        }
        expect(await store.listCorrections()).toEqual(written);
        expect(await store.listCorrections({ pageId: a.pageId })).toEqual([written[0], written[2], written[4]]);
        expect(await store.listCorrections({ afterId: written[1].id })).toEqual(written.slice(2));
        expect(await store.listCorrections({ afterId: written[1].id, limit: 2 })).toEqual(written.slice(2, 4));
        expect(await store.listCorrections({ pageId: b.pageId, afterId: written[1].id })).toEqual([written[3]]);
        expect(await store.listCorrections({ afterId: written[4].id })).toEqual([]);
        expect(await store.listCorrections({ pageId: 'no-such-page' })).toEqual([]);
        await expect(store.listCorrections({ afterId: -1 })).rejects.toMatchObject({ code: 'bad_input' });
        await expect(store.listCorrections({ afterId: 1.5 })).rejects.toMatchObject({ code: 'bad_input' });
      });

      it('lists doubtful blocks of current articles, least confident first', async () => {
        const stored = await storeArticle(URL_A);
        const candidates = await store.listReviewCandidates();
        expect(candidates.map((candidate) => candidate.blockIndex)).toEqual([11, 1, 0, 8, 7, 6, 5, 10]);
        const footer = stored.blocks[11];
        expect(candidates[0]).toEqual({
          articleId: stored.id,
          pageId: stored.pageId,
          url: URL_A,
          site: 'news.example.com',
          title: stored.title,
          model: stored.model,
          blockIndex: 11,
          path: footer.path,
          tag: footer.tag,
          text: footer.text,
          label: 'boilerplate',
          confidence: footer.confidence,
          rawLabel: null,
          smoothedBy: null,
          readability: footer.readability,
          listingSize: 1,
          listingKey: null,
          topFeatures: footer.topFeatures,
          fallback: false,
          listingLabel: null,
          audit: false,
        });
        expect(candidates[3]).toMatchObject({ blockIndex: 8, rawLabel: 'boilerplate', smoothedBy: 'listing', listingSize: 4, listingKey: 'aside>div.cards>div' });
        // Confident blocks come back only when smoothed.
        expect((await store.listReviewCandidates({ maxConfidence: 0.5 })).map((candidate) => candidate.blockIndex)).toEqual([8, 10]);
        expect((await store.listReviewCandidates({ maxConfidence: 1 })).map((candidate) => candidate.blockIndex)).toHaveLength(12);
      });

      it('stores the fallback flag and puts a fallback article first, every block of it', async () => {
        const plain = await storeArticle(URL_A);
        const guessed = await storeArticle('https://blog.example.org/b', makeArticle({ url: 'https://blog.example.org/b', fallback: true }));
        expect((await store.getArticle(guessed.id))?.fallback).toBe(true);
        expect((await store.getArticle(plain.id))?.fallback).toBe(false);
        const candidates = await store.listReviewCandidates({ maxConfidence: 0.5 });
        const fromGuess = candidates.filter((candidate) => candidate.articleId === guessed.id);
        // Every block of the guessed article, confident or not, ahead of the other article's.
        expect(fromGuess).toHaveLength(guessed.blocks.length);
        expect(candidates.slice(0, fromGuess.length).every((candidate) => candidate.fallback)).toBe(true);
        expect(candidates.slice(fromGuess.length).every((candidate) => candidate.articleId === plain.id && !candidate.fallback)).toBe(true);
      });

      it('offers blocks where Readability and the label disagree', async () => {
        const article = makeArticle();
        article.blocks[0] = { ...article.blocks[0], readability: 0.5 };
        article.blocks[1] = { ...article.blocks[1], readability: 0.49 };
        article.blocks[3] = { ...article.blocks[3], readability: 0.49 };
        article.blocks[4] = { ...article.blocks[4], readability: 0.5 };
        await storeArticle(URL_A, article);
        const indices = (await store.listReviewCandidates({ maxConfidence: 0.5 })).map((candidate) => candidate.blockIndex);
        expect(indices.sort((x, y) => x - y)).toEqual([0, 3, 8, 10]);
      });

      it('filters review candidates by site and label, and leaves out decided blocks', async () => {
        const a = await storeArticle('https://news.example.com/a');
        const b = await storeArticle('https://blog.example.org/b', makeArticle({ url: 'https://blog.example.org/b' }));
        const { page: pending } = await store.putPage(pageFor('https://news.example.com/pending', HTML_A));
        await store.saveFailure(pending.id, { code: 'empty', message: 'x' });
        const list = async (filter: ReviewCandidateFilter) =>
          (await store.listReviewCandidates(filter)).map((candidate) => `${candidate.articleId === a.id ? 'a' : 'b'}${candidate.blockIndex}`);
        expect(await list({})).toHaveLength(16);
        expect(await list({ site: 'NEWS.example.com' })).toEqual(['a11', 'a1', 'a0', 'a8', 'a7', 'a6', 'a5', 'a10']);
        expect(await list({ site: 'example.org', label: 'promo' })).toEqual([]);
        expect(await list({ site: 'blog.example.org', label: 'promo' })).toEqual(['b8', 'b7', 'b6', 'b5']);
        expect((await list({ label: 'editorial' })).sort()).toEqual(['a10', 'b10']);
        expect(await list({ limit: 3 })).toHaveLength(3);

        await store.addCorrections(b.id, [relabel(5, 'promo', 'promo'), relabel(10, 'editorial', 'editorial')], 'ada');
        expect(await list({ site: 'blog.example.org' })).toEqual(['b11', 'b1', 'b0', 'b8', 'b7', 'b6']);
        expect((await list({ site: 'news.example.com' })).length).toBe(8);

        await expect(store.listReviewCandidates({ label: 'spam' as Label })).rejects.toMatchObject({ code: 'bad_input' });
        await expect(store.listReviewCandidates({ maxConfidence: 2 })).rejects.toMatchObject({ code: 'bad_input' });
        await expect(store.listReviewCandidates({ maxConfidence: Number.NaN })).rejects.toMatchObject({ code: 'bad_input' });
      });

      it('counts corrections, reviewed and changed blocks, pages and reviewers (undone decisions are not reviews)', async () => {
        expect(await store.reviewStats()).toEqual({ corrections: 0, reviewedBlocks: 0, changedBlocks: 0, reviewedPages: 0, byReviewer: [] });
        expect(await store.listReviewedPages()).toEqual([]);
        const a = await storeArticle('https://news.example.com/a');
        const b = await storeArticle('https://news.example.com/b');
        const [bobs] = await store.addCorrections(a.id, [relabel(5, 'promo', 'boilerplate'), relabel(2, 'editorial', 'editorial')], 'bob');
        const [relabelled] = await store.addCorrections(a.id, [relabel(3, 'editorial', 'promo')], 'ada');
        await store.addCorrections(a.id, [relabel(3, 'promo', 'editorial', relabelled.id)], 'ada');
        await store.addCorrections(b.id, [relabel(0, 'boilerplate', 'promo'), relabel(1, 'boilerplate', 'promo')], 'cy');
        const [backOnB] = await store.addCorrections(b.id, [relabel(1, 'promo', 'boilerplate')], 'cy');
        const stats = await store.reviewStats();
        expect(stats).toEqual({
          corrections: 7,
          reviewedBlocks: 4,
          changedBlocks: 2,
          reviewedPages: 2,
          byReviewer: [
            { reviewer: 'cy', corrections: 3 },
            { reviewer: 'ada', corrections: 2 },
            { reviewer: 'bob', corrections: 2 },
          ],
        });
        expect(await store.listReviewedPages()).toEqual([
          { pageId: b.pageId, lastCorrectedAt: backOnB.createdAt, corrections: 3 },
          { pageId: a.pageId, lastCorrectedAt: bobs.createdAt, corrections: 2 },
        ]);

        // Reprocessed without blocks 0 and 1: each is compared with the label it had when first reviewed.
        await store.saveArticle(b.pageId, makeArticle({ without: ['boilerplate'] }));
        expect((await store.reviewStats()).changedBlocks).toBe(2);
        // Reprocessed by a model that now agrees with the reviewer.
        const agreeing = makeArticle();
        agreeing.blocks[0] = { ...agreeing.blocks[0], label: 'promo' };
        await store.saveArticle(b.pageId, agreeing);
        expect(await store.reviewStats()).toMatchObject({ corrections: 7, reviewedBlocks: 4, changedBlocks: 1, reviewedPages: 2 });
      });

      it('pages through done pages in id order', async () => {
        const done: string[] = [];
        for (let n = 0; n < 7; n++) {
          const url = `https://news.example.com/story/${n}`;
          done.push((await storeArticle(url, makeArticle({ url }))).pageId);
        }
        const { page: fetched } = await store.putPage(pageFor('https://news.example.com/fetched', HTML_A));
        const { page: failed } = await store.putPage(pageFor('https://news.example.com/failed', HTML_A));
        await store.saveFailure(failed.id, { code: 'empty', message: 'x' });
        await store.saveFailure(done.pop()!, { code: 'parse_failed', message: 'reprocessing failed' });
        done.sort();
        expect(await store.listDonePageIds()).toEqual(done);
        expect(done).not.toContain(fetched.id);

        const pages: string[][] = [];
        let afterId: string | undefined;
        for (;;) {
          const ids = await store.listDonePageIds({ afterId, limit: 4 });
          if (ids.length === 0) break;
          pages.push(ids);
          afterId = ids[ids.length - 1];
        }
        expect(pages.map((ids) => ids.length)).toEqual([4, 2]);
        expect(pages.flat()).toEqual(done);
        expect(await store.listDonePageIds({ limit: 0 })).toEqual(done.slice(0, 1));
        await expect(store.listDonePageIds({ afterId: 7 as unknown as string })).rejects.toMatchObject({ code: 'bad_input' });
      });

      it('counts stored articles per model', async () => {
        expect(await store.countArticlesByModel()).toEqual({});
        const a = await storeArticle('https://news.example.com/a');
        await storeArticle('https://news.example.com/b');
        await storeArticle('https://news.example.com/c', makeArticle({ url: 'https://news.example.com/c', model: 'nb-2' }));
        expect(await store.countArticlesByModel()).toEqual({ 'nb-2024-05-01': 2, 'nb-2': 1 });
        await store.saveArticle(a.pageId, makeArticle({ model: 'nb-2' }));
        expect(await store.countArticlesByModel()).toEqual({ 'nb-2024-05-01': 1, 'nb-2': 2 });
      });
    });
  });
}
