import { HopDeferredError } from '../src/fetch/errors.js';
import type { BeforeHop } from '../src/fetch/options.js';
import type { RobotsCache } from '../src/fetch/robots.js';
import { hostKey, type HostPoliteness } from './politeness.js';

/** A host to keep quiet for longer than its delay when the leases go back (a Retry-After it sent). */
export interface HostHold {
  /** Any URL of the host. */
  url: string;
  holdMs: number;
}

/**
 * The per-host leases one fetch holds: one for every host its hops reach, the first URL's and
 * each redirect target's. Used as fetchPage's `beforeHop`:
 *
 * - a hop to a host already held goes ahead (a redirect within one site takes nothing more);
 * - a hop to a new host takes that host's lease, with its robots.txt Crawl-delay when larger;
 * - a hop to a busy host throws HopDeferredError with the wait and the redirects so far; the job
 *   is put back, to start at that hop next time.
 *
 * Nothing waits for a lease while holding another, so two fetches redirecting across each
 * other's hosts never deadlock: each gives everything back and tries again later.
 */
export class HopLeases {
  private readonly held = new Map<string, (holdMs?: number) => Promise<void>>();
  private released = false;

  constructor(
    private readonly politeness: HostPoliteness,
    private readonly robots?: RobotsCache,
  ) {}

  readonly beforeHop: BeforeHop = async ({ url, redirects }) => {
    const host = hostKey(url);
    if (host === undefined || this.held.has(host)) return;
    // robots.txt of this host was read just before (fetchPage checks it first), so this is cached.
    const crawlDelayMs = this.robots ? await this.robots.crawlDelayMs(url).catch(() => undefined) : undefined;
    const grant = await this.politeness.acquire(host, Math.max(this.politeness.delayMs, crawlDelayMs ?? 0));
    if (!grant.acquired) throw new HopDeferredError(url, grant.waitMs, redirects);
    if (this.released) {
      // The fetch gave up (its deadline passed) while this lease was being taken.
      await grant.release().catch(() => undefined);
      return;
    }
    this.held.set(host, grant.release);
  };

  /** Hosts currently held (host:port), in the order they were taken. */
  hosts(): string[] {
    return [...this.held.keys()];
  }

  /**
   * Give every lease back (idempotent). A release lost to a Redis hiccup only keeps its host
   * until the lease expires.
   */
  async releaseAll(hold?: HostHold): Promise<void> {
    this.released = true;
    const holdHost = hold ? hostKey(hold.url) : undefined;
    const releases = [...this.held.entries()];
    this.held.clear();
    await Promise.all(releases.map(([host, release]) => release(host === holdHost ? hold?.holdMs : undefined).catch(() => undefined)));
  }
}
