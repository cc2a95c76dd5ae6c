import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { FetchJobData, FetchJobResult, ModerateJobData, ModerateJobResult } from '../../workers/queues.js';
import { ApiError } from './errors.js';

/** The two queues the API adds to and reads job states from (built on a producer connection). */
export interface ApiQueues {
  fetch: Queue<FetchJobData, FetchJobResult>;
  moderate: Queue<ModerateJobData, ModerateJobResult>;
}

/**
 * Longest a queue call may take before the request is answered 503. A producer connection fails
 * at once while Redis is down; this bounds the rarer case of a peer that stops answering.
 */
export const DEFAULT_QUEUE_TIMEOUT_MS = 1500;

/**
 * Runs queue calls so that an unreachable Redis gives a prompt `WINNOW_ERR_QUEUE_UNAVAILABLE`
 * (503) instead of a hang or a 500.
 */
export class QueueAccess {
  constructor(
    readonly queues: ApiQueues,
    private readonly timeoutMs: number = DEFAULT_QUEUE_TIMEOUT_MS,
  ) {}

  /** The connection the queues were built on (an ioredis instance, as `createQueues` passes), or undefined. */
  async connection(): Promise<Redis | undefined> {
    const connection: unknown = this.queues.fetch.opts.connection;
    if (connection instanceof Redis) return connection;
    try {
      return (await withTimeout(this.queues.fetch.getBackend().connection.client, this.timeoutMs)) as unknown as Redis;
    } catch {
      return undefined;
    }
  }

  /** True when the connection is up (a PING answered in time). */
  async isUp(): Promise<boolean> {
    const client = await this.connection();
    if (!client || client.status !== 'ready') return false;
    try {
      return (await withTimeout(client.ping(), this.timeoutMs)) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Throws 503 at once unless the connection is ready, so nothing is stored for a submission that cannot be queued. */
  async ensureUp(): Promise<void> {
    const client = await this.connection();
    if (!client || client.status !== 'ready') throw new ApiError('WINNOW_ERR_QUEUE_UNAVAILABLE');
  }

  /** `call()` with every failure (and a timeout) turned into 503. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(call(), this.timeoutMs);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new ApiError('WINNOW_ERR_QUEUE_UNAVAILABLE', undefined, { cause: error });
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
