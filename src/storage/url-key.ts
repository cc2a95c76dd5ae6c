import { WinnowError } from '../errors.js';

/** Query parameters whose name starts with this (any case) only track campaigns; they never change the page. */
const TRACKING_PREFIX = 'utm_';

/**
 * Normalise an absolute URL into a key under which the same page is recognised again.
 *
 * Lowercases scheme and host, drops the default port, the fragment and every `utm_*` query
 * parameter, and sorts the remaining parameters by name (stable, so repeated names keep their
 * order). Path and parameter encoding are kept as written. Idempotent.
 *
 * @throws WinnowError `bad_input` when `url` is not an absolute URL.
 */
export function normalizeUrl(url: string): string {
  const parsed = parseAbsoluteUrl(url);
  // WHATWG parsing lowercases special schemes' hosts and drops their default port; opaque hosts keep their case.
  parsed.hostname = parsed.hostname.toLowerCase();
  parsed.hash = '';
  parsed.search = normalizeQuery(parsed.search);
  return parsed.href;
}

/** Like {@link normalizeUrl}, but null for a missing or unparseable URL. */
export function tryNormalizeUrl(url: string | null | undefined): string | null {
  if (url === null || url === undefined || !URL.canParse(url)) {
    return null;
  }
  return normalizeUrl(url);
}

function parseAbsoluteUrl(url: string): URL {
  try {
    return new URL(url);
  } catch (error) {
    throw new WinnowError('bad_input', `not an absolute URL: ${url.slice(0, 200)}`, { cause: error });
  }
}

/** `?b=2&utm_source=x&a=1` -> `a=1&b=2`; raw pairs are kept so encoding is not rewritten. */
function normalizeQuery(search: string): string {
  const pairs = search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '' && !isTrackingParam(pair));
  return pairs
    .map((pair, position) => ({ pair, key: rawKey(pair), position }))
    .sort((a, b) => compareStrings(a.key, b.key) || a.position - b.position)
    .map((entry) => entry.pair)
    .join('&');
}

function rawKey(pair: string): string {
  const equals = pair.indexOf('=');
  return equals === -1 ? pair : pair.slice(0, equals);
}

function isTrackingParam(pair: string): boolean {
  return decodeQueryComponent(rawKey(pair)).toLowerCase().startsWith(TRACKING_PREFIX);
}

function decodeQueryComponent(component: string): string {
  try {
    return decodeURIComponent(component.replace(/\+/g, ' '));
  } catch {
    return component;
  }
}

function compareStrings(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  return a < b ? -1 : 1;
}
