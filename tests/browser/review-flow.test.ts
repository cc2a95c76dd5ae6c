import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import {
  buildForBrowser,
  expectOnlyLocalRequests,
  fixtureSeed,
  openPage,
  startReviewServer,
  type PageWatch,
  type ReviewServer,
} from './harness.js';

/**
 * The review workflow end to end in headless Chromium against the real `winnow serve` app:
 * queue, keyboard relabelling, undo, a whole listing at once, export to fixtures, retraining
 * with progress, the comparison with heat maps, promotion and rollback. The tests run in order
 * and build on each other, as a reviewer's session does.
 */

type Label = 'editorial' | 'promo' | 'boilerplate';
const KEY: Record<Label, string> = { editorial: 'e', promo: 'p', boilerplate: 'b' };
const REVIEWER = 'Ada Reviewer';
const TRAINING_TIMEOUT_MS = 240_000;

let redis: TestRedis;
let server: ReviewServer;
let browser: Browser;
let watch: PageWatch;
let page: Page;
/** Blocks relabelled in the queue, in order. */
const relabelled: { articleId: string; blockIndex: number; from: Label; to: Label }[] = [];
let candidate: string;

beforeAll(async () => {
  buildForBrowser();
  redis = await startRedis();
  server = await startReviewServer(redis.url, {
    pages: ['ai-news-featured-1', 'news-wire-1', 'product-review-1', 'local-news-1', 'recipe-blog-1', 'forum-thread-1'].map(fixtureSeed),
    trainingFixtures: ['ai-news-featured-2', 'news-de-1', 'tech-blog-1', 'listicle-best-laptops-1', 'press-release-1', 'docs-page-1'],
  });
  browser = await launchChromium();
  watch = await openPage(browser, server, { width: 1280, height: 800, reviewer: REVIEWER });
  page = watch.page;
}, 300_000);

afterAll(async () => {
  await watch?.close();
  await browser?.close();
  await server?.close();
  await redis?.stop();
});

/** A label other than `label`, so every keypress is a real change. */
function another(label: Label): Label {
  return label === 'editorial' ? 'promo' : label === 'promo' ? 'boilerplate' : 'editorial';
}

async function reviewArticle(articleId: string) {
  const { status, body } = await server.api('GET', `/v1/review/articles/${articleId}`);
  expect(status).toBe(200);
  return body as { blocks: { index: number; label: Label; modelLabel: Label; listingKey: string | null; review: { reviewer: string; correctionId: number } | null }[] };
}

async function statusText(): Promise<string> {
  return (await page.locator('#status').textContent()) ?? '';
}

