import { PostgresStore, type PostgresOptions } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** A `postgres://` or `postgresql://` URL selects PostgreSQL; defaults to env `DATABASE_URL`. */
  databaseUrl?: string;
  /** SQLite file used when no PostgreSQL URL is given (`':memory:'` for a private in-memory store). */
  sqlitePath: string;
  /** Pool settings when PostgreSQL is used. */
  postgres?: PostgresOptions;
}

/** True when `url` names a PostgreSQL database (scheme `postgres:` or `postgresql:`, any case). */
export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(?:ql)?:\/\//i.test(url.trim());
}

/**
 * Open the configured store: PostgreSQL when `databaseUrl` (or, when that is not given, env
 * `DATABASE_URL`) is a PostgreSQL URL, else SQLite at `sqlitePath`. Migrations are applied.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
  if (isPostgresUrl(databaseUrl)) {
    return PostgresStore.open(databaseUrl.trim(), options.postgres);
  }
  return SqliteStore.open(options.sqlitePath);
}
