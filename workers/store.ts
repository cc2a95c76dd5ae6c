import type { WinnowConfig } from '../src/config.js';
import { openStore } from '../src/storage/open-store.js';
import type { Store } from '../src/storage/store.js';

/**
 * The store a worker process (or sandboxed child) writes to: PostgreSQL when `databaseUrl`
 * (default: env DATABASE_URL) is a postgres:// URL, else the SQLite file `databasePath`.
 */
export async function openStageStore(config: Pick<WinnowConfig, 'databasePath'> & { databaseUrl?: string }): Promise<Store> {
  return openStore({ databaseUrl: config.databaseUrl, sqlitePath: config.databasePath });
}
