import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, packageRoot, saveModel } from '../../src/classify/model.js';
import { trainCommand } from '../../src/cli/train-commands.js';
import { ConflictError } from '../../src/errors.js';
import { ModelRegistry } from '../../src/review/registry.js';
import { TrainingRunner, type TrainingJob } from '../../src/review/training.js';

/** Eight pages over several templates; one plays the part of a review export. */
const SLUGS = [
  'news-wire-1',
  'recipe-blog-1',
  'forum-thread-1',
  'listicle-gifts-1',
  'docs-page-1',
  'news-de-1',
  'product-review-1',
  'ai-news-featured-2',
];
const REVIEW_EXPORT = 'news-de-1';
const CHILD = join(packageRoot(), 'dist', 'src', 'review', 'train-child.js');

let work: string;
let fixturesDir: string;
let modelDir: string;
const shipped = loadModel();
const runners: TrainingRunner[] = [];

function runner(options: ConstructorParameters<typeof TrainingRunner>[0] = {}): TrainingRunner {
  const made = new TrainingRunner({ fixturesDir, modelDir, ...options });
  runners.push(made);
  return made;
}

async function finished(training: TrainingRunner, id: string, timeoutMs = 120_000): Promise<TrainingJob> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = training.get(id)!;
    if (job.state !== 'running') return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(() => {
  // The child runs compiled: `npm test` builds first.
  expect(existsSync(CHILD)).toBe(true);
  work = mkdtempSync(join(tmpdir(), 'winnow-training-'));
  fixturesDir = join(work, 'fixtures');
  modelDir = join(work, 'models');
  for (const slug of SLUGS) cpSync(join(packageRoot(), 'fixtures', 'pages', slug), join(fixturesDir, slug), { recursive: true });
  const metaFile = join(fixturesDir, REVIEW_EXPORT, 'meta.json');
  writeFileSync(metaFile, JSON.stringify({ ...JSON.parse(readFileSync(metaFile, 'utf8')), source: 'review-export' }));
  saveModel(shipped, modelDir);
});

afterAll(async () => {
  await Promise.all(runners.map((training) => training.close()));
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('TrainingRunner', () => {
  it('trains a candidate in a child process, reporting progress, and saves it beside the current model', async () => {
    const updates: TrainingJob[] = [];
    const training = runner({ onUpdate: (job) => updates.push(job) });
    const started = training.start('alice');
    expect(started).toMatchObject({ state: 'running', by: 'alice', finishedAt: null, candidate: null, report: null, error: null });
    expect(() => training.start('bob')).toThrow(ConflictError);
    expect(training.latest()!.id).toBe(started.id);

    const job = await finished(training, started.id);
    expect(job.error).toBeNull();
    expect(job.state).toBe('done');
    expect(job.finishedAt).not.toBeNull();

    // Progress moved through every stage while the job was running.
    const running = updates.filter((update) => update.state === 'running').map((update) => update.progress);
    const stages = [...new Set(running.map((progress) => progress.stage))];
    expect(stages).toEqual(['starting', 'analysing pages', 'folds', 'fitting', 'comparing', 'saving']);
    expect(running).toContainEqual({ stage: 'analysing pages', done: 8, total: 8 });
    expect(running).toContainEqual({ stage: 'folds', done: 5, total: 5 });
    // Comparing: the current model's configuration refitted on each of the 5 folds, then the 8 pages labelled.
    expect(running).toContainEqual({ stage: 'comparing', done: 13, total: 13 });
    const analysed = running.filter((progress) => progress.stage === 'analysing pages').map((progress) => progress.done);
    expect(analysed).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(updates.at(-1)!.state).toBe('done');

    // The candidate is saved with its report and is not current.
    const registry = new ModelRegistry(modelDir);
    expect(registry.current()).toBe(shipped.version);
    expect(registry.list().find((entry) => entry.version === job.candidate)).toMatchObject({ status: 'candidate', hasReport: true });
    expect(registry.report(job.candidate!)).toEqual(job.report);
    expect(job.report).toMatchObject({ candidate: job.candidate, current: shipped.version, pages: 8, reviewedPages: 1 });
    expect(job.report!.reviewed).not.toBeNull();
    expect(job.report!.method).toContain('same folds');
    expect(job.report!.deployed.all.method).toContain('in-sample');

    // Trained exactly as `winnow train --no-corpus` trains on the same fixtures.
    const plainDir = join(work, 'plain-models');
    expect(trainCommand({ fixtures: fixturesDir, modelDir: plainDir, promote: false, corpus: false }, () => undefined)).toBe(job.candidate);

    // Promote, roll back, discard.
    expect(registry.promote(job.candidate!, 'alice').previous).toBe(shipped.version);
    expect(loadModel(modelDir).version).toBe(job.candidate);
    expect(registry.rollback('alice').version).toBe(shipped.version);
    registry.discard(job.candidate!, 'alice');
    expect(registry.list().find((entry) => entry.version === job.candidate)!.status).toBe('discarded');
    expect(registry.current()).toBe(shipped.version);
  }, 180_000);

  it('fails a job whose child is killed, and accepts a new run after it', async () => {
    const training = runner();
    const started = training.start('alice');
    const pid = training.pid(started.id);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    const job = await finished(training, started.id);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/killed by SIGKILL/);
    expect(training.pid(started.id)).toBeNull();

    const next = training.start('bob');
    expect(next.state).toBe('running');
    await training.close();
    expect(training.get(next.id)).toMatchObject({ state: 'failed', error: 'stopped: the server shut down' });
  }, 60_000);

  it('kills a run that goes over its time limit', async () => {
    const training = runner({ timeoutMs: 300 });
    const job = await finished(training, training.start('alice').id);
    expect(job.state).toBe('failed');
    expect(job.error).toBe('training ran over the limit of 300 ms and was stopped');
  }, 60_000);

  it('fails a crashing child with the tail of its stderr', async () => {
    const training = runner({ fixturesDir: join(work, 'no-such-fixtures') });
    const job = await finished(training, training.start('alice').id);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/^training child exited with code 1: /);
    expect(job.error).toContain('no fixtures folder');
    expect(new ModelRegistry(modelDir).current()).toBe(shipped.version);
  }, 60_000);

  it('keeps the last 20 jobs, newest first', async () => {
    const training = runner({ timeoutMs: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 22; i++) {
      const started = training.start(`reviewer-${i}`);
      ids.push(started.id);
      await finished(training, started.id);
    }
    expect(training.list().map((job) => job.id)).toEqual(ids.slice(2).reverse());
    expect(training.get(ids[0])).toBeNull();
    expect(training.latest()!.id).toBe(ids[21]);
  }, 60_000);

  it('refuses a bad name', () => {
    expect(() => runner().start('')).toThrow(/1 to 64/);
  });
});
