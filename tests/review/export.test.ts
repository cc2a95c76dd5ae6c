import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/classify/model.js';
import { analyzePage, moderate } from '../../src/pipeline.js';
import { ExportMismatchError, exportReviewedPages, labelPageHtml, reviewSlug, verifyFixture } from '../../src/review/export.js';
import { openStore } from '../../src/storage/open-store.js';
import type { Store, StoredArticle } from '../../src/storage/store.js';
import { fitModel } from '../../src/train/train.js';
import { labelFixture, loadFixture, loadFixtures, UNREVIEWED_LABEL, type LabeledPage } from '../../src/train/fixtures.js';
import { LABELS, type Label } from '../../src/types.js';

const model = loadModel();

const CARDS = Array.from(
  { length: 6 },
  (_, i) => `<div class="card"><a href="https://shop.example.net/deal/${i}">Lighthouse lamp deal ${i + 1}</a><span class="price">$${19 + i}.99</span></div>`,
).join('\n');

/** A harbour news page: nav, an article whose lede box mixes loose text and a paragraph, a card rail, a footer. */
function harbourPage(options: { extraSection?: boolean; headline?: string } = {}): string {
  const headline = options.headline ?? 'Harbour council votes to rebuild the old pier';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${headline}</title><script>window.tracker = 1;</script></head>
<body>
<header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav></header>
<main>
<article>
<h1>${headline}</h1>
<div class="lede">The council voted on Tuesday to rebuild the old pier before next summer. <em>Work starts in May.</em>
<p>Engineers found the timber piles rotten after the winter storms, and the insurer refused to cover another season of repairs on the old structure.</p>
Residents packed the hall for the vote, and several of them spoke in favour of keeping the original Victorian design of the railings.<br><br>Sponsored: book a harbour cruise with SeaTrips and save twenty percent on every family ticket this week.
</div>
<p>The new pier will be built from concrete and steel, with a timber deck laid on top so that it looks much like the one it replaces.</p>
<p>The work is expected to cost four million pounds, most of it paid by the regional development fund and the rest from the harbour's own reserves.</p>
${options.extraSection ? '<section><h2>What happens next</h2><p>The contract goes out to tender in March and the council expects to name a builder by the end of April.</p></section>' : ''}
<p>Fishing boats will moor at the east quay while the work goes on, the harbour master said after the meeting.</p>
</article>
<aside class="rail"><h2>Around the web</h2>
${CARDS}
</aside>
</main>
<footer><p>Copyright 2026 Harbour Gazette. All rights reserved.</p></footer>
</body></html>`;
}

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'winnow-export-'));
  store = await openStore({ sqlitePath: join(dir, 'winnow.db'), databaseUrl: '' });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Store a page's bytes and the article the model makes of `articleHtml` (the same page by default). */
async function storePage(url: string, html: string, articleHtml = html): Promise<StoredArticle> {
  const { page } = await store.putPage({ url, source: 'api', raw: Buffer.from(html), contentType: 'text/html; charset=utf-8' });
  return store.saveArticle(page.id, moderate(articleHtml, { url, model }));
}

/** A label other than the block's own, the same for every call with that label. */
function other(label: Label): Label {
  return LABELS[(LABELS.indexOf(label) + 1) % LABELS.length];
}

type Taught = Label | typeof UNREVIEWED_LABEL;

/** Record the decisions; returns what the export should teach: the decided labels, every other block unreviewed. */
async function relabel(article: StoredArticle, changes: { index: number; label: Label }[]): Promise<Taught[]> {
  await store.addCorrections(
    article.id,
    changes.map(({ index, label }) => ({ blockIndex: index, label, expected: article.blocks[index].label })),
    'export-test',
  );
  const labels: Taught[] = article.blocks.map(() => UNREVIEWED_LABEL);
  for (const { index, label } of changes) labels[index] = label;
  return labels;
}

/** What a labeled page teaches per block: its gold label, or unreviewed. */
function taught(page: LabeledPage): Taught[] {
  return page.gold.map((gold, i) => (page.unreviewed?.[i] ? UNREVIEWED_LABEL : gold));
}

/**
 * The changes, plus those that give the lede box's loose text runs one label (run 0's, after the
 * changes), as a reviewer would: labels attach to elements, so an export gives a container's runs
 * one label. Whether the model splits them is the model's business, not the exporter's.
 */
function withAgreeingLede(article: StoredArticle, changes: { index: number; label: Label }[]): { index: number; label: Label }[] {
  const lede = 'body > main:nth-of-type(1) > article:nth-of-type(1) > div:nth-of-type(1)';
  const labelOf = (i: number) => changes.find((change) => change.index === i)?.label ?? article.blocks[i].label;
  const runs = article.blocks.map((block, i) => ({ block, i })).filter(({ block }) => block.path.startsWith(`${lede}::run(`));
  const label = labelOf(runs[0].i);
  return [...changes, ...runs.filter(({ i }) => !changes.some((change) => change.index === i)).map(({ i }) => ({ index: i, label }))];
}

const fixturesDir = () => join(dir, 'fixtures');
const indexOf = (article: StoredArticle, path: string) => article.blocks.findIndex((block) => block.path === path);

describe('exportReviewedPages', () => {
  it('writes a fixture whose labels, read back by labelFixture, are exactly the corrected ones', async () => {
    const url = 'https://www.harbour-gazette.example/news/pier-vote';
    const article = await storePage(url, harbourPage());
    const lede = 'body > main:nth-of-type(1) > article:nth-of-type(1) > div:nth-of-type(1)';
    const runs = article.blocks.filter((block) => block.path.startsWith(`${lede}::run(`));
    expect(runs.map((block) => block.path)).toEqual([`${lede}::run(0)`, `${lede}::run(1)`, `${lede}::run(2)`]);
    const cards = article.blocks.filter((block) => block.listingSize === 6);
    expect(cards).toHaveLength(6);
    const paragraph = indexOf(article, 'body > main:nth-of-type(1) > article:nth-of-type(1) > p:nth-of-type(2)');
    expect(paragraph).toBeGreaterThan(0);

    // The reviewer relabels the whole lede box's loose text, the whole rail and one paragraph.
    const runLabel = other(runs[0].label);
    const cardLabel = other(cards[0].label);
    const expected = await relabel(article, [
      ...runs.map((block) => ({ index: block.index, label: runLabel })),
      ...cards.map((block) => ({ index: block.index, label: cardLabel })),
      { index: paragraph, label: other(article.blocks[paragraph].label) },
    ]);

    const result = await exportReviewedPages(store, { fixturesDir: fixturesDir() });
    expect(result.skipped).toEqual([]);
    expect(result.written).toHaveLength(1);
    const written = result.written[0];
    expect(written.slug).toBe(`review-www-harbour-gazette-example-${article.pageId.slice(0, 10)}`);
    expect(written.slug).toBe(reviewSlug(url, article.pageId));
    expect(written.dir).toBe(join(fixturesDir(), written.slug));
    expect(written.blocks).toBe(article.blocks.length);
    expect(written.corrected).toBe(expected.filter((label, i) => label !== UNREVIEWED_LABEL && label !== article.blocks[i].label).length);
    expect(written.reviewed).toBe(expected.filter((label) => label !== UNREVIEWED_LABEL).length);
    expect(written.warnings).toEqual([]);

    const fixture = loadFixture(written.dir);
    expect(fixture.meta).toMatchObject({ url, template: 'review:www.harbour-gazette.example', language: 'en', source: 'review-export' });
    expect(fixture.meta.notes).toContain(article.pageId);
    const read = labelFixture(fixture);
    expect(read.analysis.blocks.map((block) => block.path)).toEqual(article.blocks.map((block) => block.path));
    expect(taught(read)).toEqual(expected);
    // Scripts are cut as the pipeline cuts them; the labels are the only addition.
    expect(fixture.html).not.toContain('window.tracker');
    expect(fixture.html.match(/data-winnow-label=/g)!.length).toBeGreaterThanOrEqual(article.blocks.length - runs.length);
  });

  it('gives a container whose loose text reviewers split the label of most words, and says so', async () => {
    const article = await storePage('https://www.harbour-gazette.example/news/split', harbourPage());
    const lede = 'body > main:nth-of-type(1) > article:nth-of-type(1) > div:nth-of-type(1)';
    const runIndexes = [0, 1, 2].map((k) => indexOf(article, `${lede}::run(${k})`));
    // Make the two long runs agree first, then mark only the short sponsored run differently.
    const base = other(article.blocks[runIndexes[0]].label);
    const sponsored = other(base);
    await relabel(article, [
      { index: runIndexes[0], label: base },
      { index: runIndexes[1], label: base },
      { index: runIndexes[2], label: sponsored },
    ]);

    const result = await exportReviewedPages(store, { fixturesDir: fixturesDir() });
    expect(result.written).toHaveLength(1);
    expect(result.written[0].warnings).toHaveLength(1);
    expect(result.written[0].warnings[0]).toContain(lede);
    expect(result.written[0].warnings[0]).toContain(`labeled ${base}`);
    const fixture = loadFixture(result.written[0].dir);
    expect(fixture.meta.notes).toContain(lede);
    const gold = labelFixture(fixture).gold;
    expect(runIndexes.map((i) => gold[i])).toEqual([base, base, base]);
  });

  it('skips a page whose raw bytes cannot reproduce the stored blocks, naming the paths', async () => {
    // The stored article came from a longer version of the page than the bytes kept for it.
    const article = await storePage('https://www.harbour-gazette.example/news/changed', harbourPage(), harbourPage({ extraSection: true }));
    const section = article.blocks.filter((block) => block.path.includes('section:nth-of-type(1)'));
    expect(section.length).toBeGreaterThan(0);
    await relabel(article, [{ index: section[0].index, label: other(section[0].label) }]);
    const good = await storePage('https://www.harbour-gazette.example/news/fine', harbourPage());
    await relabel(good, [{ index: 1, label: other(good.blocks[1].label) }]);

    const result = await exportReviewedPages(store, { fixturesDir: fixturesDir() });
    expect(result.written.map((item) => item.pageId)).toEqual([good.pageId]);
    expect(result.skipped).toHaveLength(1);
    expect(result.skipped[0].pageId).toBe(article.pageId);
    expect(result.skipped[0].reason).toContain(section[0].path);
    expect(readdirSync(fixturesDir())).toEqual([result.written[0].slug]);
  });

  it('skips a page whose bytes give the same paths but other text', async () => {
    const url = 'https://www.harbour-gazette.example/news/retitled';
    const article = await storePage(url, harbourPage({ headline: 'Pier to close for a year' }), harbourPage());
    await relabel(article, [{ index: 0, label: other(article.blocks[0].label) }]);
    const result = await exportReviewedPages(store, { fixturesDir: fixturesDir() });
    expect(result.written).toEqual([]);
    expect(result.skipped).toEqual([{ pageId: article.pageId, reason: expect.stringContaining('does not reproduce the stored blocks') }]);
  });

  it('re-export replaces the same folder with the latest decisions and leaves nothing else behind', async () => {
    const article = await storePage('https://www.harbour-gazette.example/news/again', harbourPage());
    const first = await relabel(article, withAgreeingLede(article, [{ index: 1, label: other(article.blocks[1].label) }]));
    const once = await exportReviewedPages(store, { fixturesDir: fixturesDir() });
    expect(taught(labelFixture(loadFixture(once.written[0].dir)))).toEqual(first);

    const footer = indexOf(article, 'body > footer:nth-of-type(1) > p:nth-of-type(1)');
    const footerLabel = other(article.blocks[footer].label);
    await store.addCorrections(article.id, [{ blockIndex: footer, label: footerLabel, expected: article.blocks[footer].label }], 'export-test');
    const twice = await exportReviewedPages(store, { fixturesDir: fixturesDir(), pageIds: [article.pageId] });
    expect(twice.written[0].slug).toBe(once.written[0].slug);
    const second = [...first];
    second[footer] = footerLabel;
    expect(taught(labelFixture(loadFixture(twice.written[0].dir)))).toEqual(second);
    expect(readdirSync(fixturesDir())).toEqual([once.written[0].slug]);
    // The folder is a fixtures folder training can read as it is.
    expect(loadFixtures(fixturesDir()).map((page) => page.slug)).toEqual([once.written[0].slug]);
  });

  it('skips unknown pages and pages without decisions, writing nothing for them', async () => {
    const unreviewed = await storePage('https://www.harbour-gazette.example/news/quiet', harbourPage());
    const result = await exportReviewedPages(store, { fixturesDir: fixturesDir(), pageIds: ['no-such-page', unreviewed.pageId] });
    expect(result.written).toEqual([]);
    expect(result.skipped.map((item) => item.pageId)).toEqual(['no-such-page', unreviewed.pageId]);
    expect(result.skipped[0].reason).toMatch(/no page/);
    expect(result.skipped[1].reason).toMatch(/no review decisions/);
    expect(existsSync(fixturesDir()) ? readdirSync(fixturesDir()) : []).toEqual([]);
  });

  it('verifies under the engine training will use', async () => {
    const url = 'https://www.harbour-gazette.example/news/engines';
    const article = await storePage(url, harbourPage());
    const paragraph = indexOf(article, 'body > main:nth-of-type(1) > article:nth-of-type(1) > p:nth-of-type(1)');
    const expected = await relabel(article, withAgreeingLede(article, [{ index: paragraph, label: other(article.blocks[paragraph].label) }]));
    const result = await exportReviewedPages(store, { fixturesDir: fixturesDir(), engine: 'jsdom' });
    expect(result.skipped).toEqual([]);
    expect(result.written[0].warnings).toEqual([]);
    expect(taught(labelFixture(loadFixture(result.written[0].dir), { engine: 'jsdom' }))).toEqual(expected);
    expect(JSON.parse(readFileSync(join(result.written[0].dir, 'meta.json'), 'utf8')).source).toBe('review-export');
  });

  it('verification names the blocks a labeled page would teach differently, or that it lacks', () => {
    const html = harbourPage();
    const blocks = analyzePage(html).blocks.map((block) => ({ path: block.path, text: block.text, label: 'editorial' as Label }));
    const labeled = labelPageHtml(html, blocks);
    const fixture = { slug: 'check', dir: '', html: labeled.html, meta: { template: 'review:test', language: 'en' } };
    expect(() => verifyFixture(fixture, blocks, labeled.labels)).not.toThrow();

    const asked = [...labeled.labels];
    asked[3] = 'promo';
    expect(() => verifyFixture(fixture, blocks, asked)).toThrow(ExportMismatchError);
    expect(() => verifyFixture(fixture, blocks, asked)).toThrow(`${blocks[3].path} (editorial instead of promo)`);
    expect(() => verifyFixture(fixture, blocks.slice(1), labeled.labels.slice(1))).toThrow(
      new RegExp(`has ${blocks.length} blocks where the stored article has ${blocks.length - 1}; differing paths: ${blocks[0].path.replace(/[()]/g, '\\$&')}`),
    );
  });
});

describe('exports carry only what a person decided', () => {
  it('exports nothing after p then u on one block', async () => {
    const article = await storePage('https://www.harbour-gazette.example/news/undone', harbourPage());
    const block = article.blocks[1];
    const to: Label = block.label === 'promo' ? 'boilerplate' : 'promo';
    const [made] = await store.addCorrections(article.id, [{ blockIndex: 1, label: to, expected: block.label }], 'export-test');
    await store.addCorrections(article.id, [{ blockIndex: 1, label: block.label, expected: to, undoes: made.id }], 'export-test');

    expect(await store.listReviewedPages()).toEqual([]);
    expect((await store.blockReviews(article.pageId)).size).toBe(0);
    const result = await exportReviewedPages(store, { fixturesDir: fixturesDir() });
    expect(result.written).toEqual([]);
    expect(existsSync(fixturesDir()) ? readdirSync(fixturesDir()) : []).toEqual([]);
    // The undone block is unreviewed again, so the queue may offer it and the stats do not count it.
    expect((await store.reviewStats()).reviewedBlocks).toBe(0);
  });

  it('undoing the second of two decisions leaves the first one standing', async () => {
    const article = await storePage('https://www.harbour-gazette.example/news/twice', harbourPage());
    const block = article.blocks[1];
    const first = other(block.label);
    const second = other(first);
    await store.addCorrections(article.id, [{ blockIndex: 1, label: first, expected: block.label }], 'export-test');
    const [made] = await store.addCorrections(article.id, [{ blockIndex: 1, label: second, expected: first }], 'export-test');
    await store.addCorrections(article.id, [{ blockIndex: 1, label: first, expected: second, undoes: made.id }], 'export-test');
    expect((await store.blockReviews(article.pageId)).get(block.path)?.label).toBe(first);
  });

  it('marks the blocks nobody decided unreviewed, and training leaves them out', async () => {
    const article = await storePage('https://www.harbour-gazette.example/news/partial', harbourPage());
    const footer = indexOf(article, 'body > footer:nth-of-type(1) > p:nth-of-type(1)');
    const paragraph = indexOf(article, 'body > main:nth-of-type(1) > article:nth-of-type(1) > p:nth-of-type(2)');
    // One relabel and one confirmation (the label the block already had).
    const expected = await relabel(article, [
      { index: footer, label: other(article.blocks[footer].label) },
      { index: paragraph, label: article.blocks[paragraph].label },
    ]);
    const result = await exportReviewedPages(store, { fixturesDir: fixturesDir() });
    expect(result.written).toHaveLength(1);
    expect(result.written[0]).toMatchObject({ reviewed: 2, corrected: 1, blocks: article.blocks.length });
    const fixture = loadFixture(result.written[0].dir);
    expect(fixture.meta.notes).toContain(`2 of ${article.blocks.length} blocks decided by reviewers (1 relabeled, 1 confirmed)`);
    expect(fixture.meta.notes).toContain(`the other ${article.blocks.length - 2} are marked unreviewed and not trained on`);
    const read = labelFixture(fixture);
    expect(taught(read)).toEqual(expected);
    expect(fitModel([read], { context: false }).trainedOn.blocks).toBe(2);
  });

  it('accepts unreviewed labels on exported pages only', () => {
    const html = harbourPage().replace('<footer>', '<footer data-winnow-label="unreviewed">').replace('<body>', '<body data-winnow-label="editorial">');
    const page = (source?: 'hand-written' | 'review-export') => ({ slug: 'marked', dir: '', html, meta: { template: 't', language: 'en', ...(source ? { source } : {}) } });
    expect(() => labelFixture(page())).toThrow(/only for pages exported from review/);
    expect(() => labelFixture(page('hand-written'))).toThrow(/only for pages exported from review/);
    const read = labelFixture(page('review-export'));
    const footer = read.analysis.blocks.findIndex((block) => block.path.startsWith('body > footer'));
    expect(read.unreviewed?.[footer]).toBe(true);
    expect(read.unreviewed?.filter(Boolean)).toHaveLength(1);
  });
});
