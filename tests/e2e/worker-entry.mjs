// A worker OS process for the fault tests: exactly `winnow worker` (workerCommand from
// dist/workers/commands.js, every setting from the WINNOW_* environment). The older E2E_* knobs
// the fault tests set are mapped onto their WINNOW_* settings first:
//   E2E_LOCK_DURATION_MS → WINNOW_LOCK_MS, E2E_STALLED_INTERVAL_MS → WINNOW_STALLED_INTERVAL_MS,
//   E2E_MAX_STALLED_COUNT → WINNOW_MAX_STALLED_COUNT, E2E_FETCH_TOTAL_TIMEOUT_MS → WINNOW_FETCH_TIMEOUT_MS,
//   E2E_FETCH_CONNECT_TIMEOUT_MS → WINNOW_FETCH_CONNECT_TIMEOUT_MS; E2E_STAGES → `--stages`.
// Plain JavaScript on purpose: it is spawned with `node`, not through vitest.
const SETTINGS = {
  E2E_LOCK_DURATION_MS: 'WINNOW_LOCK_MS',
  E2E_STALLED_INTERVAL_MS: 'WINNOW_STALLED_INTERVAL_MS',
  E2E_MAX_STALLED_COUNT: 'WINNOW_MAX_STALLED_COUNT',
  E2E_FETCH_TOTAL_TIMEOUT_MS: 'WINNOW_FETCH_TIMEOUT_MS',
  E2E_FETCH_CONNECT_TIMEOUT_MS: 'WINNOW_FETCH_CONNECT_TIMEOUT_MS',
};
for (const [knob, setting] of Object.entries(SETTINGS)) {
  if (process.env[knob] !== undefined && process.env[knob] !== '') process.env[setting] = process.env[knob];
}

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
const { parseStages, workerCommand } = await import('../../dist/workers/commands.js');
await workerCommand(parseStages(process.env.E2E_STAGES ?? 'fetch,moderate'));

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
    process.stderr.write(`${new Date().toISOString()} still alive 3 s after shutdown; timers: ${JSON.stringify(timers)}; resources: ${JSON.stringify(process.getActiveResourcesInfo())}; handles: ${JSON.stringify(handles)}\n`);
  }, 3000).unref();
}
