import { resolve } from 'node:path';
import { isEngineName } from './dom/engine.js';
import type { EngineName } from './types.js';

/**
 * Every setting once: name, environment variable, default. Read through `loadConfig()`, which
 * validates values so a typo fails at start-up with a clear message instead of mid-run.
 *
 * | setting      | env var               | default                 |
 * |--------------|-----------------------|-------------------------|
 * | engine       | WINNOW_ENGINE         | linkedom                |
 * | databasePath | WINNOW_DB             | ./winnow.db             |
 * | modelDir     | WINNOW_MODEL_DIR      | <package>/models        |
 * | fixturesDir  | WINNOW_FIXTURES_DIR   | <package>/fixtures/pages|
 */
export interface WinnowConfig {
  /** DOM engine for parsing pages. */
  engine: EngineName;
  /** SQLite file results are stored in (embedded default storage). */
  databasePath: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): WinnowConfig {
  const engine = env.WINNOW_ENGINE ?? 'linkedom';
  if (!isEngineName(engine)) throw new Error(`WINNOW_ENGINE must be "jsdom" or "linkedom", not "${engine}"`);
  return {
    engine,
    databasePath: resolve(env.WINNOW_DB ?? 'winnow.db'),
  };
}
