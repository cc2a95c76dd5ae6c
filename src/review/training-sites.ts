import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** How long the sites of a fixtures folder are kept before the folder is read again. */
const CACHE_MS = 60_000;

const cache = new Map<string, { at: number; mtimeMs: number; sites: Set<string> }>();

/**
 * Hosts of the fixture pages' URLs (`meta.json` `url`) in `fixturesDir`: the sites a model
 * trained from that folder has seen. Lower-case, as stored articles' `site`. Read at most once
 * a minute per folder, and again when the folder changes (a page added or removed).
 */
export function trainingSites(fixturesDir: string): Set<string> {
  if (!existsSync(fixturesDir)) return new Set();
  const mtimeMs = statSync(fixturesDir).mtimeMs;
  const cached = cache.get(fixturesDir);
  if (cached && cached.mtimeMs === mtimeMs && Date.now() - cached.at < CACHE_MS) return cached.sites;
  const sites = new Set<string>();
  for (const entry of readdirSync(fixturesDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const site = siteOf(join(fixturesDir, entry.name, 'meta.json'));
    if (site) sites.add(site);
  }
  cache.set(fixturesDir, { at: Date.now(), mtimeMs, sites });
  return sites;
}

function siteOf(metaFile: string): string | null {
  try {
    const { url } = JSON.parse(readFileSync(metaFile, 'utf8')) as { url?: unknown };
    return typeof url === 'string' ? new URL(url).hostname.toLowerCase() : null;
  } catch {
    return null;
  }
}
