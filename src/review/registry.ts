import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  defaultModelDir,
  loadModel,
  readCurrentPointer,
  saveModel,
  writeCurrentPointer,
  type Model,
  type ModelMetrics,
  type PromotionRecord,
} from '../classify/model.js';
import { ModelNotFoundError, WinnowError } from '../errors.js';
import type { ComparisonReport } from './compare.js';

export type { PromotionRecord } from '../classify/model.js';

/** Where a model stands: serving, waiting for a decision, served before, or set aside. */
export type ModelStatus = 'current' | 'candidate' | 'previous' | 'discarded';

/** One model of the registry, without its parameters. */
export interface ModelEntry {
  version: string;
  createdAt: string;
  trainedOn: Model['trainedOn'];
  metrics: ModelMetrics | null;
  isCurrent: boolean;
  status: ModelStatus;
  /** A comparison report was saved with the model (`<version>.report.json`). */
  hasReport: boolean;
}

/** What `<version>.discarded` holds. */
interface DiscardMark {
  at: string;
  by: string | null;
}

const REPORT_SUFFIX = '.report.json';
const DISCARDED_SUFFIX = '.discarded';
/** Version strings are file names: no separators, no dots (so never a report or marker name). */
const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const MAX_NAME_LENGTH = 64;

/**
 * The models folder as a registry: `<version>.json` model files, `current.json` pointing at the
 * serving one with the history of promotions and rollbacks, `<version>.report.json` beside a
 * candidate, and `<version>.discarded` marking a model set aside (files are never deleted). Every
 * write is atomic (temp file, then rename).
 *
 * Processes that already loaded the current model keep it until they load again; in this
 * process a promotion or rollback makes `loadModel(dir)` read the new pointer.
 */
export class ModelRegistry {
  readonly dir: string;
  private readonly summaries = new Map<string, { stamp: string; entry: Omit<ModelEntry, 'isCurrent' | 'status' | 'hasReport'> }>();

  constructor(dir: string = defaultModelDir()) {
    this.dir = dir;
  }

  /** Every model in the folder, newest first. */
  list(): ModelEntry[] {
    const pointer = readCurrentPointer(this.dir);
    const current = pointer?.version ?? null;
    const served = new Set<string>();
    for (const record of pointer?.history ?? []) {
      served.add(record.version);
      if (record.previous) served.add(record.previous);
    }
    const entries: ModelEntry[] = [];
    for (const file of this.modelFiles()) {
      const summary = this.summary(file);
      if (!summary) continue;
      const isCurrent = summary.version === current;
      const status: ModelStatus = isCurrent
        ? 'current'
        : this.isDiscarded(summary.version)
          ? 'discarded'
          : served.has(summary.version)
            ? 'previous'
            : 'candidate';
      entries.push({ ...summary, isCurrent, status, hasReport: existsSync(this.path(summary.version, REPORT_SUFFIX)) });
    }
    return entries.sort((a, b) => (a.createdAt === b.createdAt ? a.version.localeCompare(b.version) : b.createdAt < a.createdAt ? -1 : 1));
  }

  /** Version `current.json` points at. @throws ModelNotFoundError when there is none. */
  current(): string {
    const pointer = readCurrentPointer(this.dir);
    if (!pointer) throw new ModelNotFoundError(`no current model in ${this.dir}`);
    return pointer.version;
  }

  /** Promotions and rollbacks, oldest first. */
  history(): PromotionRecord[] {
    return readCurrentPointer(this.dir)?.history ?? [];
  }

  /**
   * Make a model current. The model must load (same feature version as this code).
   *
   * @throws WinnowError `not_found` for an unknown version; `bad_input` for a discarded one, the
   *   current one, or a bad name; `model_mismatch` when it was trained on other features.
   */
  promote(version: string, by: string): PromotionRecord {
    checkName('by', by);
    this.requireUsable(version);
    const pointer = readCurrentPointer(this.dir);
    if (pointer?.version === version) throw new WinnowError('bad_input', `model ${version} is already current`);
    return this.point(version, { previous: pointer?.version ?? null, by, action: 'promote' }, pointer?.history ?? []);
  }

  /**
   * Undo the latest promotion still in effect: the model that was current before it serves
   * again. Rolling back twice undoes the two latest promotions. The rollback is recorded.
   *
   * @throws WinnowError `bad_input` when no earlier model is known or it was discarded,
   *   `not_found` when its file is gone.
   */
  rollback(by: string): PromotionRecord {
    checkName('by', by);
    const pointer = readCurrentPointer(this.dir);
    if (!pointer) throw new WinnowError('not_found', `no current model in ${this.dir}`);
    const history = pointer.history ?? [];
    const target = rollbackTarget(history);
    if (target === null || target === pointer.version) throw new WinnowError('bad_input', `no earlier model to roll back to from ${pointer.version}`);
    this.requireUsable(target);
    return this.point(target, { previous: pointer.version, by, action: 'rollback' }, history);
  }

