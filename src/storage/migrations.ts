/**
 * Schema of every store backend, as an ordered list of migrations. Each migration carries the
 * same change for SQLite and for PostgreSQL; a backend applies the ones missing from its
 * `schema_migrations` table, in order, inside one transaction, and records each one there.
 *
 * Never edit a released migration: append a new one.
 */
export interface Migration {
  /** Strictly increasing, from 1. */
  version: number;
  /** Short snake_case description, recorded with the version. */
  name: string;
  /** Statements for SQLite (run with `exec`, several statements allowed). */
  sqlite: string;
  /** The same change for PostgreSQL. */
  postgres: string;
}

/** The bookkeeping table itself, created before any migration runs. */
export const MIGRATIONS_TABLE = {
  sqlite: `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
);`,
  postgres: `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL
);`,
} as const;

const INITIAL_SQLITE = `
CREATE TABLE pages (
  id TEXT PRIMARY KEY,
  url TEXT,
  url_key TEXT NOT NULL,
  name TEXT,
  source TEXT NOT NULL CHECK (source IN ('file', 'url', 'api', 'warc')),
  status TEXT NOT NULL CHECK (status IN ('pending', 'fetched', 'done', 'failed')),
  error_code TEXT,
  error_message TEXT,
  content_sha256 TEXT NOT NULL,
  content_type TEXT,
  raw BLOB NOT NULL,
  article_id TEXT REFERENCES articles (id) ON DELETE SET NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (url_key, content_sha256)
);
CREATE INDEX pages_status_updated ON pages (status, updated_at);

CREATE TABLE articles (
  id TEXT PRIMARY KEY,
  page_id TEXT NOT NULL UNIQUE REFERENCES pages (id) ON DELETE CASCADE,
  url TEXT,
  url_key TEXT,
  site TEXT,
  title TEXT,
  byline TEXT,
  published_time TEXT,
  site_name TEXT,
  lang TEXT,
  excerpt TEXT,
  text TEXT NOT NULL,
  html TEXT NOT NULL,
  markdown TEXT NOT NULL,
  model TEXT NOT NULL,
  engine TEXT NOT NULL CHECK (engine IN ('jsdom', 'linkedom')),
  counts TEXT NOT NULL CHECK (json_valid(counts)),
  block_count INTEGER NOT NULL,
  min_confidence REAL NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX articles_created ON articles (created_at);
CREATE INDEX articles_url_key ON articles (url_key);
CREATE INDEX articles_site_created ON articles (site, created_at);
CREATE INDEX articles_model_created ON articles (model, created_at);

CREATE TABLE blocks (
  article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  path TEXT NOT NULL,
  tag TEXT NOT NULL,
  text TEXT NOT NULL,
  html TEXT NOT NULL,
  label TEXT NOT NULL CHECK (label IN ('editorial', 'promo', 'boilerplate')),
  confidence REAL NOT NULL,
  scores TEXT NOT NULL CHECK (json_valid(scores)),
  raw_label TEXT CHECK (raw_label IN ('editorial', 'promo', 'boilerplate')),
  smoothed_by TEXT CHECK (smoothed_by IN ('listing', 'context', 'readability')),
  readability REAL NOT NULL,
  listing_size INTEGER NOT NULL,
  listing_key TEXT,
  top_features TEXT NOT NULL CHECK (json_valid(top_features)),
  PRIMARY KEY (article_id, idx)
);
CREATE INDEX blocks_label_article ON blocks (label, article_id);
`;

// PostgreSQL caps a btree entry at about 2.7 kB and URLs can be longer, so URL keys are indexed by
// hash: ON CONFLICT targets (md5(url_key), content_sha256), and lookups use a hash index.
// JSON columns are `json`, not `jsonb`: json keeps the text as written (like SQLite's TEXT), so
// objects such as counts and scores read back with their keys in the stored order; nothing queries
// inside them.
const INITIAL_POSTGRES = `
CREATE TABLE pages (
  id TEXT PRIMARY KEY,
  url TEXT,
  url_key TEXT NOT NULL,
  name TEXT,
  source TEXT NOT NULL CHECK (source IN ('file', 'url', 'api', 'warc')),
  status TEXT NOT NULL CHECK (status IN ('pending', 'fetched', 'done', 'failed')),
  error_code TEXT,
  error_message TEXT,
  content_sha256 TEXT NOT NULL,
  content_type TEXT,
  raw BYTEA NOT NULL,
  article_id TEXT,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX pages_url_key_content ON pages (md5(url_key), content_sha256);
CREATE INDEX pages_url_key ON pages USING hash (url_key);
CREATE INDEX pages_status_updated ON pages (status, updated_at);

CREATE TABLE articles (
  id TEXT PRIMARY KEY,
  page_id TEXT NOT NULL UNIQUE REFERENCES pages (id) ON DELETE CASCADE,
  url TEXT,
  url_key TEXT,
  site TEXT,
  title TEXT,
  byline TEXT,
  published_time TEXT,
  site_name TEXT,
  lang TEXT,
  excerpt TEXT,
  text TEXT NOT NULL,
  html TEXT NOT NULL,
  markdown TEXT NOT NULL,
  model TEXT NOT NULL,
  engine TEXT NOT NULL CHECK (engine IN ('jsdom', 'linkedom')),
  counts JSON NOT NULL,
  block_count INTEGER NOT NULL,
  min_confidence DOUBLE PRECISION NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX articles_created ON articles (created_at);
CREATE INDEX articles_url_key ON articles USING hash (url_key);
CREATE INDEX articles_site_created ON articles (site, created_at);
CREATE INDEX articles_model_created ON articles (model, created_at);

ALTER TABLE pages ADD CONSTRAINT pages_article_id_fkey
  FOREIGN KEY (article_id) REFERENCES articles (id) ON DELETE SET NULL;
-- Deleting an article (every re-save) looks up the pages pointing at it; without this, a full scan.
CREATE INDEX pages_article_id ON pages (article_id);

CREATE TABLE blocks (
  article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  path TEXT NOT NULL,
  tag TEXT NOT NULL,
  text TEXT NOT NULL,
  html TEXT NOT NULL,
  label TEXT NOT NULL CHECK (label IN ('editorial', 'promo', 'boilerplate')),
  confidence DOUBLE PRECISION NOT NULL,
  scores JSON NOT NULL,
  raw_label TEXT CHECK (raw_label IN ('editorial', 'promo', 'boilerplate')),
  smoothed_by TEXT CHECK (smoothed_by IN ('listing', 'context', 'readability')),
  readability DOUBLE PRECISION NOT NULL,
  listing_size INTEGER NOT NULL,
  listing_key TEXT,
  top_features JSON NOT NULL,
  PRIMARY KEY (article_id, idx)
);
CREATE INDEX blocks_label_article ON blocks (label, article_id);
`;

