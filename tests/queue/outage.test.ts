import Database from 'better-sqlite3';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WinnowError } from '../../src/errors.js';
import { isStoreUnavailable, isStoreUnavailableMessage, storeUnavailable } from '../../src/storage/unavailable.js';
import { StoreOutageGate } from '../../workers/outage.js';
import { createWorkerConnection, MODERATE_QUEUE } from '../../workers/queues.js';
import { failureOfReason } from '../../workers/reconciler.js';
import { startQueueEnv, testPrefix, until, type QueueEnv } from './harness.js';

let env: QueueEnv;

beforeAll(async () => {
  env = await startQueueEnv('winnow-outage-');
}, 60_000);

afterAll(() => env?.close());

describe('store outages: told apart from the page’s own faults', () => {
  it('counts an unreachable PostgreSQL and a busy, full or unwritable SQLite file as an outage, and nothing about the page', () => {
    expect(isStoreUnavailable(storeUnavailable('network', 'connect ECONNREFUSED 127.0.0.1:5432', null))).toBe(true);
    expect(isStoreUnavailable(storeUnavailable('timeout', 'canceling statement due to statement timeout', null))).toBe(true);
    expect(isStoreUnavailable(new Database.SqliteError('database is locked', 'SQLITE_BUSY'))).toBe(true);
    expect(isStoreUnavailable(new Database.SqliteError('disk I/O error', 'SQLITE_IOERR_WRITE'))).toBe(true);
    expect(isStoreUnavailable(new Database.SqliteError('UNIQUE constraint failed: pages.id', 'SQLITE_CONSTRAINT_PRIMARYKEY'))).toBe(false);
    // A page that cannot be fetched is the page's fault, even when the network is to blame.
    expect(isStoreUnavailable(new WinnowError('network', 'fetch failed: ECONNREFUSED', { retryable: true }))).toBe(false);
    expect(isStoreUnavailable(new WinnowError('too_large', 'page is over 10 MiB'))).toBe(false);
    // As a failed job's reason, where only the message is left.
    expect(isStoreUnavailableMessage('database unavailable: Connection terminated unexpectedly')).toBe(true);
    expect(isStoreUnavailableMessage('database is locked')).toBe(true);
    expect(isStoreUnavailableMessage('not_text: page is binary')).toBe(false);
  });

  it('names the failure of a job Redis kept as failed', () => {
    expect(failureOfReason('job stalled more than allowable limit')).toEqual({ code: 'stalled', message: 'job stalled more than allowable limit' });
    expect(failureOfReason('Unexpected exit code: null signal: SIGALRM').code).toBe('timeout');
    expect(failureOfReason('Unexpected exit code: 1 signal: null').code).toBe('crashed');
    expect(failureOfReason('parse_failed: no body')).toEqual({ code: 'parse_failed', message: 'parse_failed: no body' });
    expect(failureOfReason('something broke')).toEqual({ code: 'error', message: 'something broke' });
    expect(failureOfReason('')).toEqual({ code: 'error', message: 'job failed without a reason' });
  });

  it('pauses the workers on a report, probes until the store answers, then resumes them', async () => {
    const connection = createWorkerConnection(env.redis.url);
    const worker = new Worker(MODERATE_QUEUE, async () => undefined, { connection, prefix: testPrefix() });
    let probes = 0;
    const lines: string[] = [];
    const gate = new StoreOutageGate({
      workers: () => [worker],
      probe: async () => {
        probes++;
        if (probes < 3) throw new Error('still down');
      },
      probeMs: 50,
      log: (line) => lines.push(line),
    });
    try {
      gate.report('database unavailable: connect ECONNREFUSED');
      gate.report('database unavailable: again');
      expect(gate.holding).toBe(true);
      expect(worker.isPaused()).toBe(true);
      await until('the workers resumed', () => !gate.holding && !worker.isPaused(), 5000);
      expect(probes).toBe(3);
      expect(gate.outages).toBe(1);
      expect(lines).toEqual([
        'store unavailable (database unavailable: connect ECONNREFUSED); pausing 1 worker(s) until it answers',
        'store answers again; resuming 1 worker(s)',
      ]);
    } finally {
      gate.close();
      await worker.close();
      connection.disconnect();
    }
  });
});
