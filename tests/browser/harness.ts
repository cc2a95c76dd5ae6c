import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { expect } from 'vitest';
import { currentVersion, loadModel } from '../../src/classify/model.js';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { moderate } from '../../src/pipeline.js';
import { openStore } from '../../src/storage/open-store.js';
import { FIXTURE_PAGES, ROOT } from '../queue/harness.js';

/** Where browser tests leave their screenshots (test artifacts, not checked in). */
export const SCREENSHOT_DIR = join(ROOT, 'reports', 'screenshots');
const UI_SOURCES = join(ROOT, 'src', 'review', 'ui');
const UI_ENTRY = join(ROOT, 'dist', 'review-ui', 'main.js');
/** The training child the server forks, compiled with the project. */
const TRAIN_CHILD = join(ROOT, 'dist', 'src', 'review', 'train-child.js');

/** Attribute fixture pages carry their labels in; a scraped page has none. */
const LABEL_ATTRIBUTE = /\sdata-winnow-label="[^"]*"/g;

/** A page to store before the server starts: a fixture page by slug, or raw HTML. */
export type SeedPage = { slug: string; url: string } | { html: string; url: string };

export interface ReviewServerOptions {
  /** Pages moderated with the shipped model and stored, as `winnow run` would. */
  pages: SeedPage[];
  /** Fixture pages copied into the server's own fixtures folder (what training reads). @defaultValue none */
  trainingFixtures?: string[];
}

/** A fixture page to store, with the URL its meta.json gives. */
export function fixtureSeed(slug: string): SeedPage {
  const meta = JSON.parse(readFileSync(join(FIXTURE_PAGES, slug, 'meta.json'), 'utf8')) as { url: string };
  return { slug, url: meta.url };
}

/** `winnow serve` on a temp SQLite file, a temp fixtures folder and a temp models folder. */
export interface ReviewServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  token: string;
  fixturesDir: string;
  modelDir: string;
  /** Version of the shipped model the models folder starts with. */
  shippedModel: string;
  /** Ids of the stored articles, in `pages` order. */
  articleIds: string[];
  /** Call the JSON API as a script would (bearer token, no Origin). */
  api<T = any>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

/**
 * Compile what the page and the server run: the client modules (own tsconfig) and the project
 * (the training child is forked from dist/). Each only when its sources are newer.
 */
export function buildForBrowser(): void {
  if (!existsSync(TRAIN_CHILD) || newestSource(['src', 'workers']) > statSync(TRAIN_CHILD).mtimeMs) {
    // tsc emits even when it reports type errors; `npm test` typechecks before any test runs,
    // so here only a missing output is fatal.
    const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0 && !existsSync(TRAIN_CHILD)) throw new Error(`tsc -p tsconfig.json failed:\n${build.stdout}${build.stderr}`);
  }
  if (existsSync(UI_ENTRY) && statSync(UI_ENTRY).mtimeMs > newestSource(['src/review/ui'])) return;
  execFileSync('npx', ['tsc', '-p', join(UI_SOURCES, 'tsconfig.json')], { cwd: ROOT, stdio: 'inherit' });
}

function newestSource(dirs: string[]): number {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of dirs) walk(join(ROOT, dir));
  return newest;
}

/**
 * Start the real server (`startServer`, as `winnow serve`) on a spare port with pages already
 * moderated and stored, and a models folder seeded with the shipped model.
 */
