import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp, type ApiQueues } from '../../src/api/app.js';
import { openStore } from '../../src/storage/open-store.js';
import type { Store } from '../../src/storage/store.js';
import { createProducerConnection, createQueues, waitForReady } from '../../workers/queues.js';

/** A 64-character random token, as an operator would make one. */
export const TOKEN = randomBytes(32).toString('hex');
export const AUTH = { authorization: `Bearer ${TOKEN}` };

/** An app on a real SQLite file in a temp dir and real queues on their own prefix. */
export interface ApiFixture {
  app: FastifyInstance;
  store: Store;
  queues: ApiQueues;
  connection: Redis;
  prefix: string;
  close(): Promise<void>;
}

export async function openApi(redisUrl: string, options: { token?: string | null } = {}): Promise<ApiFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-api-'));
  const store = await openStore({ sqlitePath: join(dir, 'winnow.db'), databaseUrl: '' });
  const connection = createProducerConnection(redisUrl);
  connection.on('error', () => undefined);
  await waitForReady(connection);
  const prefix = `{t-${randomUUID().slice(0, 8)}}`;
  const queues = createQueues(connection, { prefix });
  const app = await buildApp({ store, queues, token: options.token === undefined ? TOKEN : options.token });
  await app.ready();
  return {
    app,
    store,
    queues,
    connection,
    prefix,
    async close() {
      await app.close();
      await queues.fetch.close().catch(() => undefined);
      await queues.moderate.close().catch(() => undefined);
      await connection.quit().catch(() => connection.disconnect());
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
