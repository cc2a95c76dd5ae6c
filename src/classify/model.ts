import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelNotFoundError, ModelVersionMismatchError } from '../errors.js';
import { FEATURE_VERSION } from '../features/constants.js';
import { LABELS, type Label } from '../types.js';
import type { NaiveBayesParameters } from './naive-bayes.js';
import { DEFAULT_SMOOTHING, type SmoothingOptions } from './smooth.js';

/** Per-class precision, recall and F1, plus the confusion matrix (rows: true, columns: predicted). */
export interface ModelMetrics {
  perClass: Record<Label, { precision: number; recall: number; f1: number; support: number }>;
  macroF1: number;
  accuracy: number;
  confusion: number[][];
  /** How the metrics were obtained, e.g. "5-fold cross-validation by page". */
  method: string;
}

/** A trained classifier as stored in `models/`: data only, loaded once per process. */
export interface Model {
  /** Stamped on every article; changes whenever the parameters change. */
  version: string;
  featureVersion: number;
  createdAt: string;
  labels: Label[];
  nb: NaiveBayesParameters;
  /** Second pass: block features plus the first pass's verdict on neighbours and container (null: one pass). */
  contextNb: NaiveBayesParameters | null;
  /** Softmax temperature fitted on held-out pages (confidences then mean what they say). */
  temperature: number;
  smoothing: SmoothingOptions;
  /**
   * Log-odds added to each class after tempering (in `labels` order): moves the operating point
   * toward a class whose misses cost more (an ad left in an article is worse than an extra box
   * removed). Fitted by cross-validation.
   */
  bias?: number[];
  trainedOn: TrainedOn;
  metrics: ModelMetrics | null;
}

/** What a model learned from. */
export interface TrainedOn {
  pages: number;
  blocks: number;
  fixtureHash: string;
  /** Pages per source (`hand-written`, `review-export`, `corpus-aligned`). */
  sources?: Record<string, number>;
  /** Corpora whose aligned pages were trained on, with their version and the weight of one of their blocks. */
  corpora?: { name: string; version: string; pages: number; weight: number }[];
}

/** This package's root, found from the compiled file (dist/src/classify) or the source. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return resolve('.');
}

/** `models/` of this package, or WINNOW_MODEL_DIR. */
export function defaultModelDir(): string {
  return process.env.WINNOW_MODEL_DIR ? resolve(process.env.WINNOW_MODEL_DIR) : join(packageRoot(), 'models');
}

const CURRENT_FILE = 'current.json';

/** Version string from the feature version and a hash of the parameters. */
export function modelVersion(parameters: Pick<Model, 'nb' | 'contextNb' | 'temperature' | 'bias' | 'smoothing'>): string {
  const { nb, contextNb, temperature, bias, smoothing } = parameters;
  const hash = createHash('sha256').update(JSON.stringify({ nb, contextNb, temperature, bias, smoothing })).digest('hex').slice(0, 10);
  return `nb-f${FEATURE_VERSION}-${hash}`;
}

const cache = new Map<string, Model>();

/**
 * Load a model: the one `current.json` in `dir` points to, or a given version. Refuses a model
 * trained on another feature version (its tokens would mean something else).
 */
export function loadModel(dir: string = defaultModelDir(), version?: string): Model {
  const key = `${dir}\u0000${version ?? ''}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const chosen = version ?? currentVersion(dir);
  const file = join(dir, `${chosen}.json`);
  if (!existsSync(file)) throw new ModelNotFoundError(`no model file ${file}; run \`winnow train\``);
  const model = JSON.parse(readFileSync(file, 'utf8')) as Model;
  if (model.featureVersion !== FEATURE_VERSION) {
    throw new ModelVersionMismatchError(
      `model ${model.version} was trained on feature version ${model.featureVersion}, this code computes ${FEATURE_VERSION}; run \`winnow train\``,
    );
  }
  model.smoothing = { ...DEFAULT_SMOOTHING, ...model.smoothing };
  cache.set(key, model);
  return model;
}

export function currentVersion(dir: string = defaultModelDir()): string {
  const pointer = readCurrentPointer(dir);
  if (!pointer) throw new ModelNotFoundError(`no ${join(dir, CURRENT_FILE)}; run \`winnow train\``);
  return pointer.version;
}

/** One change of the current model, as `current.json` records it. */
export interface PromotionRecord {
  /** The version made current. */
  version: string;
  /** The version current before, or null. */
  previous: string | null;
  by: string;
  /** ISO timestamp. */
  at: string;
  action: 'promote' | 'rollback';
}

/** `current.json`: the model that serves, and every change that led to it (oldest first). */
export interface CurrentPointer {
  version: string;
  createdAt: string;
  history?: PromotionRecord[];
}

export function readCurrentPointer(dir: string = defaultModelDir()): CurrentPointer | null {
  const pointer = join(dir, CURRENT_FILE);
  if (!existsSync(pointer)) return null;
  return JSON.parse(readFileSync(pointer, 'utf8')) as CurrentPointer;
}

/** Replace `current.json` atomically; models of `dir` cached by this process are loaded again. */
export function writeCurrentPointer(dir: string, pointer: CurrentPointer): void {
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, CURRENT_FILE), `${JSON.stringify(pointer, null, 2)}\n`);
  forgetCachedModels(dir);
}

/**
 * Write `<version>.json` (atomically: temp file, then rename) and optionally point `current.json`
 * at it, adding the change to the pointer's history (`by` names who made it).
 */
export function saveModel(model: Model, dir: string = defaultModelDir(), options: { makeCurrent?: boolean; by?: string } = {}): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${model.version}.json`);
  writeAtomic(file, `${JSON.stringify(model)}\n`);
  if (options.makeCurrent ?? true) {
    // A model of another feature version, or one whose file is gone, can never be rolled back
    // to: the history starts again with this model.
    const pointer = readablePointer(dir);
    const before = pointer && canRollBackTo(dir, pointer.version) ? pointer : null;
    const history = [...(before?.history ?? [])];
    if (before && before.version !== model.version) {
      history.push({ version: model.version, previous: before.version, by: options.by ?? 'winnow train', at: new Date().toISOString(), action: 'promote' });
    }
    writeCurrentPointer(dir, { version: model.version, createdAt: model.createdAt, ...(history.length > 0 ? { history } : {}) });
  }
  forgetCachedModels(dir);
  return file;
}

function canRollBackTo(dir: string, version: string): boolean {
  return version.startsWith(`nb-f${FEATURE_VERSION}-`) && existsSync(join(dir, `${version}.json`));
}

/** The pointer, or null when missing or unreadable: training is how a broken pointer gets fixed. */
function readablePointer(dir: string): CurrentPointer | null {
  try {
    return readCurrentPointer(dir);
  } catch {
    return null;
  }
}

function forgetCachedModels(dir: string): void {
  const target = resolve(dir);
  for (const key of [...cache.keys()]) if (resolve(key.slice(0, key.indexOf('\u0000'))) === target) cache.delete(key);
}

function writeAtomic(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, content);
  renameSync(temp, file);
}

export function labelIndex(label: Label): number {
  return LABELS.indexOf(label);
}
