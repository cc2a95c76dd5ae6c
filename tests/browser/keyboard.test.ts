import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import {
  buildForBrowser,
  expectNoHorizontalScroll,
  expectOnlyLocalRequests,
  fixtureSeed,
  openPage,
  startReviewServer,
  type PageWatch,
  type ReviewServer,
} from './harness.js';

/**
 * The page by keyboard alone, from sign-in to the models view, on a laptop screen and on a
 * phone: every step reached with Tab, Enter and the shortcuts, focus always visible, nothing
 * wider than the screen. Screenshots of each step land in reports/screenshots/.
 */

const VIEWPORTS = [
  { name: 'wide', width: 1280, height: 800 },
  { name: 'narrow', width: 390, height: 844 },
];
/** Most Tab presses to reach a control before the walk counts it as unreachable. */
const MAX_TABS = 80;

let redis: TestRedis;
let server: ReviewServer;
let browser: Browser;

beforeAll(async () => {
  buildForBrowser();
  redis = await startRedis();
  server = await startReviewServer(redis.url, { pages: ['ai-news-featured-1', 'local-news-1', 'recipe-blog-1'].map(fixtureSeed) });
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await redis?.stop();
});

interface Focused {
  tag: string;
  id: string;
  text: string;
  /** An outline or a ring (box-shadow) is drawn. */
  visible: boolean;
}

function focused(page: Page): Promise<Focused> {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement | null;
    if (!element || element === document.body) return { tag: 'body', id: '', text: '', visible: false };
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) > 0;
    return { tag: element.tagName.toLowerCase(), id: element.id, text: (element.textContent ?? '').trim().slice(0, 80), visible: outline || style.boxShadow !== 'none' };
  });
}

/**
 * Press Tab (or Shift+Tab) until `wanted` holds for the focused element; every element passed on
 * the way must show its focus.
 */
async function tabTo(page: Page, wanted: (element: Focused) => boolean, description: string, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<void> {
  for (let n = 0; n < MAX_TABS; n++) {
    await page.keyboard.press(key);
    const element = await focused(page);
    expect(element.visible, `focus ring on <${element.tag}> "${element.text}"`).toBe(true);
    if (wanted(element)) return;
  }
  throw new Error(`${description} is not reachable with Tab`);
}

describe.each(VIEWPORTS)('keyboard only at $width x $height', ({ name, width, height }) => {
  let watch: PageWatch;
  let page: Page;
  const shot = async (step: string): Promise<void> => {
    await expectNoHorizontalScroll(page);
    await watch.screenshot(`keyboard-${name}-${step}`);
  };

  beforeAll(async () => {
    watch = await openPage(browser, server, { width, height, signedIn: false });
    page = watch.page;
  });

  afterAll(async () => {
    await watch?.close();
  });

  it('signs in with the token and a name', async () => {
    await page.goto(`${server.origin}/review`);
    await page.locator('#signin').waitFor({ state: 'visible' });
    expect((await focused(page)).id).toBe('token');
    await shot('01-signin');
    // A wrong token is refused before anything is kept.
    await page.keyboard.type('not-the-token-not-the-token-not-the-token');
    await page.keyboard.press('Tab');
    await page.keyboard.type(`Kim ${name}`);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#signin-error').textContent()).toMatch(/^That did not work: missing or wrong bearer token/);
    expect((await focused(page)).id).toBe('token');
    expect(await page.evaluate(() => sessionStorage.getItem('winnow.review.token'))).toBeNull();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await page.keyboard.type(server.token);
    await page.keyboard.press('Tab');
    expect((await focused(page)).id).toBe('reviewer');
    await page.keyboard.press('Enter');
    await page.locator('.queue-view .block').first().waitFor();
    expect(await page.locator('#signin').isHidden()).toBe(true);
    expect(await page.locator('#reviewer-name').textContent()).toBe(`Kim ${name}`);
    expect(await page.evaluate(() => sessionStorage.getItem('winnow.review.token'))).toBe(server.token);
    await shot('02-queue');
  });

  it('reaches the header, the filters and the block buttons by Tab', async () => {
    await tabTo(page, (element) => element.text === 'Forget token', 'the Forget token button');
    await tabTo(page, (element) => element.id === 'queue-filter-site', 'the site filter');
    // Shortcuts pause while typing: these letters go into the field.
    await page.keyboard.type('jpe');
    expect(await page.locator('#queue-filter-site').inputValue()).toBe('jpe');
    expect(await page.locator('.block.current').count()).toBe(0);
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await tabTo(page, (element) => element.tag === 'button' && element.text === 'Editorial', 'a block label button');
    await shot('03-tabbed-to-block');
  });

  it('relabels by shortcut and shows the shortcut list with ?', async () => {
    await page.keyboard.press('j');
    const current = page.locator('.block.current');
    expect(await current.evaluate((element) => element === document.activeElement)).toBe(true);
    const to = (await current.getAttribute('data-label')) === 'promo' ? 'b' : 'p';
    await page.keyboard.press(to);
    await current.locator('.block-review', { hasText: `Reviewed by Kim ${name}` }).waitFor();
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    expect(await page.locator('.block.current').getAttribute('data-label')).toBe(to === 'p' ? 'promo' : 'boilerplate');
    await shot('04-relabelled');

    await page.keyboard.press('?');
    await page.locator('#help').waitFor({ state: 'visible' });
    expect((await focused(page)).id).toBe('help-title');
    await shot('05-help');
    await page.keyboard.press('Escape');
    expect(await page.locator('#help').isHidden()).toBe(true);
    // The list is on the page all the time as well: every shortcut, confirm, whole page and skip included.
    expect(await page.locator('.shortcuts .shortcut-list kbd').count()).toBe(10);
  });

  it('opens an article from the list and shows its sanitised HTML', async () => {
    await tabTo(page, (element) => element.tag === 'a' && element.text === 'Articles', 'the Articles link', 'Shift+Tab');
    await page.keyboard.press('Enter');
    await page.locator('.articles-view table').waitFor();
    expect((await focused(page)).id).toBe('view-title');
    await shot('06-articles');
    await tabTo(page, (element) => element.tag === 'a' && element.text.startsWith('Tesla'), 'an article link');
    await page.keyboard.press('Enter');
    await page.locator('.article-view .block').first().waitFor();
    await shot('07-article');
    await tabTo(page, (element) => element.text === 'Show article HTML', 'the HTML toggle');
    await page.keyboard.press('Enter');
    await page.locator('#article-html').waitFor({ state: 'visible' });
    await shot('08-article-html');
    await page.keyboard.press('Enter');
    expect(await page.locator('#article-html').isHidden()).toBe(true);
  });

  it('reaches the models view and its buttons', async () => {
    await tabTo(page, (element) => element.tag === 'a' && element.text === 'Models', 'the Models link', 'Shift+Tab');
    await page.keyboard.press('Enter');
    await page.locator('.models-view').waitFor();
    for (const label of ['Export corrections to fixtures', 'Retrain from fixtures', 'Reprocess stored pages']) {
      await tabTo(page, (element) => element.text === label, label);
    }
    await shot('09-models');
  });

  it('ran nothing foreign and logged no error', async () => {
    expect(watch.dialogs).toEqual([]);
    expect(watch.errors).toEqual([]);
    // The one refusal is the wrong token typed at sign-in.
    expect(watch.failedResponses).toEqual(['401 GET /v1/review/stats']);
    expect(await watch.cspViolations()).toEqual([]);
    expectOnlyLocalRequests(watch.requests);
  });
});
