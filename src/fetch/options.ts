import { lookup as dnsLookup } from 'node:dns/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AllowList } from './ssrf.js';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  address: string;
  /** 4 or 6. */
  family: number;
}

/** Resolves a host name to all its addresses (like `dns.lookup(host, { all: true })`). */
export type LookupFunction = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** Decides whether robots.txt lets `userAgent` fetch `url` (RobotsCache implements it). */
export interface RobotsPolicy {
  isAllowed(url: string, userAgent: string): Promise<boolean>;
}

/** A request fetchPage is about to send. */
export interface NextHop {
  url: string;
  /** URLs that answered with a redirect before this hop, in order (empty for the first URL). */
  redirects: readonly string[];
  /** Aborts when the fetch's deadline passes or its caller gives up. */
  signal: AbortSignal;
}

/**
 * Called before each request of a fetch (the first URL and every redirect target), after the
 * SSRF and robots.txt checks. A rejection ends the fetch with that very error: the per-host
 * politeness of the fetch stage takes each hop's host here, and throws a `HopDeferredError`
 * when the host is busy.
 */
export type BeforeHop = (hop: NextHop) => Promise<void>;

/** How fetchPage fetches. Every field is optional. */
export interface FetchOptions {
  /**
   * Time to resolve the host and open the connection (TLS included), per hop.
   * @defaultValue 10000
   */
  connectTimeoutMs?: number;
  /**
   * Time for the whole fetch: every redirect hop, the headers and the full body.
   * @defaultValue 30000
   */
  totalTimeoutMs?: number;
  /**
   * Most body bytes accepted, counted after decompression (and on the wire). Over it the
   * fetch is aborted with `too_large`; the body is never truncated.
   * @defaultValue 10485760 (10 MiB)
   */
  maxBytes?: number;
  /**
   * Most redirects followed; one more fails with `too_many_redirects`.
   * @defaultValue 5
   */
  maxRedirects?: number;
  /**
   * User-Agent header, also the token robots.txt groups are matched against.
   * @defaultValue `winnow/<package version> (+https://github.com/winnow; content moderation)`
   */
  userAgent?: string;
  /**
   * Host names, IP addresses and CIDR ranges allowed despite the SSRF guard (and on any port).
   * @defaultValue the comma-separated list in the environment variable `WINNOW_ALLOW_PRIVATE`, else none
   */
  allowPrivate?: readonly string[];
  /** Aborts the fetch; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Resolves host names. Every address it returns is checked, and the connection goes to a
   * checked one: it is never resolved a second time.
   * @defaultValue `dns.lookup(hostname, { all: true })`
   */
  lookup?: LookupFunction;
  /**
   * robots.txt policy checked before every hop (a RobotsCache); a refusal fails with `robots_disallowed`.
   * @defaultValue none: robots.txt is not consulted
   */
  robots?: RobotsPolicy;
  /**
   * Runs before every hop's request (see {@link BeforeHop}).
   * @defaultValue none
   */
  beforeHop?: BeforeHop;
  /**
   * Redirects already followed to reach the URL (a fetch resumed at a redirect target); they
   * count against `maxRedirects`.
   * @defaultValue 0
   */
  redirectsFollowed?: number;
}

/** FetchOptions with every default applied. */
export interface ResolvedFetchOptions {
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  userAgent: string;
  allow: AllowList;
  signal: AbortSignal | undefined;
  lookup: LookupFunction;
  robots: RobotsPolicy | undefined;
  beforeHop: BeforeHop | undefined;
  redirectsFollowed: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 5;

/** Environment variable holding the default `allowPrivate` list. */
export const ALLOW_PRIVATE_ENV = 'WINNOW_ALLOW_PRIVATE';

/** Applies defaults; throws on a malformed allow-list entry or a non-positive limit. */
export function resolveFetchOptions(options: FetchOptions = {}): ResolvedFetchOptions {
  return {
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS),
    totalTimeoutMs: positive('totalTimeoutMs', options.totalTimeoutMs, DEFAULT_TOTAL_TIMEOUT_MS),
    maxBytes: positive('maxBytes', options.maxBytes, DEFAULT_MAX_BYTES),
    maxRedirects: count('maxRedirects', options.maxRedirects, DEFAULT_MAX_REDIRECTS),
    userAgent: options.userAgent ?? defaultUserAgent(),
    allow: AllowList.from(options.allowPrivate ?? allowListFromEnv()),
    signal: options.signal,
    lookup: options.lookup ?? systemLookup,
    robots: options.robots,
    beforeHop: options.beforeHop,
    redirectsFollowed: count('redirectsFollowed', options.redirectsFollowed, 0),
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

function count(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number >= 0, got ${value}`);
  return value;
}

function allowListFromEnv(): string[] {
  const raw = process.env[ALLOW_PRIVATE_ENV] ?? '';
  return raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
}

const systemLookup: LookupFunction = (hostname) => dnsLookup(hostname, { all: true });

let userAgent: string | undefined;

/** `winnow/<version> (+https://github.com/winnow; content moderation)`, the version read once from package.json. */
export function defaultUserAgent(): string {
  userAgent ??= `winnow/${packageVersion()} (+https://github.com/winnow; content moderation)`;
  return userAgent;
}

/** Walks up from this file (src/fetch or dist/src/fetch) to the package's own package.json. */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'winnow' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}
