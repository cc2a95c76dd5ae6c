import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Per-host politeness shared by every worker process on one Redis: at most `concurrency` fetches
 * in flight per host, and at least `delayMs` between two fetch starts to one host (and between
 * the end of one fetch and the next start). BullMQ's open-source limiter is global per queue
 * only, so this is built here on one Lua script per step: the check and the take are atomic,
 * whatever the number of workers.
 *
 * Keys (under the queue prefix, whose braces are a Redis Cluster hash tag):
 * - `<prefix>:host:<host:port>:leases`: sorted set of lease ids scored by their expiry (Redis
 *   clock, ms). An expired lease is dropped on the next acquire, so a crashed worker blocks its
 *   host for at most `leaseMs`.
 * - `<prefix>:host:<host:port>:next`: earliest time (Redis clock, ms) the next fetch may start.
 * Both keys expire by themselves, so idle hosts leave nothing behind.
 */

/** Defaults: one fetch in flight per host, 1 s apart (README "Configuration"). */
export const DEFAULT_HOST_CONCURRENCY = 1;
export const DEFAULT_HOST_DELAY_MS = 1000;
/** A lease outlives fetchPage's 30 s total deadline; then it expires even if its worker died. */
export const DEFAULT_LEASE_MS = 35_000;
/** How soon a job that found every slot of its host taken looks again, at most. */
const BUSY_RECHECK_MS = 1000;
/** Smallest wait returned, so a busy host does not make jobs spin. */
const MIN_WAIT_MS = 25;

/**
 * KEYS[1] leases zset, KEYS[2] next-start key.
 * ARGV: concurrency, delayMs, leaseMs, leaseId, busyRecheckMs.
 * Returns {1, 0} when the lease was taken, else {0, ms to wait}.
 * The Redis clock (TIME) is used so that workers on machines with skewed clocks agree.
 */
const ACQUIRE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local concurrency = tonumber(ARGV[1])
local delay = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local nextStart = tonumber(redis.call('GET', KEYS[2]) or '0')
if nextStart > now then
  return {0, nextStart - now}
end
if redis.call('ZCARD', KEYS[1]) >= concurrency then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local untilExpiry = tonumber(first[2]) - now
  return {0, math.min(untilExpiry, math.max(delay, tonumber(ARGV[5])))}
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < lease + 1000 then redis.call('PEXPIRE', KEYS[1], lease + 1000) end
if delay > 0 then
  redis.call('SET', KEYS[2], now + delay, 'PX', delay + 1000)
end
return {1, 0}
`;

/**
 * KEYS[1] leases zset, KEYS[2] next-start key. ARGV: leaseId, delayMs.
 * Drops the lease and, when a delay applies, pushes the next start to at least now + delay
 * (Nutch's fetcher.server.delay counts from the end of the previous fetch too).
 */
const RELEASE_SCRIPT = `
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
local delay = tonumber(ARGV[2])
if removed == 1 and delay > 0 then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local nextStart = tonumber(redis.call('GET', KEYS[2]) or '0')
  if now + delay > nextStart then
    redis.call('SET', KEYS[2], now + delay, 'PX', delay + 1000)
  end
end
return removed
`;

export interface HostPolitenessOptions {
  /** Redis the queues use (a worker connection: commands wait across reconnects). */
  connection: Redis;
  /** BullMQ key prefix of the queues, e.g. `{winnow}`; the keys live under it. */
  prefix: string;
  /** Fetches in flight per host. @defaultValue 1 */
  concurrency?: number;
  /** Least ms between fetch starts to one host. @defaultValue 1000 */
  delayMs?: number;
  /** How long a lease holds when its worker never releases it. @defaultValue 35000 */
  leaseMs?: number;
}

/** The outcome of asking for a host. */
export type HostGrant =
  | {
      acquired: true;
      /**
       * Give the slot back (idempotent); starts the delay from now. `holdMs`, when longer than the
       * delay, keeps the host's next start that far off instead (a Retry-After the host sent).
       */
      release(holdMs?: number): Promise<void>;
    }
  | { acquired: false; /** Milliseconds until asking again makes sense. */ waitMs: number };

interface PolitenessCommands {
  winnowHostAcquire(leases: string, next: string, concurrency: number, delayMs: number, leaseMs: number, leaseId: string, recheckMs: number): Promise<[number, number]>;
  winnowHostRelease(leases: string, next: string, leaseId: string, delayMs: number): Promise<number>;
}

/**
 * The politeness key of a URL: lower-case host and port, the default port filled in, so
 * `http://a.example/` and `http://a.example:80/x` share one budget and 127.0.0.1:8001 and
 * 127.0.0.1:8002 are two hosts. Undefined when `url` is not an absolute http(s) URL.
 */
export function hostKey(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  return `${parsed.hostname.toLowerCase()}:${port}`;
}

/** Per-host concurrency and delay on Redis (see the module comment). */
export class HostPoliteness {
  readonly concurrency: number;
  readonly delayMs: number;
  readonly leaseMs: number;
  private readonly redis: Redis & PolitenessCommands;
  private readonly prefix: string;

  constructor(options: HostPolitenessOptions) {
    this.concurrency = options.concurrency ?? DEFAULT_HOST_CONCURRENCY;
    this.delayMs = options.delayMs ?? DEFAULT_HOST_DELAY_MS;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new RangeError(`host concurrency must be a whole number >= 1, got ${this.concurrency}`);
    if (!Number.isFinite(this.delayMs) || this.delayMs < 0) throw new RangeError(`host delay must be >= 0 ms, got ${this.delayMs}`);
    if (!(this.leaseMs > 0)) throw new RangeError(`lease must be > 0 ms, got ${this.leaseMs}`);
    this.prefix = options.prefix;
    const redis = options.connection as Redis & Partial<PolitenessCommands>;
    // defineCommand sends EVALSHA and falls back to EVAL once per connection (script cache).
    if (typeof redis.winnowHostAcquire !== 'function') redis.defineCommand('winnowHostAcquire', { numberOfKeys: 2, lua: ACQUIRE_SCRIPT });
    if (typeof redis.winnowHostRelease !== 'function') redis.defineCommand('winnowHostRelease', { numberOfKeys: 2, lua: RELEASE_SCRIPT });
    this.redis = redis as Redis & PolitenessCommands;
  }

  /**
   * Take a slot of `host` (a {@link hostKey}) if it has one free and its delay has passed.
   * `delayMs` overrides the default delay for this host (e.g. a larger robots.txt Crawl-delay).
   */
  async acquire(host: string, delayMs: number = this.delayMs): Promise<HostGrant> {
    const delay = Math.max(0, Math.round(delayMs));
    const [leases, next] = this.keys(host);
    const leaseId = randomUUID();
    const [ok, wait] = await this.redis.winnowHostAcquire(leases, next, this.concurrency, delay, this.leaseMs, leaseId, BUSY_RECHECK_MS);
    if (Number(ok) !== 1) return { acquired: false, waitMs: Math.max(MIN_WAIT_MS, Number(wait)) };
    let released: Promise<void> | undefined;
    return {
      acquired: true,
      release: (holdMs = 0) =>
        (released ??= this.redis.winnowHostRelease(leases, next, leaseId, Math.max(delay, Math.round(holdMs))).then(() => undefined)),
    };
  }

  private keys(host: string): [string, string] {
    const base = `${this.prefix}:host:${host}`;
    return [`${base}:leases`, `${base}:next`];
  }
}
