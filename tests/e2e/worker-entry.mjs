// A worker OS process for the fault tests: the same compiled code as `winnow worker`
// (runWorkersUntilSignal from dist/workers/main.js, settings from the same WINNOW_* environment),
// plus the knobs the CLI has no setting for yet, read from E2E_* variables:
//   E2E_LOCK_DURATION_MS, E2E_STALLED_INTERVAL_MS, E2E_MAX_STALLED_COUNT  → bullmq worker options
//   E2E_FETCH_TOTAL_TIMEOUT_MS, E2E_FETCH_CONNECT_TIMEOUT_MS              → fetchPage options
// Plain JavaScript on purpose: it is spawned with `node`, not through vitest.
// Diagnostics (E2E_HANDLE_REPORT): remember where every pending timer was created.
const pendingTimers = new Map();
if (process.env.E2E_HANDLE_REPORT) {
  const originalSet = globalThis.setTimeout;
  const originalClear = globalThis.clearTimeout;
  globalThis.setTimeout = function (callback, ms, ...args) {
    const timer = originalSet(function (...inner) {
      pendingTimers.delete(timer);
      return callback(...inner);
    }, ms, ...args);
    pendingTimers.set(timer, { ms, stack: new Error().stack.split('\n').slice(2, 6).join(' | ') });
    return timer;
  };
  globalThis.clearTimeout = function (timer) {
    pendingTimers.delete(timer);
    return originalClear(timer);
  };
}
const { runWorkersUntilSignal } = await import('../../dist/workers/main.js');

/** A whole number from the environment, or undefined when unset (never an explicit undefined option). */
function num(name) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number, not "${raw}"`);
  return value;
}

/** Drop undefined entries: bullmq spreads its options over its defaults. */
function defined(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

const log = (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
process.on('unhandledRejection', (reason) => log(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`));
process.on('uncaughtException', (error) => {
  log(`uncaught exception: ${error.stack ?? error.message}`);
  process.exit(1);
});

const stages = (process.env.E2E_STAGES ?? 'fetch,moderate').split(',');
const workerOptions = defined({
  lockDuration: num('E2E_LOCK_DURATION_MS'),
  stalledInterval: num('E2E_STALLED_INTERVAL_MS'),
  maxStalledCount: num('E2E_MAX_STALLED_COUNT'),
});
const fetchOptions = defined({
  totalTimeoutMs: num('E2E_FETCH_TOTAL_TIMEOUT_MS'),
  connectTimeoutMs: num('E2E_FETCH_CONNECT_TIMEOUT_MS'),
});

log(`worker started: ${stages.join(', ')} ${JSON.stringify({ workerOptions, fetchOptions })}`);
await runWorkersUntilSignal({ stages, log, workerOptions, fetchOptions });
log('worker stopped');

// Diagnostics: what still holds the event loop open a while after shutdown (the process should
// have exited by then).
if (process.env.E2E_HANDLE_REPORT) {
  setTimeout(() => {
    const handles = process._getActiveHandles().map((handle) => {
      const name = handle?.constructor?.name ?? typeof handle;
      if (name === 'Socket') return `Socket ${handle.remoteAddress ?? ''}:${handle.remotePort ?? ''} destroyed=${handle.destroyed} pending=${handle.pending}`;
      if (name === 'ChildProcess') return `ChildProcess pid=${handle.pid}`;
      return name;
    });
    const timers = [...pendingTimers.entries()].filter(([t]) => t.hasRef?.()).map(([, v]) => `${v.ms} ms at ${v.stack}`);
    log(`still alive 3 s after shutdown; timers: ${JSON.stringify(timers)}; resources: ${JSON.stringify(process.getActiveResourcesInfo())}; handles: ${JSON.stringify(handles)}`);
  }, 3000).unref();
}
