import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

/** Content-Security-Policy directives, as helmet takes them. */
export type CspDirectives = Record<string, string[]>;

/**
 * Policy of every response that is not a page: JSON loads nothing and is never framed, so a
 * response opened directly in a browser cannot run or pull in anything.
 */
export const API_CSP: CspDirectives = {
  'default-src': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/**
 * Policy of the review page (`/review`, `/review/assets/*`). Scripts and styles come from this
 * origin only, never inline and never through eval: scraped text and HTML shown on the page
 * cannot run even if a sanitizer misses something. Images may be data: URLs (sanitized
 * article HTML keeps them); everything the page fetches goes to this origin's JSON API.
 */
export const REVIEW_PAGE_CSP: CspDirectives = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
  'object-src': ["'none'"],
};

/** Routes at `prefix` or below it get `csp` instead of {@link API_CSP}. */
export interface PagePolicy {
  prefix: string;
  csp: CspDirectives;
}

/** Pages served by the app and their policies. */
export const PAGE_POLICIES: readonly PagePolicy[] = [{ prefix: '/review', csp: REVIEW_PAGE_CSP }];

/** Methods that only read; every other method changes state and must come from this origin. */
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** `Sec-Fetch-Site` values that mean another site (or a sibling subdomain) made the browser send the request. */
const FOREIGN_FETCH_SITES = new Set(['cross-site', 'same-site']);

/**
 * The web-security layer, app-wide: helmet's headers on every response (the API policy, or a
 * page's policy on its routes) and the cross-origin guard on every state-changing request.
 * Register it before authentication and before any route, so both hooks see every route.
 */
export async function registerSecurity(app: FastifyInstance, pages: readonly PagePolicy[] = PAGE_POLICIES): Promise<void> {
  // A route registered with its own `helmet` option keeps it; the others under a page prefix
  // take that page's policy as their `helmet` route option. This hook is added before helmet's
  // own onRoute hook, which runs next and turns the option into the route's config.
  app.addHook('onRoute', (route) => {
    if (route.helmet !== undefined) return;
    const page = pages.find(({ prefix }) => route.url === prefix || route.url.startsWith(`${prefix}/`));
    if (page) route.helmet = { contentSecurityPolicy: cspOption(page.csp) };
  });

  await app.register(helmet, {
    contentSecurityPolicy: cspOption(API_CSP),
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });

  app.addHook('onRequest', async (request) => {
    if (SAFE_METHODS.has(request.method)) return;
    const refusal = crossOriginReason(request);
    if (refusal !== null) throw new ApiError('WINNOW_ERR_CROSS_ORIGIN', refusal);
  });
}

/**
 * Why a state-changing request is refused as cross-origin, or null to let it through. Browsers
 * send `Origin` on every cross-origin and every non-GET request, and `Sec-Fetch-Site` on all
 * requests; clients that are not browsers (curl, scripts) send neither and pass on the token
 * alone. `Origin: null` (sandboxed frames, some redirects) never equals an origin.
 */
export function crossOriginReason(request: Pick<FastifyRequest, 'headers' | 'protocol'>): string | null {
  const fetchSite = request.headers['sec-fetch-site'];
  if (typeof fetchSite === 'string' && FOREIGN_FETCH_SITES.has(fetchSite.toLowerCase())) {
    return `cross-origin request refused (Sec-Fetch-Site: ${fetchSite})`;
  }
  const origin = request.headers.origin;
  if (origin === undefined) return null;
  const own = ownOrigin(request.protocol, request.headers.host);
  if (own === null || parseOrigin(origin) !== own) return `cross-origin request refused (Origin ${origin.slice(0, 200)})`;
  return null;
}

/** `scheme://host[:port]` of the request itself (default ports dropped, host lower-cased), or null without a usable Host. */
function ownOrigin(protocol: string, host: string | undefined): string | null {
  if (!host) return null;
  return parseOrigin(`${protocol}://${host}`);
}

/** An origin in its serialized form, or null when it is not one (`null`, garbage, a URL with a path). */
function parseOrigin(value: string): string | null {
  if (!URL.canParse(value)) return null;
  const url = new URL(value);
  if (url.origin === 'null' || url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return null;
  return url.origin;
}

function cspOption(directives: CspDirectives) {
  return { useDefaults: false, directives };
}