  /**
   * Keep a newly trained model and its comparison report without making it current. A version
   * that was discarded before becomes a candidate again (it was just trained anew).
   */
  saveCandidate(model: Model, report: ComparisonReport): string {
    checkVersion(model.version);
    saveModel(model, this.dir, { makeCurrent: false });
    writeAtomic(this.path(model.version, REPORT_SUFFIX), `${JSON.stringify(report, null, 2)}\n`);
    rmSync(this.path(model.version, DISCARDED_SUFFIX), { force: true });
    return model.version;
  }

  /** The comparison report saved with a model, or null. */
  report(version: string): ComparisonReport | null {
    checkVersion(version);
    const file = this.path(version, REPORT_SUFFIX);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ComparisonReport) : null;
  }

  /**
   * Set a model aside: it can no longer be promoted or rolled back to. Its files stay.
   *
   * @throws WinnowError `not_found` for an unknown version, `bad_input` for the current one.
   */
  discard(version: string, by?: string): void {
    checkVersion(version);
    if (by !== undefined) checkName('by', by);
    if (!existsSync(this.path(version, '.json'))) throw new WinnowError('not_found', `no model ${version} in ${this.dir}`);
    if (readCurrentPointer(this.dir)?.version === version) throw new WinnowError('bad_input', `model ${version} is current and cannot be discarded`);
    if (this.isDiscarded(version)) return;
    const mark: DiscardMark = { at: new Date().toISOString(), by: by ?? null };
    writeAtomic(this.path(version, DISCARDED_SUFFIX), `${JSON.stringify(mark)}\n`);
  }

  private point(version: string, change: Omit<PromotionRecord, 'version' | 'at'>, history: PromotionRecord[]): PromotionRecord {
    const model = loadModel(this.dir, version);
    const record: PromotionRecord = { version, previous: change.previous, by: change.by, at: new Date().toISOString(), action: change.action };
    writeCurrentPointer(this.dir, { version, createdAt: model.createdAt, history: [...history, record] });
    return record;
  }

  /** A version that may serve: named properly, present, not discarded, and loadable. */
  private requireUsable(version: string): void {
    checkVersion(version);
    if (!existsSync(this.path(version, '.json'))) throw new WinnowError('not_found', `no model ${version} in ${this.dir}`);
    if (this.isDiscarded(version)) throw new WinnowError('bad_input', `model ${version} was discarded`);
    loadModel(this.dir, version);
  }

  private isDiscarded(version: string): boolean {
    return existsSync(this.path(version, DISCARDED_SUFFIX));
  }

  private path(version: string, suffix: string): string {
    return join(this.dir, `${version}${suffix}`);
  }

  private modelFiles(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter(
      (name) => name.endsWith('.json') && !name.endsWith(REPORT_SUFFIX) && name !== 'current.json' && VERSION_PATTERN.test(name.slice(0, -'.json'.length)),
    );
  }

  /** A model file's identity and metrics; parsed once per file change (model files are large). */
  private summary(file: string): Omit<ModelEntry, 'isCurrent' | 'status' | 'hasReport'> | null {
    const path = join(this.dir, file);
    const stat = statSync(path);
    const stamp = `${stat.mtimeMs}:${stat.size}`;
    const cached = this.summaries.get(file);
    if (cached?.stamp === stamp) return cached.entry;
    let model: Partial<Model>;
    try {
      model = JSON.parse(readFileSync(path, 'utf8')) as Partial<Model>;
    } catch {
      return null;
    }
    if (typeof model.version !== 'string' || `${model.version}.json` !== file) return null;
    const entry = {
      version: model.version,
      createdAt: model.createdAt ?? stat.mtime.toISOString(),
      trainedOn: model.trainedOn ?? { pages: 0, blocks: 0, fixtureHash: '' },
      metrics: model.metrics ?? null,
    };
    this.summaries.set(file, { stamp, entry });
    return entry;
  }
}

/**
 * The model to roll back to: replaying the history as a stack, each promotion pushes the model
 * it replaced and each rollback pops one, so the top is what the latest promotion still in
 * effect replaced.
 */
export function rollbackTarget(history: PromotionRecord[]): string | null {
  const replaced: (string | null)[] = [];
  for (const record of history) {
    if (record.action === 'promote') replaced.push(record.previous);
    else replaced.pop();
  }
  return replaced.at(-1) ?? null;
}

function checkVersion(version: string): void {
  if (typeof version !== 'string' || !VERSION_PATTERN.test(version) || version === 'current') {
    throw new WinnowError('bad_input', `not a model version: ${JSON.stringify(version)}`);
  }
}

function checkName(field: string, value: string): void {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > MAX_NAME_LENGTH) {
    throw new WinnowError('bad_input', `${field} must be a name of 1 to ${MAX_NAME_LENGTH} characters`);
  }
}

function writeAtomic(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, content);
  renameSync(temp, file);
}
