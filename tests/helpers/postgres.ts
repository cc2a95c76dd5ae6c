import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chownSync, constants, existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileAsync = promisify(execFile);

/** The user the server runs as when the tests run as root (initdb and postgres refuse root). */
const SERVICE_USER = 'postgres';
const SUPERUSER = 'postgres';
const START_TIMEOUT_S = 30;

/**
 * A throwaway PostgreSQL server in a temp folder, on a free port on 127.0.0.1 (never the machine's
 * own server on 5432), with one fresh database for the test file.
 */
export interface TestPostgres {
  /** URL of the fresh database created for this server's caller. */
  url: string;
  /** Port the server listens on (127.0.0.1). */
  port: number;
  /** Create another empty database (random name) and return its URL. */
  createDatabase(): Promise<string>;
  /** Stop the server but keep its data, e.g. to test a database outage; {@link restart} brings it back. */
  halt(): Promise<void>;
  /** Start the server again on the same port and data (after {@link halt}), or restart it if running. */
  restart(): Promise<void>;
  /** Stop the server and delete its folder. Idempotent. */
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  pgCtl: string;
}

/** Start a throwaway server: find (or, as root on Debian, install) PostgreSQL, initdb, pg_ctl start, create a database. */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = findBinaries() ?? installBinaries();
  const asRoot = process.getuid?.() === 0;
  const root = mkdtempSync(join(tmpdir(), 'winnow-pg-'));
  if (asRoot) {
    chownSync(root, Number(execFileSync('id', ['-u', SERVICE_USER]).toString().trim()), Number(execFileSync('id', ['-g', SERVICE_USER]).toString().trim()));
  }
  const dataDir = join(root, 'data');
  const logFile = join(root, 'server.log');
  const port = await freePort();
  const serverOptions = [
    `-p ${port}`,
    `-k ${root}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=100',
  ].join(' ');

  const run = async (file: string, args: string[]): Promise<void> => {
    const [command, commandArgs] = asRoot ? ['runuser', ['-u', SERVICE_USER, '--', file, ...args]] : [file, args];
    try {
      await execFileAsync(command, commandArgs, { cwd: root, timeout: 60_000 });
    } catch (error) {
      const log = existsSync(logFile) ? execFileSync('tail', ['-n', '20', logFile]).toString() : '';
      throw new Error(`${file} ${args.join(' ')} failed: ${(error as Error).message}\n${log}`, { cause: error });
    }
  };
  const start = () => run(bin.pgCtl, ['-D', dataDir, '-l', logFile, '-w', '-t', String(START_TIMEOUT_S), '-o', serverOptions, 'start']);
  let running = false;
  let removed = false;

  const stopSync = () => {
    if (running) {
      running = false;
      try {
        const args = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];
        execFileSync(asRoot ? 'runuser' : bin.pgCtl, asRoot ? ['-u', SERVICE_USER, '--', bin.pgCtl, ...args] : args, { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    if (!removed) {
      removed = true;
      rmSync(root, { recursive: true, force: true });
    }
  };
  // A crashed test run must not leave a server behind.
  process.once('exit', stopSync);

  try {
    await run(bin.initdb, ['-D', dataDir, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    await start();
    running = true;
  } catch (error) {
    stopSync();
    process.removeListener('exit', stopSync);
    throw error;
  }

  const adminUrl = `postgresql://${SUPERUSER}@127.0.0.1:${port}/postgres`;
  const createDatabase = async (): Promise<string> => {
    const name = `winnow_test_${randomBytes(6).toString('hex')}`;
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      // FILE_COPY (PostgreSQL 15+) copies the template's files instead of WAL-logging every block: about twice as fast.
      const version = Number((await client.query<{ v: string }>('SHOW server_version_num')).rows[0].v);
      await client.query(`CREATE DATABASE ${name}${version >= 150000 ? ' STRATEGY FILE_COPY' : ''}`);
    } finally {
      await client.end();
    }
    return `postgresql://${SUPERUSER}@127.0.0.1:${port}/${name}`;
  };

  let url: string;
  try {
    url = await createDatabase();
  } catch (error) {
    stopSync();
    process.removeListener('exit', stopSync);
    throw error;
  }

  return {
    url,
    port,
    createDatabase,
    async halt() {
      if (running) {
        await run(bin.pgCtl, ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
        running = false;
      }
    },
    async restart() {
      if (running) {
        // -l as for start: without it the server would keep pg_ctl's output pipes (and this call) open.
        await run(bin.pgCtl, ['-D', dataDir, '-l', logFile, '-m', 'fast', '-w', '-t', String(START_TIMEOUT_S), '-o', serverOptions, 'restart']);
      } else {
        await start();
        running = true;
      }
    },
    async stop() {
      stopSync();
      process.removeListener('exit', stopSync);
    },
  };
}

/** initdb and pg_ctl from PATH, else the newest /usr/lib/postgresql/<version>/bin. */
function findBinaries(): Binaries | null {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const dir of dirs) {
    const initdb = join(dir, 'initdb');
    if (isExecutable(initdb) && isExecutable(join(dir, 'pg_ctl'))) {
      // Resolve symlinks (/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb) so both come from one install.
      const real = dirname(realpathSync(initdb));
      if (isExecutable(join(real, 'pg_ctl'))) {
        return { initdb: join(real, 'initdb'), pgCtl: join(real, 'pg_ctl') };
      }
    }
  }
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const dir = join(base, version, 'bin');
      if (isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'pg_ctl'))) {
        return { initdb: join(dir, 'initdb'), pgCtl: join(dir, 'pg_ctl') };
      }
    }
  }
  return null;
}

function installBinaries(): Binaries {
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new Error('PostgreSQL (initdb, pg_ctl) is not installed; install it (e.g. apt-get install postgresql) to run these tests');
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { env, stdio: 'ignore', timeout: 300_000 });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { env, stdio: 'ignore', timeout: 600_000 });
  const found = findBinaries();
  if (!found) {
    throw new Error('installed postgresql but found no initdb/pg_ctl under /usr/lib/postgresql/*/bin');
  }
  return found;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it from the ephemeral range, so never 5432). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error('could not pick a free port');
  }
  return address.port;
}
