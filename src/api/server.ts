import type { FastifyInstance } from 'fastify';
import type { WinnowConfig } from '../config.js';
import { openStore } from '../storage/open-store.js';
import type { Store } from '../storage/store.js';
import { createProducerConnection, createQueues, createReprocessQueue, waitForReady } from '../../workers/queues.js';
import { buildApp } from './app.js';
import { checkToken } from './auth.js';

export interface ServeOptions {
  config: Pick<WinnowConfig, 'redisUrl' | 'queuePrefix' | 'databasePath' | 'apiPort' | 'apiHost' | 'apiToken' | 'shutdownTimeoutMs'>;
  /** Serve without authentication (local use only); otherwise a token of at least 32 characters is required. */
  insecureNoToken?: boolean;
  /** PostgreSQL URL; otherwise the SQLite file `config.databasePath`. @defaultValue env DATABASE_URL */
  databaseUrl?: string;
  /** Labeled fixture pages review exports go to and training reads. @defaultValue defaultFixtureDir() */
  fixturesDir?: string;
  /** Model registry folder (training saves candidates there; promotion moves current.json). @defaultValue defaultModelDir() */
  modelDir?: string;
}

export interface RunningServer {
  app: FastifyInstance;
  /** `http://host:port` the server listens on. */
  address: string;
  /** Stop accepting, finish in-flight requests (bounded by `shutdownTimeoutMs`), close queues, Redis and the store. Idempotent. */
  close(): Promise<void>;
}

/**
 * Open the store and a producer Redis connection, build the app and listen. Refuses to start
 * without a token of at least 32 characters unless `insecureNoToken`, and when Redis is not
 * reachable within 5 s (a supervisor restarts it; once up, a Redis outage only makes
 * submissions answer 503).
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const { config } = options;
  const token = options.insecureNoToken && !config.apiToken ? null : (config.apiToken ?? '');
  if (token !== null) {
    try {
      checkToken(token);
    } catch (error) {
      throw new Error(`${(error as Error).message}; or pass --insecure-no-token for local use`);
    }
  }

  const connection = createProducerConnection(config.redisUrl);
  // Without a listener ioredis prints every failed reconnect; health and 503s report the state.
  connection.on('error', () => undefined);
  let store: Store | undefined;
  try {
    await waitForReady(connection);
    store = await openStore({ sqlitePath: config.databasePath, databaseUrl: options.databaseUrl });
  } catch (error) {
    connection.disconnect();
    await store?.close();
    throw error;
  }
  const queues = createQueues(connection, { prefix: config.queuePrefix });
  const reprocessQueue = createReprocessQueue(connection, { prefix: config.queuePrefix });
  const app = await buildApp({
    store,
    queues,
    reprocessQueue,
    fixturesDir: options.fixturesDir,
    modelDir: options.modelDir,
    token,
    logger: { level: 'info', redact: ['req.headers.authorization', 'req.headers.cookie'] },
  });
  let closing: Promise<void> | undefined;
  // Log the transitions once each, not every failed reconnect (the queues re-emit connection errors).
  for (const queue of [queues.fetch, queues.moderate, reprocessQueue]) queue.on('error', () => undefined);
  let redisUp = true;
  connection.on('close', () => {
    if (!redisUp || closing) return;
    redisUp = false;
    app.log.warn('Redis connection lost: submissions answer 503 until it is back');
  });
  connection.on('ready', () => {
    if (redisUp) return;
    redisUp = true;
    app.log.info('Redis connection back');
  });
  if (token === null) app.log.warn('authentication is OFF (--insecure-no-token): serve on localhost only');

  const openedStore = store;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const timer = setTimeout(() => {
        app.log.error(`shutdown took over ${config.shutdownTimeoutMs} ms; exiting`);
        process.exit(1);
      }, config.shutdownTimeoutMs);
      timer.unref();
      try {
        await app.close();
        await queues.fetch.close();
        await queues.moderate.close();
        await reprocessQueue.close();
        await connection.quit().catch(() => connection.disconnect());
        await openedStore.close();
      } finally {
        clearTimeout(timer);
      }
    })();
    return closing;
  };

  try {
    const address = await app.listen({ port: config.apiPort, host: config.apiHost });
    return { app, address, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** `winnow serve`: listen until SIGTERM/SIGINT, then close gracefully. */
export async function serveUntilSignal(options: ServeOptions): Promise<void> {
  const server = await startServer(options);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      server.app.log.info(`${signal}: closing`);
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      server.close().then(resolve, (error: unknown) => {
        server.app.log.error({ err: error }, 'close failed');
        process.exitCode = 1;
        resolve();
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
