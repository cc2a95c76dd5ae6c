import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentVersion, loadModel, modelVersion, saveModel, type Model } from '../../src/classify/model.js';
import { WinnowError } from '../../src/errors.js';
import { compareModels, type ComparisonReport } from '../../src/review/compare.js';
import { ModelRegistry, rollbackTarget } from '../../src/review/registry.js';
import { fixtureSetHash, labelFixture, loadFixtures } from '../../src/train/fixtures.js';
import { crossValidate } from '../../src/train/train.js';

const shipped = loadModel();

/** The shipped model at another temperature: a real, loadable model with its own version. */
function variant(temperature: number, createdAt: string): Model {
  const parameters = { ...shipped, temperature };
  return { ...parameters, version: modelVersion(parameters), createdAt };
}

const fixtures = loadFixtures().filter((page) => ['news-wire-1', 'recipe-blog-1', 'forum-thread-1'].includes(page.slug));
const pages = fixtures.map((page) => labelFixture(page));
const validation = crossValidate(pages, { folds: 3 });
function reportFor(candidate: Model): ComparisonReport {
  return compareModels({ pages, validation, candidate, current: shipped, fixtureHash: fixtureSetHash(fixtures) });
}

function expectError(action: () => unknown, code: string, message: RegExp): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(WinnowError);
  expect((thrown as WinnowError).code).toBe(code);
  expect((thrown as WinnowError).message).toMatch(message);
}

