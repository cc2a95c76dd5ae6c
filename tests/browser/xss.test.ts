import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { buildForBrowser, expectOnlyLocalRequests, openPage, startReviewServer, type PageWatch, type ReviewServer } from './harness.js';

/**
 * A scraped page carrying an XSS payload in every block (script, event handlers, javascript:
 * and data: links, SVG, iframe srcdoc, noscript and MathML mutation XSS, style and attribute
 * break-outs, forms, media from a foreign host) is reviewed in the browser: in the queue, in the
 * article list, in the article view and through the rendered-HTML toggle. Each payload would set
 * `window.__xss`, open a dialog or fetch from evil.example; none may.
 */

const XSS_URL = 'https://river-courier.example/news/flood-plan';
const XSS_HTML = readFileSync(join(import.meta.dirname, 'xss-page.html'), 'utf8');

let redis: TestRedis;
let server: ReviewServer;
let browser: Browser;
let watch: PageWatch;
let page: Page;
let articleId: string;

beforeAll(async () => {
  buildForBrowser();
  redis = await startRedis();
  server = await startReviewServer(redis.url, { pages: [{ html: XSS_HTML, url: XSS_URL }] });
  articleId = server.articleIds[0];
  browser = await launchChromium();
  watch = await openPage(browser, server, { width: 1280, height: 800 });
  page = watch.page;
}, 300_000);

afterAll(async () => {
  await watch?.close();
  await browser?.close();
  await server?.close();
  await redis?.stop();
});

/** Nothing ran: no dialog, `window.__xss` never set, no script error, no CSP report, nothing fetched off 127.0.0.1. */
async function expectNothingRan(): Promise<void> {
  expect(watch.dialogs).toEqual([]);
  expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
  expect(watch.errors).toEqual([]);
  expect(watch.failedResponses).toEqual([]);
  expect(await watch.cspViolations()).toEqual([]);
  expectOnlyLocalRequests(watch.requests);
}

/** Move the pointer over and focus everything inside `selector`, so hover and focus handlers would fire. */
async function poke(selector: string): Promise<void> {
  const handles = await page.locator(`${selector} *`).elementHandles();
  for (const handle of handles.slice(0, 200)) {
    await handle.hover({ force: true, timeout: 1000 }).catch(() => undefined);
    await handle.evaluate((element) => (element as HTMLElement).focus?.()).catch(() => undefined);
  }
}

