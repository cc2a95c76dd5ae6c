export { fetchPage, type FetchedPage } from './fetch-page.js';
export {
  type FetchOptions,
  type LookupFunction,
  type ResolvedAddress,
  type RobotsPolicy,
  type BeforeHop,
  type NextHop,
  defaultUserAgent,
  ALLOW_PRIVATE_ENV,
} from './options.js';
export { AllowList, checkAddress, checkPort, isBlockedAddress, validateUrl } from './ssrf.js';
export { RobotsCache, type RobotsCacheOptions, MAX_CRAWL_DELAY_MS, ROBOTS_MAX_BYTES } from './robots.js';
export * from './errors.js';