let dir: string;
let registry: ModelRegistry;
const a = variant(1.5, '2026-01-01T00:00:00.000Z');
const b = variant(2.5, '2026-02-01T00:00:00.000Z');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'winnow-registry-'));
  saveModel(shipped, dir);
  registry = new ModelRegistry(dir);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('ModelRegistry', () => {
  it('lists the current model and saved candidates with their reports, newest first', () => {
    expect(registry.current()).toBe(shipped.version);
    expect(registry.list()).toEqual([
      expect.objectContaining({ version: shipped.version, isCurrent: true, status: 'current', hasReport: false, trainedOn: shipped.trainedOn }),
    ]);

    const report = reportFor(a);
    expect(registry.saveCandidate(a, report)).toBe(a.version);
    expect(registry.current()).toBe(shipped.version);
    expect(registry.report(a.version)).toEqual(report);
    expect(registry.report(shipped.version)).toBeNull();
    registry.saveCandidate(b, reportFor(b));

    const listed = registry.list();
    expect(shipped.createdAt > b.createdAt).toBe(true);
    expect(listed.map((entry) => [entry.version, entry.status])).toEqual([
      [shipped.version, 'current'],
      [b.version, 'candidate'],
      [a.version, 'candidate'],
    ]);
    expect(listed.find((entry) => entry.version === a.version)).toMatchObject({ createdAt: a.createdAt, isCurrent: false, hasReport: true });
  });

  it('promotes a candidate: current.json keeps what currentVersion reads plus the history', () => {
    registry.saveCandidate(a, reportFor(a));
    expect(loadModel(dir).version).toBe(shipped.version);

    const record = registry.promote(a.version, 'alice');
    expect(record).toMatchObject({ version: a.version, previous: shipped.version, by: 'alice', action: 'promote' });
    expect(currentVersion(dir)).toBe(a.version);
    expect(loadModel(dir).version).toBe(a.version);
    const pointer = JSON.parse(readFileSync(join(dir, 'current.json'), 'utf8'));
    expect(pointer).toEqual({ version: a.version, createdAt: a.createdAt, history: [record] });
    expect(registry.history()).toEqual([record]);
    expect(registry.list().find((entry) => entry.version === shipped.version)!.status).toBe('previous');
  });

  it('rolls back promotion by promotion, recording each rollback', () => {
    registry.saveCandidate(a, reportFor(a));
    registry.saveCandidate(b, reportFor(b));
    registry.promote(a.version, 'alice');
    registry.promote(b.version, 'bob');

    const first = registry.rollback('carol');
    expect(first).toMatchObject({ version: a.version, previous: b.version, by: 'carol', action: 'rollback' });
    expect(registry.current()).toBe(a.version);
    const second = registry.rollback('carol');
    expect(second).toMatchObject({ version: shipped.version, previous: a.version, action: 'rollback' });
    expect(loadModel(dir).version).toBe(shipped.version);
    expect(registry.history().map((record) => record.action)).toEqual(['promote', 'promote', 'rollback', 'rollback']);
    expectError(() => registry.rollback('carol'), 'bad_input', /no earlier model/);
  });

  it('discards by marking, never by deleting, and never the current model', () => {
    registry.saveCandidate(a, reportFor(a));
    registry.discard(a.version, 'dave');
    expect(existsSync(join(dir, `${a.version}.json`))).toBe(true);
    expect(existsSync(join(dir, `${a.version}.discarded`))).toBe(true);
    expect(registry.list().find((entry) => entry.version === a.version)!.status).toBe('discarded');
    expectError(() => registry.promote(a.version, 'dave'), 'bad_input', /discarded/);
    expectError(() => registry.discard(shipped.version), 'bad_input', /current/);

    // A rollback target that was discarded is refused too.
    registry.saveCandidate(b, reportFor(b));
    registry.promote(b.version, 'erin');
    registry.discard(shipped.version);
    expectError(() => registry.rollback('erin'), 'bad_input', /discarded/);
    expect(registry.current()).toBe(b.version);
  });

  it('refuses unknown versions, bad names and promoting the current model', () => {
    expectError(() => registry.promote('nb-f1-0000000000', 'alice'), 'not_found', /no model/);
    expectError(() => registry.discard('nb-f1-0000000000'), 'not_found', /no model/);
    expectError(() => registry.promote('../models/current', 'alice'), 'bad_input', /not a model version/);
    expectError(() => registry.report('a/b'), 'bad_input', /not a model version/);
    expectError(() => registry.promote(shipped.version, 'alice'), 'bad_input', /already current/);
    registry.saveCandidate(a, reportFor(a));
    expectError(() => registry.promote(a.version, ''), 'bad_input', /1 to 64/);
    expectError(() => registry.rollback('x'.repeat(65)), 'bad_input', /1 to 64/);
    expect(registry.current()).toBe(shipped.version);
  });

  it('keeps the history when `winnow train` makes a model current', () => {
    registry.saveCandidate(a, reportFor(a));
    registry.promote(a.version, 'alice');
    saveModel(b, dir);
    expect(registry.current()).toBe(b.version);
    expect(registry.history()).toEqual([
      expect.objectContaining({ version: a.version, previous: shipped.version, by: 'alice' }),
      expect.objectContaining({ version: b.version, previous: a.version, by: 'winnow train', action: 'promote' }),
    ]);
    expect(registry.rollback('alice').version).toBe(a.version);
  });

  it('writes only whole files (no temporaries left behind)', () => {
    registry.saveCandidate(a, reportFor(a));
    registry.promote(a.version, 'alice');
    registry.discard(shipped.version);
    expect(readdirSync(dir).sort()).toEqual(
      ['current.json', `${shipped.version}.json`, `${shipped.version}.discarded`, `${a.version}.json`, `${a.version}.report.json`].sort(),
    );
  });
});

describe('rollbackTarget', () => {
  const at = '2026-01-01T00:00:00.000Z';
  it('undoes the latest promotion still in effect', () => {
    expect(rollbackTarget([])).toBeNull();
    expect(rollbackTarget([{ version: 'b', previous: 'a', by: 'x', at, action: 'promote' }])).toBe('a');
    expect(
      rollbackTarget([
        { version: 'b', previous: 'a', by: 'x', at, action: 'promote' },
        { version: 'c', previous: 'b', by: 'x', at, action: 'promote' },
        { version: 'b', previous: 'c', by: 'x', at, action: 'rollback' },
      ]),
    ).toBe('a');
  });
});