describe('hostile page under review', () => {
  it('stores the page with its payloads as text', async () => {
    const { body } = await server.api('GET', `/v1/review/articles/${articleId}`);
    const texts = (body.blocks as { text: string }[]).map((block) => block.text).join('\n');
    expect(texts).toContain("<script>window.__xss='text';alert('text')</script>");
    expect(body.blocks.length).toBeGreaterThanOrEqual(12);
  });

  it('shows the queue and the article list without running anything', async () => {
    await page.goto(`${server.origin}/review#/queue`);
    await page.locator('.queue-view .block, .queue-view .empty').first().waitFor();
    await poke('.queue-view');
    await page.goto(`${server.origin}/review#/articles`);
    await page.locator('.articles-view table').waitFor();
    // The title's markup is shown as the text it is.
    expect(await page.locator('.articles-view tbody a').first().textContent()).toContain('<img src=x onerror=');
    await poke('.articles-view');
    await watch.screenshot('xss-01-articles');
    await expectNothingRan();
  });

  it('shows every block as text in the article view', async () => {
    await page.goto(`${server.origin}/review#/article/${articleId}`);
    await page.locator('.article-view .block').first().waitFor();
    const texts = await page.locator('.article-view .block-text').allTextContents();
    expect(texts.some((text) => text.includes("<script>window.__xss='text';alert('text')</script>"))).toBe(true);
    // Block text never became elements.
    expect(await page.locator('.article-view .block-text *').count()).toBe(0);
    expect(await page.locator('main script, main iframe, main svg, main math, main img, main object, main embed, main form').count()).toBe(0);
    await poke('.article-view .block-list');
    await watch.screenshot('xss-02-blocks');
    await expectNothingRan();
  });

  it('renders the article HTML through DOMPurify with nothing active left', async () => {
    await page.getByRole('button', { name: 'Show article HTML' }).click();
    const rendered = page.locator('#article-html');
    await rendered.waitFor({ state: 'visible' });
    expect((await rendered.textContent())?.length).toBeGreaterThan(500);
    const leftovers = await rendered.evaluate((root) => {
      const found: string[] = [];
      for (const element of Array.from(root.querySelectorAll('*'))) {
        const tag = element.tagName.toLowerCase();
        if (['script', 'iframe', 'svg', 'math', 'img', 'style', 'form', 'input', 'button', 'object', 'embed', 'video', 'noscript', 'base'].includes(tag)) found.push(tag);
        for (const attribute of Array.from(element.attributes)) {
          const value = attribute.value.replace(/[\s\u0000-\u001f]/g, '').toLowerCase();
          if (attribute.name.startsWith('on') || attribute.name === 'style' || attribute.name === 'srcdoc') found.push(`${tag}[${attribute.name}]`);
          if (/^(javascript|data|vbscript):/.test(value)) found.push(`${tag}[${attribute.name}=${value.slice(0, 20)}]`);
        }
      }
      return found;
    });
    expect(leftovers).toEqual([]);
    // Links that survive go to http(s) only, in a new tab without opener or referrer.
    for (const link of await rendered.locator('a[href]').evaluateAll((links) => links.map((a) => ({ href: a.getAttribute('href'), rel: a.getAttribute('rel'), target: a.getAttribute('target') })))) {
      expect(link.href).toMatch(/^https?:/);
      expect(link).toMatchObject({ rel: 'noopener noreferrer nofollow', target: '_blank' });
    }
    await poke('#article-html');
    await rendered.scrollIntoViewIfNeeded();
    await watch.screenshot('xss-03-rendered-html');
    await expectNothingRan();
  });

  it('renders the stored page in a sandboxed frame: nothing runs or loads, blocks outlined, a click selects', async () => {
    await page.getByRole('button', { name: 'Show stored page' }).click();
    const frameElement = page.locator('iframe.page-frame');
    await frameElement.waitFor({ state: 'visible' });
    // Scripts are never allowed in the frame.
    expect(await frameElement.getAttribute('sandbox')).toBe('allow-same-origin');
    // Everything below reads the frame from the review page itself: a test tool reaching into a
    // frame without scripts would have to run script there, and the browser refuses (and logs).
    await expect
      .poll(() => page.evaluate(() => (document.querySelector('iframe.page-frame') as HTMLIFrameElement).contentDocument?.querySelectorAll('.winnow-editorial, .winnow-promo, .winnow-boilerplate').length ?? 0))
      .toBeGreaterThan(0);
    const inside = await page.evaluate(() => {
      const body = (document.querySelector('iframe.page-frame') as HTMLIFrameElement).contentDocument!.body;
      const found: string[] = [];
      for (const element of Array.from(body.querySelectorAll('*'))) {
        const tag = element.tagName.toLowerCase();
        if (['script', 'iframe', 'frame', 'object', 'embed', 'form', 'svg', 'math', 'style', 'link', 'meta', 'base', 'noscript', 'template'].includes(tag)) found.push(tag);
        for (const attribute of Array.from(element.attributes)) {
          if (attribute.name.startsWith('on') || ['src', 'srcset', 'srcdoc', 'href', 'action', 'style'].includes(attribute.name)) found.push(`${tag}[${attribute.name}]`);
        }
      }
      const blocks = Array.from(body.querySelectorAll('[data-winnow-block]'));
      return { found, blocks: blocks.length, painted: blocks.filter((block) => /winnow-(editorial|promo|boilerplate)/.test(block.className)).length };
    });
    expect(inside.found).toEqual([]);
    expect(inside.blocks).toBeGreaterThanOrEqual(10);
    expect(inside.painted).toBe(inside.blocks);

    // A real click on the fourth block, at its place on screen.
    const spot = await page.evaluate(() => {
      const iframe = document.querySelector('iframe.page-frame') as HTMLIFrameElement;
      const block = iframe.contentDocument!.querySelectorAll<HTMLElement>('[data-winnow-block]')[3];
      block.scrollIntoView({ block: 'center' });
      iframe.scrollIntoView({ block: 'center' });
      const outer = iframe.getBoundingClientRect();
      const inner = block.getBoundingClientRect();
      return { index: block.dataset.winnowBlock!, x: outer.left + inner.left + Math.min(10, inner.width / 2), y: outer.top + inner.top + Math.min(5, inner.height / 2) };
    });
    await page.mouse.click(spot.x, spot.y);
    await expect.poll(() => page.locator('.block.current').getAttribute('data-block')).toBe(spot.index);
    expect(
      await page.evaluate(
        (index) => (document.querySelector('iframe.page-frame') as HTMLIFrameElement).contentDocument!.querySelector(`[data-winnow-block="${index}"]`)!.classList.contains('winnow-current'),
        spot.index,
      ),
    ).toBe(true);
    await frameElement.scrollIntoViewIfNeeded();
    await watch.screenshot('xss-04-stored-page');
    await expectNothingRan();
  });

  it('relabels hostile blocks by keyboard without running anything', async () => {
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    const current = page.locator('.block.current');
    const to = (await current.getAttribute('data-label')) === 'promo' ? 'b' : 'p';
    await page.keyboard.press(to);
    await current.locator('.block-review', { hasText: 'Reviewed by' }).waitFor();
    await expectNothingRan();
  });
});
