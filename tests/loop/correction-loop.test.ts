import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { loadModel, saveModel, type Model } from '../../src/classify/model.js';
import { stripFixtureLabels } from '../../src/eval/quality.js';
import { analyzePage, moderate } from '../../src/pipeline.js';
import { openStore } from '../../src/storage/open-store.js';
import type { Store } from '../../src/storage/store.js';
import type { Label } from '../../src/types.js';
import { createProducerConnection, createQueues, waitForReady } from '../../workers/queues.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { AUTH, TOKEN } from '../api/helpers.js';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';

/**
 * The loop the review page exists for: a site template the shipped model gets wrong, a handful
 * of corrections on one page through the API, export, retrain, and the same template's second
 * page comes out right under the candidate model.
 */
const LOOP_PAGES = join(import.meta.dirname, '..', 'review-loop');
const SHIPPED_FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'pages');
/** Most corrections the loop may take; the README states the figure. */
const MAX_CORRECTIONS = 10;

interface LoopPage {
  url: string;
  html: string;
  gold: Label[];
}

function loopPage(name: string, url: string): LoopPage {
  const labeled = readFileSync(join(LOOP_PAGES, name, 'page.html'), 'utf8');
  const gold = analyzePage(labeled, { url, readLabels: true }).blocks.map((block) => block.gold!);
  return { url, html: stripFixtureLabels(labeled), gold };
}

function wrongBlocks(page: LoopPage, model: Model): number[] {
  const article = moderate(page.html, { url: page.url, model });
  expect(article.blocks.length).toBe(page.gold.length);
  return article.blocks.filter((block, i) => block.label !== page.gold[i]).map((block) => block.index);
}

let redis: TestRedis;
let connection: Redis;
let store: Store;
let app: FastifyInstance;
let work: string;
let shipped: Model;
const first = loopPage('harbour-gazette-1', 'https://harbourgazette.example/news/ferry-timetable-cut');
const second = loopPage('harbour-gazette-2', 'https://harbourgazette.example/news/new-lifeboat');

beforeAll(async () => {
  redis = await startRedis();
  work = mkdtempSync(join(tmpdir(), 'winnow-loop-'));
  cpSync(SHIPPED_FIXTURES, join(work, 'fixtures'), { recursive: true });
  shipped = loadModel();
  saveModel(shipped, join(work, 'models'));
  store = await openStore({ sqlitePath: join(work, 'winnow.db'), databaseUrl: '' });
  connection = createProducerConnection(redis.url);
  await waitForReady(connection);
  const queues = createQueues(connection, { prefix: '{loop}' });
  app = await buildApp({ store, queues, token: TOKEN, fixturesDir: join(work, 'fixtures'), modelDir: join(work, 'models') });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await connection?.quit().catch(() => connection.disconnect());
  await store?.close();
  await redis?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('correction loop', () => {
  it('the shipped model gets this template wrong', () => {
    expect(wrongBlocks(first, shipped).length).toBeGreaterThanOrEqual(5);
    expect(wrongBlocks(second, shipped).length).toBeGreaterThanOrEqual(5);
  });

  it(`≤${MAX_CORRECTIONS} corrections on one page, export and retrain fix the template's second page`, async () => {
    const { page } = await store.putPage({ url: first.url, source: 'api', raw: Buffer.from(first.html) });
    const article = await store.saveArticle(page.id, moderate(first.html, { url: first.url, model: shipped }));

    const view = (await app.inject({ method: 'GET', url: `/v1/review/articles/${article.id}`, headers: AUTH })).json();
    const corrections = view.blocks
      .filter((block: { index: number; label: Label }) => block.label !== first.gold[block.index])
      .map((block: { index: number; label: Label }) => ({ blockIndex: block.index, label: first.gold[block.index], expected: block.label }));
    expect(corrections.length).toBeGreaterThan(0);
    expect(corrections.length).toBeLessThanOrEqual(MAX_CORRECTIONS);
    const posted = await app.inject({
      method: 'POST',
      url: `/v1/review/articles/${article.id}/corrections`,
      headers: AUTH,
      payload: { reviewer: 'loop-test', corrections },
    });
    expect(posted.statusCode).toBe(201);
    // Then one key (a) says the rest of the page is right: a confirmation of every other block,
    // without which the export would teach only the corrected blocks.
    const fixed = new Set(corrections.map((correction: { blockIndex: number }) => correction.blockIndex));
    const confirmations = view.blocks
      .filter((block: { index: number }) => !fixed.has(block.index))
      .map((block: { index: number; label: Label }) => ({ blockIndex: block.index, label: block.label, expected: block.label }));
    const confirmed = await app.inject({
      method: 'POST',
      url: `/v1/review/articles/${article.id}/corrections`,
      headers: AUTH,
      payload: { reviewer: 'loop-test', corrections: confirmations },
    });
    expect(confirmed.statusCode).toBe(201);

    const exported = await app.inject({ method: 'POST', url: '/v1/review/export', headers: AUTH, payload: {} });
    expect(exported.statusCode).toBe(200);
    expect(exported.json().written).toHaveLength(1);
    expect(exported.json().written[0].reviewed).toBe(view.blocks.length);
    expect(exported.json().skipped).toEqual([]);

    const started = await app.inject({ method: 'POST', url: '/v1/review/train', headers: AUTH, payload: { reviewer: 'loop-test' } });
    expect(started.statusCode).toBe(202);
    let job = started.json().job;
    const deadline = Date.now() + 240_000;
    while (job.state === 'running' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      job = (await app.inject({ method: 'GET', url: `/v1/review/train/${job.id}`, headers: AUTH })).json().job;
    }
    expect(job.error).toBeNull();
    expect(job.state).toBe('done');
    expect(job.report.reviewedPages).toBe(1);

    const candidate = loadModel(join(work, 'models'), job.candidate);
    // Of the 6 blocks the shipped model gets wrong on the second page, the candidate fixes the
    // listing's items; the listing's two-word caption ("Harbour Board") may stay editorial, as the
    // candidate is surer of it than the caption rule's bar (0.7). At most that one block.
    const stillWrong = wrongBlocks(second, candidate);
    expect(stillWrong.length).toBeLessThanOrEqual(1);
    for (const index of stillWrong) expect(second.gold[index]).toBe('promo');
    expect(stillWrong.length).toBeLessThan(wrongBlocks(second, shipped).length);
    // The candidate does not forget the pages it already knew.
    expect(job.report.all.candidate.macroF1).toBeGreaterThan(0.85);

    const promoted = await app.inject({
      method: 'POST',
      url: `/v1/review/models/${job.candidate}/promote`,
      headers: AUTH,
      payload: { reviewer: 'loop-test' },
    });
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json().current).toBe(job.candidate);
  }, 300_000);
});
