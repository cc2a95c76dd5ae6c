/**
 * Preloaded with `node --import <file URL of dist/bench/rusage.js> ...` so a benchmark can read a
 * whole process's CPU time and peak RSS without changing the program it runs. When the variable
 * {@link RUSAGE_ENV} names a file, the process writes its own `process.resourceUsage()` figures
 * there as JSON on exit.
 */
import { writeFileSync } from 'node:fs';

/** Environment variable naming the file the figures are written to. */
export const RUSAGE_ENV = 'WINNOW_BENCH_RUSAGE';

/** What the file holds. */
export interface ProcessUsage {
  /** Peak resident set size. Unit: kilobytes (as `resourceUsage().maxRSS`). */
  maxRssKb: number;
  /** Unit: microseconds. */
  userCpuUs: number;
  /** Unit: microseconds. */
  systemCpuUs: number;
}

const target = process.env[RUSAGE_ENV];
// Read once and removed, so a child the measured program spawns does not overwrite the file.
delete process.env[RUSAGE_ENV];

if (target) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    const figures: ProcessUsage = { maxRssKb: usage.maxRSS, userCpuUs: usage.userCPUTime, systemCpuUs: usage.systemCPUTime };
    writeFileSync(target, JSON.stringify(figures));
  });
}
