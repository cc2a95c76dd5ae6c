import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium package puts the browser here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Flags for a headless browser in a container and on a busy CI machine: no sandbox (tests may
 * run as root, where Chromium refuses its own), no GPU, /tmp instead of a small /dev/shm, and no
 * background traffic of its own, so the only requests are the ones a test makes.
 */
export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--no-first-run',
];

/**
 * Path of the system Chromium. Installs Debian's `chromium` with apt-get when it is missing and
 * the tests run as root (as tests/helpers/redis.ts does for redis-server); Playwright's own
 * browser downloads are never used.
 */
export function chromiumPath(): string {
  if (executable(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (process.getuid?.() === 0) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update'], { stdio: 'ignore', env });
    spawnSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'ignore', env });
    if (executable(CHROMIUM_PATH)) return CHROMIUM_PATH;
  }
  throw new Error(`${CHROMIUM_PATH} is missing (install Debian's chromium package)`);
}

/** Launch headless Chromium through playwright-core. Close it with `browser.close()`. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_FLAGS, timeout: 60_000 });
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