// Review corrections: append-only, so the table is its own audit log. Rows are keyed on the page and
// the block's DOM path, not on the article: reprocessing replaces the article (and its id) but keeps
// the paths, so corrections outlive it (article_id has no foreign key for that reason). A trigger
// refuses updates; rows only go away with their page (ON DELETE CASCADE).
// (page_id, path, id) serves "latest decision per block" and "has this block a decision".
// (status, id) serves the keyset pagination of done pages for reprocessing.
const CORRECTIONS_SQLITE = `
CREATE TABLE corrections (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  page_id TEXT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
  article_id TEXT NOT NULL,
  block_index INTEGER NOT NULL CHECK (block_index >= 0),
  path TEXT NOT NULL,
  text_hash TEXT NOT NULL,
  previous_label TEXT NOT NULL CHECK (previous_label IN ('editorial', 'promo', 'boilerplate')),
  label TEXT NOT NULL CHECK (label IN ('editorial', 'promo', 'boilerplate')),
  reviewer TEXT NOT NULL,
  created_at TEXT NOT NULL,
  model TEXT NOT NULL,
  undoes INTEGER REFERENCES corrections (id)
);
CREATE INDEX corrections_page_path ON corrections (page_id, path, id);
CREATE TRIGGER corrections_append_only BEFORE UPDATE ON corrections
BEGIN
  SELECT RAISE(ABORT, 'corrections are append-only');
END;
CREATE INDEX pages_status_id ON pages (status, id);
`;

const CORRECTIONS_POSTGRES = `
CREATE TABLE corrections (
  id BIGSERIAL PRIMARY KEY,
  page_id TEXT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
  article_id TEXT NOT NULL,
  block_index INTEGER NOT NULL CHECK (block_index >= 0),
  path TEXT NOT NULL,
  text_hash TEXT NOT NULL,
  previous_label TEXT NOT NULL CHECK (previous_label IN ('editorial', 'promo', 'boilerplate')),
  label TEXT NOT NULL CHECK (label IN ('editorial', 'promo', 'boilerplate')),
  reviewer TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  model TEXT NOT NULL,
  undoes BIGINT REFERENCES corrections (id)
);
CREATE INDEX corrections_page_path ON corrections (page_id, path, id);
CREATE FUNCTION corrections_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'corrections are append-only';
END;
$$;
CREATE TRIGGER corrections_append_only BEFORE UPDATE ON corrections
  FOR EACH ROW EXECUTE FUNCTION corrections_refuse_update();
CREATE INDEX pages_status_id ON pages (status, id);
`;

// An article answered from the page's likeliest main region because no block was labeled
// editorial (Article.fallback). 0/1 in both dialects, so one condition reads it everywhere.
const FALLBACK_FLAG = `ALTER TABLE articles ADD COLUMN fallback INTEGER NOT NULL DEFAULT 0 CHECK (fallback IN (0, 1));`;

// How many times the stage reconciler (workers/reconciler.ts) has queued a page's job again because
// Redis had no live job for it. Past a limit the page is recorded failed instead of queued forever.
// The (status, updated_at) index of migration 1 serves the reconciler's "stuck since" query.
const REQUEUE_COUNTER = `ALTER TABLE pages ADD COLUMN requeues INTEGER NOT NULL DEFAULT 0 CHECK (requeues >= 0);`;

// Undo takes a decision back (review/types.ts): finding the corrections nobody undid asks, per
// row, whether some row undoes it.
const CORRECTIONS_UNDOES_INDEX = `CREATE INDEX corrections_undoes ON corrections (undoes) WHERE undoes IS NOT NULL;`;

/** Every migration, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial_schema', sqlite: INITIAL_SQLITE, postgres: INITIAL_POSTGRES },
  { version: 2, name: 'review_corrections', sqlite: CORRECTIONS_SQLITE, postgres: CORRECTIONS_POSTGRES },
  { version: 3, name: 'article_fallback', sqlite: FALLBACK_FLAG, postgres: FALLBACK_FLAG },
  { version: 4, name: 'page_requeues', sqlite: REQUEUE_COUNTER, postgres: REQUEUE_COUNTER },
  { version: 5, name: 'corrections_undoes_index', sqlite: CORRECTIONS_UNDOES_INDEX, postgres: CORRECTIONS_UNDOES_INDEX },
];

/** Migrations not yet in `applied`, in order. */
export function pendingMigrations(applied: ReadonlySet<number>): Migration[] {
  return MIGRATIONS.filter((migration) => !applied.has(migration.version));
}

/** Highest version this code knows; a database above it was written by newer code. */
export function latestVersion(): number {
  return MIGRATIONS.reduce((max, migration) => Math.max(max, migration.version), 0);
}
