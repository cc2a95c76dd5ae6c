import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A throwaway redis-server owned by one test file. */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Stop the server (its data is gone: no RDB, no AOF). Idempotent. */
  stop(): Promise<void>;
  /** Stop it and start it again, empty, on the same port (a Redis crash without persistence). */
  restart(): Promise<void>;
}

/** The machine's own Redis lives here; a test server never uses it. */
const SYSTEM_REDIS_PORT = 6379;
const START_TIMEOUT_MS = 10_000;

/**
 * Start a private redis-server on a free 127.0.0.1 port with no persistence, its working
 * folder in a fresh temp dir. Installs redis-server with apt-get when it is missing and the
 * tests run as root.
 */
export async function startRedis(): Promise<TestRedis> {
  const binary = redisServerBinary();
  const dir = mkdtempSync(join(tmpdir(), 'winnow-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined = await launch(binary, port, dir);
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running) await terminate(running);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await stop();
      child = await launch(binary, port, dir);
    },
  };
}

function redisServerBinary(): string {
  const found = onPath('redis-server');
  if (found) return found;
  if (process.getuid?.() === 0) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore' });
    const install = spawnSync('apt-get', ['install', '-y', 'redis-server'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    const installed = install.status === 0 ? onPath('redis-server') : undefined;
    if (installed) return installed;
  }
  throw new Error('redis-server is not on PATH (install the redis-server package)');
}

function onPath(name: string): string | undefined {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (folder === '') continue;
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (port !== SYSTEM_REDIS_PORT && port !== 0) return port;
  }
}

/** Spawn redis-server and resolve once it accepts connections. */
function launch(binary: string, port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`redis-server did not start within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        // Keep draining so a chatty server never blocks on a full pipe.
        child.stdout?.resume();
        child.off('exit', onExit);
        resolve(child);
      }
    };
    const onExit = (code: number | null): void => fail(new Error(`redis-server exited with ${code}:\n${output}`));
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', onExit);
    child.once('error', fail);
  });
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
