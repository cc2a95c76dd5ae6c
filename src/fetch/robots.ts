import { createRequire } from 'node:module';
import { PAGE_TYPES } from './content-type.js';
import { BadUrlError, FetchError, HttpStatusError } from './errors.js';
import { fetchResource, type ResourcePolicy } from './fetch-page.js';
import { defaultUserAgent, type FetchOptions, type RobotsPolicy } from './options.js';

/** RFC 9309 asks crawlers to parse at least 500 KiB; anything after that is ignored. */
export const ROBOTS_MAX_BYTES = 500 * 1024;
/** Crawl-delay above this is treated as this (Nutch's `fetcher.max.crawl.delay`). */
export const MAX_CRAWL_DELAY_MS = 30_000;

/** How RobotsCache fetches and keeps robots.txt. Every field is optional. */
export interface RobotsCacheOptions {
  /**
   * How long a fetched robots.txt (or a 4xx "unavailable") is trusted. RFC 9309 says at most 24 h.
   * @defaultValue 86400000 (24 h)
   */
  ttlMs?: number;
  /**
   * How long a "disallow all" caused by a 5xx or network error is kept before robots.txt is tried again.
   * @defaultValue 600000 (10 min)
   */
  errorTtlMs?: number;
  /**
   * Most origins kept; the least recently used is dropped first.
   * @defaultValue 1000
   */
  maxEntries?: number;
  /**
   * How robots.txt is fetched (allowPrivate, lookup, timeouts, userAgent, signal). Its own
   * `robots` and `maxBytes` are ignored.
   * @defaultValue fetchPage's defaults
   */
  fetch?: FetchOptions;
  /**
   * Clock, in ms since the epoch.
   * @defaultValue Date.now
   */
  now?: () => number;
}

/** The parts of a robots-parser result used here. */
interface Robot {
  isAllowed(url: string, userAgent?: string): boolean | undefined;
  getCrawlDelay(userAgent?: string): number | undefined;
}

// CommonJS package whose bundled types declare a default export it does not have under NodeNext.
const robotsParser = createRequire(import.meta.url)('robots-parser') as (url: string, contents: string) => Robot;

/** What one origin's robots.txt amounts to. */
type Rules = { kind: 'allow-all' } | { kind: 'disallow-all' } | { kind: 'parsed'; robot: Robot };

interface Entry {
  rules: Promise<Rules>;
  expiresAt: number;
}

const ROBOTS_POLICY: ResourcePolicy = {
  accept: 'text/plain,*/*;q=0.1',
  types: ['text/plain', ...PAGE_TYPES],
  untyped: 'accept',
  overflow: 'truncate',
};

/**
 * robots.txt per origin, fetched through the same SSRF-safe client as pages and kept in memory.
 * RFC 9309: a 4xx means no rules (all allowed); a 5xx, 408, 429 or network error means all
 * disallowed. Pass it as `robots` in FetchOptions to have fetchPage obey it.
 */
export class RobotsCache implements RobotsPolicy {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly errorTtlMs: number;
  private readonly maxEntries: number;
  private readonly fetchOptions: FetchOptions;
  private readonly now: () => number;

  constructor(options: RobotsCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
    this.errorTtlMs = options.errorTtlMs ?? 10 * 60 * 1000;
    this.maxEntries = options.maxEntries ?? 1000;
    this.fetchOptions = { ...options.fetch, robots: undefined, maxBytes: ROBOTS_MAX_BYTES };
    this.now = options.now ?? Date.now;
  }

  /** True when the origin's robots.txt lets `userAgent` (matched by its product token, e.g. `winnow`) fetch `url`. */
  async isAllowed(url: string, userAgent: string = this.userAgent()): Promise<boolean> {
    const rules = await this.rulesFor(url);
    if (rules.kind !== 'parsed') return rules.kind === 'allow-all';
    return rules.robot.isAllowed(url, userAgent) ?? true;
  }

  /** Crawl-delay for `userAgent` on the URL's origin in ms, capped at MAX_CRAWL_DELAY_MS; undefined when none is set. */
  async crawlDelayMs(url: string, userAgent: string = this.userAgent()): Promise<number | undefined> {
    const rules = await this.rulesFor(url);
    if (rules.kind !== 'parsed') return undefined;
    const seconds = rules.robot.getCrawlDelay(userAgent);
    if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return undefined;
    return Math.min(seconds * 1000, MAX_CRAWL_DELAY_MS);
  }

  /** Number of origins held. */
  get size(): number {
    return this.entries.size;
  }

  private userAgent(): string {
    return this.fetchOptions.userAgent ?? defaultUserAgent();
  }

  private rulesFor(url: string): Promise<Rules> {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      return Promise.reject(new BadUrlError(`not an absolute URL: ${url.slice(0, 200)}`));
    }
    const now = this.now();
    const cached = this.entries.get(origin);
    this.entries.delete(origin);
    if (cached && cached.expiresAt > now) {
      this.entries.set(origin, cached);
      return cached.rules;
    }
    // Until it settles the entry never expires, so concurrent callers share one fetch.
    const entry: Entry = { rules: this.load(origin), expiresAt: Number.POSITIVE_INFINITY };
    entry.rules.then((rules) => {
      entry.expiresAt = this.now() + (rules.kind === 'disallow-all' ? this.errorTtlMs : this.ttlMs);
    });
    this.entries.set(origin, entry);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return entry.rules;
  }

  private async load(origin: string): Promise<Rules> {
    const robotsUrl = `${origin}/robots.txt`;
    try {
      const page = await fetchResource(robotsUrl, this.fetchOptions, ROBOTS_POLICY);
      return { kind: 'parsed', robot: robotsParser(robotsUrl, new TextDecoder('utf-8').decode(page.body)) };
    } catch (error) {
      return { kind: unavailable(error) ? 'allow-all' : 'disallow-all' };
    }
  }
}

/**
 * RFC 9309 "unavailable" (crawl as if there were no robots.txt): a non-retryable 4xx, an empty
 * or non-text file, too many redirects, or a redirect the SSRF guard refused. Server and network
 * failures make it "unreachable" instead (crawl nothing).
 */
function unavailable(error: unknown): boolean {
  if (error instanceof HttpStatusError) return !error.retryable;
  if (!(error instanceof FetchError)) return false;
  return ['empty', 'unsupported_type', 'too_many_redirects', 'blocked_address', 'bad_url'].includes(error.code);
}
