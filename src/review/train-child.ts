/**
 * Training child: `TrainingRunner` (training.ts) forks the compiled `dist/src/review/train-child.js`
 * so retraining, seconds to minutes of CPU, never blocks the serving process. The parent sends
 * one `TrainChildRequest`; the child answers with `progress` messages, then one `done` message
 * once the candidate is saved, and exits. On any error it writes the error to stderr and exits
 * with code 1: the parent fails the job with the tail of stderr.
 */
import { realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel, type Model } from '../classify/model.js';
import { fixtureSetHash, labelFixture, loadFixtures, type FixturePage } from '../train/fixtures.js';
import { trainModel, type TrainingProgress } from '../train/train.js';
import type { EngineName } from '../types.js';
import { compareModels, type ComparisonReport } from './compare.js';
import { ModelRegistry } from './registry.js';

/** What the parent asks the child to do. */
export interface TrainChildRequest {
  fixturesDir: string;
  modelDir: string;
  engine?: EngineName;
  /** Cross-validation folds. @defaultValue 5, as `winnow train` */
  folds?: number;
}

/** What the child reports. */
export type TrainChildMessage =
  | ({ type: 'progress' } & TrainingProgress)
  | { type: 'done'; candidate: string; report: ComparisonReport };

/**
 * Train a candidate exactly as `winnow train` does (same fixtures loading, same cross-validation
 * and operating point), compare it with the current model on the same split, and save it with
 * its report as a candidate: the current model stays current.
 */
export function trainCandidate(request: TrainChildRequest, onProgress: (progress: TrainingProgress) => void = () => undefined): {
  candidate: string;
  report: ComparisonReport;
} {
  // The comparison needs the current model: fail before minutes of training, not after.
  const current = loadModel(request.modelDir);
  const fixtures = loadFixtures(request.fixturesDir);
  onProgress({ stage: 'analysing pages', done: 0, total: fixtures.length });
  const pages = fixtures.map((fixture, i) => {
    const page = labelFixture(fixture, { engine: request.engine });
    onProgress({ stage: 'analysing pages', done: i + 1, total: fixtures.length });
    return page;
  });
  const fixtureHash = fixtureSetHash(fixtures);
  const { model, validation } = trainModel(pages, { folds: request.folds, fixtureHash, onProgress });
  const { newToCurrent, basis } = pagesNewTo(current, fixtures);
  const report = compareModels({ pages, validation, candidate: model, current, fixtureHash, folds: request.folds, newToCurrent, newToCurrentBasis: basis, onProgress });
  onProgress({ stage: 'saving', done: 0, total: 1 });
  const candidate = new ModelRegistry(request.modelDir).saveCandidate(model, report);
  return { candidate, report };
}

/**
 * The pages the current model never trained on: review exports written after it was made. When
 * the rest hash to the fixture set the model records, that set is exactly its training set.
 */
export function pagesNewTo(current: Model, fixtures: FixturePage[]): { newToCurrent: Set<string>; basis: string } {
  const madeAt = Date.parse(current.createdAt);
  const isNew = (fixture: FixturePage) =>
    fixture.meta.source === 'review-export' && !(statSync(join(fixture.dir, 'page.html')).mtimeMs <= madeAt);
  const newToCurrent = new Set(fixtures.filter(isNew).map((fixture) => fixture.slug));
  const exact = fixtureSetHash(fixtures.filter((fixture) => !newToCurrent.has(fixture.slug))) === current.trainedOn.fixtureHash;
  const basis = exact
    ? 'exactly its recorded fixture set'
    : `review exports written after it was made count as new to it; the rest do not hash to its recorded fixture set, so this is an approximation`;
  return { newToCurrent, basis };
}

function send(message: TrainChildMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())));
}

function runAsChild(): void {
  process.once('message', (request: TrainChildRequest) => {
    try {
      const result = trainCandidate(request, (progress) => void send({ type: 'progress', ...progress }).catch(() => undefined));
      send({ type: 'done', ...result }).then(
        () => process.disconnect(),
        (error: unknown) => fail(error),
      );
    } catch (error) {
      fail(error);
    }
  });
}

function fail(error: unknown): void {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`${text}\n`, () => process.exit(1));
}

function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (process.send && isEntryPoint()) runAsChild();
