/**
 * Access to the shared evaluation corpus (`../shared/corpus/` beside the repository).
 *
 * The corpus is read-only and for measuring only: it is read in place, never copied into the
 * project, never trained on. Callers must skip cleanly when {@link corpusDir} returns null.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** Environment variable that overrides where the corpus is. */
export const CORPUS_ENV = 'WINNOW_CORPUS_DIR';

/** The corpus set the quality benchmark uses. */
export const CORPUS_SET = 'scrapinghub-dev';

/** One corpus page with its ground truth. */
export interface CorpusPage {
  /** Page id (the file name without `.html.gz`). */
  id: string;
  /** URL the page was fetched from. */
  url: string;
  /** The page's HTML, decoded as UTF-8. */
  html: string;
  /** Ground-truth article text (headline and body). */
  truth: string;
}

/**
 * Finds the repository root: the nearest ancestor of `from` holding a package.json named
 * "winnow", else the nearest holding any package.json. Works from `src/eval/` (vitest, tsx) and
 * from `dist/src/eval/` (compiled).
 *
 * @param from - Folder to start from (default: this module's folder).
 * @returns Absolute path of the root, or null when no package.json is found up to the filesystem root.
 */
export function repoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string | null {
  let nearest: string | null = null;
  let dir = resolve(from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      nearest ??= dir;
      try {
        const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name;
        if (name === 'winnow') return dir;
      } catch {
        // unreadable package.json: keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return nearest;
    dir = parent;
  }
}

function isCorpusSet(dir: string): boolean {
  return existsSync(join(dir, 'ground-truth.json')) && isDir(join(dir, 'html'));
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Where the benchmark corpus is, if present.
 *
 * `WINNOW_CORPUS_DIR` overrides the default; it may name the set folder itself (holding
 * `ground-truth.json` and `html/`) or the corpus folder holding `scrapinghub-dev/`. Without it,
 * the default is `<repoRoot>/../shared/corpus/scrapinghub-dev`.
 *
 * @param env - Environment to read the override from (default `process.env`).
 * @returns Absolute path of the set folder, or null when it is missing (callers skip).
 */
export function corpusDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const override = env[CORPUS_ENV];
  if (override !== undefined && override.trim() !== '') {
    const dir = resolve(override);
    if (isCorpusSet(dir)) return dir;
    if (isCorpusSet(join(dir, CORPUS_SET))) return join(dir, CORPUS_SET);
    return null;
  }
  const root = repoRoot();
  if (root === null) return null;
  const dir = resolve(root, '..', 'shared', 'corpus', CORPUS_SET);
  return isCorpusSet(dir) ? dir : null;
}

interface GroundTruthEntry {
  url?: unknown;
  articleBody?: unknown;
}

/**
 * Reads every page of a corpus set: gunzips `html/<id>.html.gz`, decodes it as UTF-8 (a BOM is
 * dropped; invalid bytes become U+FFFD) and joins it with its `ground-truth.json` entry. Pages
 * without an html file, and html files without a ground-truth entry, are left out.
 *
 * @param dir - The set folder (as {@link corpusDir} returns).
 * @returns Pages sorted by id.
 */
export function loadCorpus(dir: string): CorpusPage[] {
  const truth = JSON.parse(readFileSync(join(dir, 'ground-truth.json'), 'utf8')) as Record<string, GroundTruthEntry>;
  const decoder = new TextDecoder('utf-8');
  const htmlDir = join(dir, 'html');
  const ids = readdirSync(htmlDir)
    .filter((name) => name.endsWith('.html.gz'))
    .map((name) => name.slice(0, -'.html.gz'.length))
    .filter((id) => Object.hasOwn(truth, id))
    .sort();
  return ids.map((id) => {
    const entry = truth[id];
    const html = decoder.decode(gunzipSync(readFileSync(join(htmlDir, `${id}.html.gz`))));
    return {
      id,
      url: typeof entry.url === 'string' ? entry.url : '',
      html,
      truth: typeof entry.articleBody === 'string' ? entry.articleBody : '',
    };
  });
}