describe('review page workflow', () => {
  it('opens the queue of doubtful blocks', async () => {
    await page.goto(`${server.origin}/review`);
    await page.locator('.queue-view .block').first().waitFor();
    expect(await page.locator('.queue-view .block').count()).toBeGreaterThan(3);
    expect(await page.locator('.queue-view .reason').count()).toBeGreaterThan(0);
    expect(await page.locator('#reviewer-name').textContent()).toBe(REVIEWER);
    await watch.screenshot('flow-01-queue');
  });

  it('relabels three blocks by keyboard and stores them with the reviewer', async () => {
    for (let n = 0; n < 3; n++) {
      await page.keyboard.press('j');
      const current = page.locator('.block.current');
      expect(await current.evaluate((element) => element === document.activeElement)).toBe(true);
      const from = (await current.getAttribute('data-label')) as Label;
      const to = another(from);
      await page.keyboard.press(KEY[to]);
      await current.locator('.block-review', { hasText: `Reviewed by ${REVIEWER}` }).waitFor();
      expect(await current.getAttribute('data-label')).toBe(to);
      relabelled.push({ articleId: (await current.getAttribute('data-article'))!, blockIndex: Number(await current.getAttribute('data-block')), from, to });
    }
    await watch.screenshot('flow-02-relabelled');

    for (const block of relabelled) {
      const stored = (await reviewArticle(block.articleId)).blocks[block.blockIndex];
      expect(stored).toMatchObject({ label: block.to, modelLabel: block.from, review: { reviewer: REVIEWER } });
    }
    await expect.poll(() => page.locator('#stats').textContent()).toMatch(/^3 blocks reviewed/);
    await expect.poll(() => page.locator('#session-progress').textContent()).toMatch(/^3 of \d+ decided/);
  });

  it('undoes the last correction with u', async () => {
    const last = relabelled[2];
    const before = (await reviewArticle(last.articleId)).blocks[last.blockIndex].review!.correctionId;
    await page.keyboard.press('u');
    await expect.poll(statusText).toMatch(/^Undone/);
    expect(await page.locator('.block.current').getAttribute('data-label')).toBe(last.from);
    const stored = (await reviewArticle(last.articleId)).blocks[last.blockIndex];
    // The undo takes the decision back: the model's label again, and no decision on the block.
    expect(stored.label).toBe(last.from);
    expect(stored.review).toBeNull();
    expect(before).toBeGreaterThan(0);
    await expect.poll(() => page.locator('#stats').textContent()).toMatch(/^2 blocks reviewed/);
    await expect.poll(() => page.locator('#session-progress').textContent()).toMatch(/^2 of \d+ decided/);
  });

  it('skips a block with s, leaving it undecided', async () => {
    const before = Number(await page.locator('.block.current').getAttribute('data-block'));
    await page.keyboard.press('s');
    await expect.poll(() => page.locator('#session-progress').textContent()).toMatch(/^2 of \d+ decided, 1 skipped/);
    expect(Number(await page.locator('.block.current').getAttribute('data-block'))).not.toBe(before);
  });

  it('relabels a whole listing with l in one request', async () => {
    const articleId = server.articleIds[0];
    await page.goto(`${server.origin}/review#/article/${articleId}`);
    await page.locator('.article-view .block').first().waitFor();
    const cards = page.locator('.article-view .block');
    const first = await cards.evaluateAll((blocks) => blocks.findIndex((block) => block.querySelector('.listing-button') !== null));
    expect(first).toBeGreaterThanOrEqual(0);
    for (let n = 0; n <= first; n++) await page.keyboard.press('j');
    const current = page.locator('.block.current');
    const index = Number(await current.getAttribute('data-block'));
    const to = another((await current.getAttribute('data-label')) as Label);
    await page.keyboard.press(KEY[to]);
    await current.locator('.block-review', { hasText: `Reviewed by ${REVIEWER}` }).waitFor();

    const posts: string[] = [];
    const count = (request: { method(): string; url(): string }) => {
      if (request.method() === 'POST' && request.url().endsWith('/corrections')) posts.push(request.url());
    };
    page.on('request', count);
    await page.keyboard.press('l');
    await expect.poll(statusText).toMatch(/^The listing of \d+ blocks labelled/);
    page.off('request', count);
    expect(posts).toHaveLength(1);

    const { blocks } = await reviewArticle(articleId);
    const listing = blocks.filter((block) => block.listingKey === blocks[index].listingKey);
    expect(listing.length).toBeGreaterThan(1);
    for (const block of listing) expect(block).toMatchObject({ label: to, review: { reviewer: REVIEWER } });
    const shown = await cards.evaluateAll((elements) => elements.map((element) => element.getAttribute('data-label')));
    for (const block of listing) expect(shown[block.index]).toBe(to);
    await watch.screenshot('flow-03-listing');
  });

  it('confirms every undecided block of the page with a', async () => {
    const before = (await reviewArticle(server.articleIds[0])).blocks.filter((block) => block.review === null).length;
    expect(before).toBeGreaterThan(0);
    await page.keyboard.press('a');
    await expect.poll(statusText).toMatch(new RegExp(`^The page's ${before} undecided blocks? confirmed`));
    const { blocks } = await reviewArticle(server.articleIds[0]);
    for (const block of blocks) expect(block.review, String(block.index)).not.toBeNull();
    expect(await page.locator('.article-view .block:not(.reviewed)').count()).toBe(0);
  });

  it('puts back what the server holds when someone relabelled a block first', async () => {
    await page.keyboard.press('j');
    const current = page.locator('.block.current');
    const blockIndex = Number(await current.getAttribute('data-block'));
    const shown = (await current.getAttribute('data-label')) as Label;
    const theirs = another(shown);
    const { status } = await server.api('POST', `/v1/review/articles/${server.articleIds[0]}/corrections`, {
      reviewer: 'Bob Other',
      corrections: [{ blockIndex, label: theirs, expected: shown }],
    });
    expect(status).toBe(201);

    await page.keyboard.press(KEY[another(theirs)]);
    await expect.poll(statusText).toContain(`someone changed it first; block ${blockIndex + 1} is now ${theirs} (set by Bob Other)`);
    expect(await page.locator('#status').getAttribute('data-kind')).toBe('error');
    expect(await current.getAttribute('data-label')).toBe(theirs);
    const stored = (await reviewArticle(server.articleIds[0])).blocks[blockIndex];
    expect(stored).toMatchObject({ label: theirs, review: { reviewer: 'Bob Other' } });
    await watch.screenshot('flow-04-conflict');
  });

  it('exports the corrections to fixture folders', async () => {
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByRole('button', { name: 'Export corrections to fixtures' }).click();
    await page.locator('.export-result .written li').first().waitFor();
    const slugs = await page.locator('.export-result .written li .mono').allTextContents();
    // The third relabel was undone: only pages with a standing decision are exported.
    const reviewedPages = new Set([...relabelled.slice(0, 2).map((block) => block.articleId), server.articleIds[0]]).size;
    expect(slugs.length).toBe(reviewedPages);
    for (const slug of slugs) {
      expect(readdirSync(server.fixturesDir)).toContain(slug);
      const html = readFileSync(join(server.fixturesDir, slug, 'page.html'), 'utf8');
      expect(html).toContain('data-winnow-label=');
      expect(existsSync(join(server.fixturesDir, slug, 'meta.json'))).toBe(true);
    }
    await watch.screenshot('flow-05-exported');
  });

  it(
    'retrains with progress and compares the candidate with the current model',
    async () => {
      await page.getByRole('button', { name: 'Retrain from fixtures' }).click();
      await page.locator('#training-progress').waitFor({ state: 'visible' });
      await watch.screenshot('flow-06-training');
      const comparison = page.locator('.comparison-panel');
      await comparison.locator('.heatmap').first().waitFor({ timeout: TRAINING_TIMEOUT_MS });
      expect(await statusText()).toMatch(/^Training done: candidate /);

      const { body: models } = await server.api('GET', '/v1/review/models');
      const candidates = (models.models as { version: string; status: string }[]).filter((model) => model.status === 'candidate');
      expect(candidates).toHaveLength(1);
      candidate = candidates[0].version;
      expect(await comparison.locator('h3').first().textContent()).toContain(candidate);

      expect(await comparison.locator('.metrics-table tbody tr').count()).toBe(5);
      expect(await comparison.locator('.heatmap').count()).toBe(2);
      const cells = await comparison.locator('.heat').evaluateAll((elements) => {
        // The shade as plain RGB, whatever colour syntax the computed style uses.
        const context = document.createElement('canvas').getContext('2d')!;
        return elements.map((element) => {
          context.clearRect(0, 0, 1, 1);
          context.fillStyle = getComputedStyle(element).backgroundColor;
          context.fillRect(0, 0, 1, 1);
          const [r, g, b] = context.getImageData(0, 0, 1, 1).data;
          return { heat: Number((element as HTMLElement).style.getPropertyValue('--heat')), background: `rgb(${r}, ${g}, ${b})`, right: element.classList.contains('heat-right') };
        });
      });
      expect(cells).toHaveLength(18);
      // A well-trained model puts most of each class on the diagonal: shaded, not white.
      const diagonal = cells.filter((cell) => cell.right);
      expect(diagonal).toHaveLength(6);
      for (const cell of diagonal) {
        expect(cell.heat).toBeGreaterThan(0.3);
        expect(cell.background).not.toBe('rgb(255, 255, 255)');
      }
      for (const cell of cells.filter((each) => each.heat === 0)) expect(cell.background).toBe('rgb(255, 255, 255)');
      await comparison.scrollIntoViewIfNeeded();
      await watch.screenshot('flow-07-metrics');
    },
    TRAINING_TIMEOUT_MS + 30_000,
  );

  it('promotes the candidate and queues reprocessing', async () => {
    expect(await page.locator('#rollback-button').count()).toBe(0);
    await page.locator('#promote-button').click();
    await expect.poll(statusText).toMatch(new RegExp(`^Promoted ${candidate}`));
    const { body } = await server.api('GET', '/v1/review/models');
    expect(body.current).toBe(candidate);
    expect(body.history.at(-1)).toMatchObject({ action: 'promote', version: candidate, previous: server.shippedModel, by: REVIEWER });

    // Focus moves to the next step after a promotion.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('reprocess-button');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#reprocess-progress-text').textContent()).toContain(`pages stored with ${candidate}`);
    await watch.screenshot('flow-08-promoted');
  });

  it('rolls back to the shipped model', async () => {
    expect(await page.locator('#rollback-button').textContent()).toBe(`Roll back to ${server.shippedModel}`);
    await page.locator('#rollback-button').click();
    await expect.poll(statusText).toMatch(new RegExp(`^Rolled back to ${server.shippedModel}`));
    const { body } = await server.api('GET', '/v1/review/models');
    expect(body.current).toBe(server.shippedModel);
    expect(body.history.at(-1)).toMatchObject({ action: 'rollback', version: server.shippedModel, by: REVIEWER });
    // The candidate stays on disk for a later promotion; nothing earlier is left to roll back to.
    expect((body.models as { version: string }[]).map((model) => model.version)).toContain(candidate);
    await expect.poll(() => page.locator('#rollback-button').count()).toBe(0);
    expect(await page.locator('#no-rollback').textContent()).toContain('already rolled back');
    expect(await page.locator(`.candidate button[data-version="${candidate}"]`, { hasText: 'Promote' }).count()).toBe(1);
    // Stored articles carry the candidate's labels (or would, once reprocessed): the panel says so.
    expect(body.articlesByModel).toBeDefined();
    await watch.screenshot('flow-09-rolled-back', { fullPage: true });
  });

  it('leaves status messages behind on the view they belong to', async () => {
    expect(await statusText()).not.toBe('');
    await page.getByRole('link', { name: 'Queue' }).click();
    await page.locator('.queue-view').waitFor();
    expect(await statusText()).toBe('');
  });

  it('ran nothing foreign: no dialog, no error, no CSP violation, no request off 127.0.0.1', async () => {
    expect(watch.dialogs).toEqual([]);
    expect(watch.errors).toEqual([]);
    // The one refusal is the conflict the test caused.
    expect(watch.failedResponses).toEqual([`409 POST /v1/review/articles/${server.articleIds[0]}/corrections`]);
    expect(await watch.cspViolations()).toEqual([]);
    expectOnlyLocalRequests(watch.requests);
  });
});