export async function startReviewServer(redisUrl: string, options: ReviewServerOptions): Promise<ReviewServer> {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-review-'));
  const fixturesDir = join(dir, 'fixtures');
  const modelDir = join(dir, 'models');
  const databasePath = join(dir, 'winnow.db');
  mkdirSync(fixturesDir);
  mkdirSync(modelDir);
  const shippedModel = currentVersion(join(ROOT, 'models'));
  cpSync(join(ROOT, 'models', `${shippedModel}.json`), join(modelDir, `${shippedModel}.json`));
  cpSync(join(ROOT, 'models', 'current.json'), join(modelDir, 'current.json'));
  for (const slug of options.trainingFixtures ?? []) cpSync(join(FIXTURE_PAGES, slug), join(fixturesDir, slug), { recursive: true });

  const model = loadModel(modelDir);
  const store = await openStore({ sqlitePath: databasePath, databaseUrl: '' });
  const articleIds: string[] = [];
  try {
    for (const seed of options.pages) {
      const html = 'slug' in seed ? readFileSync(join(FIXTURE_PAGES, seed.slug, 'page.html'), 'utf8').replace(LABEL_ATTRIBUTE, '') : seed.html;
      const article = moderate(html, { url: seed.url, engine: 'linkedom', model });
      const { page } = await store.putPage({ url: seed.url, source: 'api', raw: Buffer.from(html) });
      articleIds.push((await store.saveArticle(page.id, article)).id);
    }
  } finally {
    await store.close();
  }

  const token = randomBytes(32).toString('hex');
  let server: RunningServer;
  try {
    server = await startServer({
      config: {
        redisUrl,
        queuePrefix: `{t-${randomUUID().slice(0, 8)}}`,
        databasePath,
        apiPort: 0,
        apiHost: '127.0.0.1',
        apiToken: token,
        shutdownTimeoutMs: 10_000,
      },
      databaseUrl: '',
      fixturesDir,
      modelDir,
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  server.app.log.level = 'warn';
  const origin = server.address;
  return {
    origin,
    token,
    fixturesDir,
    modelDir,
    shippedModel,
    articleIds,
    async api(method, path, body) {
      const response = await fetch(`${origin}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What a page did that a test must see: dialogs, requests, console errors, CSP violations. */
export interface PageWatch {
  page: Page;
  context: BrowserContext;
  dialogs: string[];
  /** Every URL the page requested. */
  requests: string[];
  /** Script errors and console errors (failed responses excepted: they are in `failedResponses`). */
  errors: string[];
  /** `<status> <method> <path>` of every answer with a status of 400 or more. */
  failedResponses: string[];
  /** CSP violations the page reported (`securitypolicyviolation` events). */
  cspViolations(): Promise<string[]>;
  /** Save `reports/screenshots/<name>.png`: what the viewport shows, or the whole page. */
  screenshot(name: string, options?: { fullPage?: boolean }): Promise<void>;
  close(): Promise<void>;
}

/**
 * A fresh browser context at the given size, already signed in (token in sessionStorage and
 * reviewer in localStorage, as the sign-in form leaves them), watching everything the page does.
 */
export async function openPage(
  browser: Browser,
  server: ReviewServer,
  options: { width: number; height: number; reviewer?: string; signedIn?: boolean },
): Promise<PageWatch> {
  const context = await browser.newContext({ viewport: { width: options.width, height: options.height }, serviceWorkers: 'block' });
  const page = await context.newPage();
  const dialogs: string[] = [];
  const requests: string[] = [];
  const errors: string[] = [];
  const failedResponses: string[] = [];
  page.on('response', (response) => {
    if (response.status() >= 400) failedResponses.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
  });
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('request', (request: Request) => requests.push(request.url()));
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // Chromium logs every failed response too; those are checked, with their paths, through `failedResponses`.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource: the server responded with a status of')) {
      errors.push(`console: ${message.text()}`);
    }
  });
  // Recording only: this runs before the page's own scripts and defines nothing the page reads.
  await page.addInitScript(() => {
    const seen: string[] = [];
    Object.defineProperty(window, '__cspViolations', { value: seen });
    document.addEventListener('securitypolicyviolation', (event) => seen.push(`${event.violatedDirective} ${event.blockedURI}`));
  });
  if (options.signedIn !== false) {
    await page.addInitScript(
      ({ token, reviewer }) => {
        if (!sessionStorage.getItem('winnow.review.token')) sessionStorage.setItem('winnow.review.token', token);
        if (!localStorage.getItem('winnow.review.reviewer')) localStorage.setItem('winnow.review.reviewer', reviewer);
      },
      { token: server.token, reviewer: options.reviewer ?? 'Ada Reviewer' },
    );
  }
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    page,
    context,
    dialogs,
    requests,
    errors,
    failedResponses,
    cspViolations: () => page.evaluate(() => [...((window as unknown as { __cspViolations?: string[] }).__cspViolations ?? [])]),
    async screenshot(name, screenshotOptions) {
      await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: screenshotOptions?.fullPage ?? false });
    },
    close: () => context.close(),
  };
}

/** Every request stayed on 127.0.0.1 (or was a data: URL the page itself made). */
export function expectOnlyLocalRequests(requests: string[]): void {
  const foreign = requests.filter((url) => !url.startsWith('data:') && new URL(url).hostname !== '127.0.0.1');
  expect(foreign).toEqual([]);
}

/** The page is no wider than the viewport: nothing scrolls sideways. */
export async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
}
