import { spawnSync } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

function onPath(name: string): string | undefined {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (folder === '') continue;
    try {
      accessSync(join(folder, name), constants.X_OK);
      return join(folder, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Debian's `docker-compose`, installed with apt-get when missing and running as root. */
function composeBinary(): string | undefined {
  const found = onPath('docker-compose');
  if (found || process.getuid?.() !== 0) return found;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update'], { stdio: 'ignore', env });
  spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'docker-compose'], { stdio: 'ignore', env });
  return onPath('docker-compose');
}

const compose = composeBinary();

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | null>;
  ports?: unknown[];
  volumes?: unknown[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: unknown };
  profiles?: string[];
  container_name?: string;
}

/** `docker-compose config` of the project's file: validated, interpolated, as an object. */
function composeConfig(): { services: Record<string, Service>; volumes?: Record<string, unknown> } {
  // The file's own defaults, whatever this machine's environment says; a token as an operator would export it.
  const { DATABASE_URL: _database, REDIS_URL: _redis, POSTGRES_PASSWORD: _password, ...rest } = process.env;
  const env = { ...rest, WINNOW_API_TOKEN: 'x'.repeat(64) };
  const run = spawnSync(compose!, ['-f', join(ROOT, 'docker-compose.yml'), 'config'], { cwd: ROOT, env, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  // Compose v1 prints YAML only; it is a Python program, so PyYAML is there to read it.
  const toJson = spawnSync('python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: run.stdout, encoding: 'utf8' });
  expect(toJson.status, toJson.stderr).toBe(0);
  return JSON.parse(toJson.stdout);
}

describe.skipIf(compose === undefined)('docker-compose.yml (scale-out)', () => {
  let config: ReturnType<typeof composeConfig>;
  let services: Record<string, Service>;
  beforeAll(() => {
    config = composeConfig();
    services = config.services;
  });

  it('validates and has redis, postgres, api, worker and the inline profile', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'inline', 'postgres', 'redis', 'worker']);
    expect(Object.keys(config.volumes ?? {})).toEqual(expect.arrayContaining(['redis-data', 'postgres-data']));
  });

  it('runs Redis 7 with AOF fsynced every second and noeviction, on a volume', () => {
    const redis = services.redis;
    expect(redis.image).toBe('redis:7');
    const command = Array.isArray(redis.command) ? redis.command.join(' ') : String(redis.command);
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--appendfsync everysec');
    expect(command).toContain('--maxmemory-policy noeviction');
    expect(JSON.stringify(redis.volumes)).toContain(':/data');
    expect(redis.healthcheck?.test).toBeDefined();
  });

  it('runs PostgreSQL 16 on a volume with a healthcheck', () => {
    const postgres = services.postgres;
    expect(postgres.image).toBe('postgres:16');
    expect(JSON.stringify(postgres.volumes)).toContain('/var/lib/postgresql/data');
    expect(JSON.stringify(postgres.healthcheck?.test)).toContain('pg_isready');
  });

  it('builds the api and the worker from the Dockerfile with the same settings, after healthy services', () => {
    const { api, worker } = services;
    expect(api.build).toBeDefined();
    expect(worker.build).toBeDefined();
    expect(api.command).toEqual(expect.arrayContaining(['serve', '--host', '0.0.0.0']));
    expect(worker.command).toEqual(['worker']);
    for (const service of [api, worker]) {
      expect(service.environment).toMatchObject({
        DATABASE_URL: expect.stringMatching(/^postgres:\/\/.*@postgres:5432\//),
        REDIS_URL: 'redis://redis:6379',
        WINNOW_API_TOKEN: 'x'.repeat(64),
      });
      expect(service.depends_on).toMatchObject({ redis: { condition: 'service_healthy' }, postgres: { condition: 'service_healthy' } });
    }
    expect(JSON.stringify(api.ports)).toContain('8080');
  });

  it('keeps the worker scalable: no container_name, no host port', () => {
    expect(services.worker.container_name).toBeUndefined();
    expect(services.worker.ports).toBeUndefined();
    for (const service of Object.values(services)) expect(service.container_name).toBeUndefined();
  });

  it('keeps the one-off inline run of ./pages behind the inline profile', () => {
    const inline = services.inline;
    expect(inline.profiles).toEqual(['inline']);
    expect(inline.command).toEqual(expect.arrayContaining(['run', '/pages', '--out', '/out']));
    expect(JSON.stringify(inline.volumes)).toContain('/pages');
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const context = mkdtempSync(join(tmpdir(), 'winnow-docker-'));
  afterAll(() => rmSync(context, { recursive: true, force: true }));

  it('copies models/ and patches/, and builds dist/ with the compiled workers (simulated from its COPY lines)', () => {
    const lines = dockerfile.split('\n').map((line) => line.trim());
    const build = lines.findIndex((line) => /^RUN npm ci\b/.test(line));
    expect(build).toBeGreaterThan(0);
    const copies = lines.map((line, index) => ({ index, parts: line.split(/\s+/) })).filter(({ parts }) => parts[0] === 'COPY');
    const copied = (before: number) => copies.filter(({ index }) => index < before).flatMap(({ parts }) => parts.slice(1, -1));
    expect(copies.flatMap(({ parts }) => parts.slice(1, -1))).toEqual(expect.arrayContaining(['models']));
    // `npm ci` runs `postinstall` (patch-package): the patches must be in the image before it.
    expect(copied(build)).toEqual(expect.arrayContaining(['patches']));

    // What the image holds when `npm ci` runs `prepare` (tsc): the sources copied before it.
    for (const source of copied(build)) cpSync(join(ROOT, source), join(context, source), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(context, 'node_modules'), 'dir');
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: context, encoding: 'utf8' });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);

    const entry = /ENTRYPOINT \["node", (?:"--[^"]+", )*"([^"]+)"\]/.exec(dockerfile)?.[1];
    expect(entry).toBe('dist/src/cli/main.js');
    for (const file of [entry!, 'dist/workers/main.js', 'dist/workers/commands.js', 'dist/workers/moderate.sandbox.js', 'dist/workers/politeness.js', 'dist/workers/warc-import.js']) {
      expect(existsSync(join(context, file)), file).toBe(true);
    }
  }, 60_000);
});
