import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewPage, Store, StoredArticle } from '../../src/storage/store.js';
import type { Article } from '../../src/types.js';
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
  });
}
