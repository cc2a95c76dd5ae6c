import type { IncomingHttpHeaders } from 'node:http';
import { type BodyPolicy, headerText, readBody } from './body.js';
import { looksLikeMarkup, mediaType, PAGE_TYPES } from './content-type.js';
import { Deadline } from './deadline.js';
import {
  BadUrlError,
  EmptyResponseError,
  FetchError,
  HopDeferredError,
  RobotsDisallowedError,
  toFetchError,
  TooManyRedirectsError,
  UnsupportedTypeError,
} from './errors.js';
import { type FetchOptions, type ResolvedFetchOptions, resolveFetchOptions } from './options.js';
import { type Hop, openHop } from './request.js';
import { validateUrl } from './ssrf.js';
import { REDIRECT_STATUSES, statusError } from './status.js';

/** A fetched response: raw body bytes and what is needed to decode them (see decodeHtml). */
export interface FetchedPage {
  /** Final URL, after redirects. */
  url: string;
  status: number;
  /** Content-Type header as sent, or '' when there was none. */
  contentType: string;
  /** Response headers, names lower-cased, repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** Body after Content-Encoding was undone. */
  body: Uint8Array;
  /** Every URL that answered with a redirect, in order; empty when the first URL answered directly. */
  redirects: string[];
  /** When the response completed, ISO 8601. */
  fetchedAt: string;
}

/** What kind of resource a fetch accepts (fetchPage: HTML/XML; robots.txt: text). */
export interface ResourcePolicy {
  /** Accept header sent. */
  accept: string;
  /** Media types accepted. */
  types: readonly string[];
  /** Untyped responses: sniff the first bytes for markup, or accept as they are. */
  untyped: 'sniff-markup' | 'accept';
  /** Over maxBytes: fail, or keep the first maxBytes. */
  overflow: BodyPolicy['overflow'];
}

const PAGE_POLICY: ResourcePolicy = {
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,text/xml;q=0.9',
  types: PAGE_TYPES,
  untyped: 'sniff-markup',
  overflow: 'abort',
};

/**
 * Fetches an HTML (or XHTML/XML) page from a user-supplied URL, safely: every hop is checked
 * against the SSRF guard before a socket opens and connects to the address that was checked;
 * redirects are followed by hand; the body is capped after decompression; non-HTML responses
 * are refused after their headers. Rejects with a FetchError (`blocked_address`, `bad_url`,
 * `timeout`, `too_large`, `too_many_redirects`, `unsupported_type`, `http_error`,
 * `robots_disallowed`, `network`, `empty`), with the signal's reason when `signal` aborts, or
 * with what `beforeHop` threw (e.g. a HopDeferredError).
 */
export function fetchPage(url: string, options?: FetchOptions): Promise<FetchedPage> {
  return fetchResource(url, options, PAGE_POLICY);
}

/** fetchPage with another content policy (robots.txt uses it for text/plain). */
export async function fetchResource(url: string, options: FetchOptions = {}, policy: ResourcePolicy): Promise<FetchedPage> {
  const resolved = resolveFetchOptions(options);
  const deadline = new Deadline(resolved.totalTimeoutMs, resolved.signal, `no complete response within ${resolved.totalTimeoutMs} ms`);
  let current = url;
  try {
    deadline.throwIfOver();
    const redirects: string[] = [];
    for (;;) {
      const target = validateUrl(current, resolved.allow);
      current = target.href;
      await checkRobots(target.href, resolved, deadline);
      if (resolved.beforeHop) await deadline.race(resolved.beforeHop({ url: target.href, redirects: [...redirects], signal: deadline.signal }));
      const hop = await openHop(target, resolved, policy.accept, deadline.signal);
      try {
        const next = redirectTarget(hop, target);
        if (next === undefined) return await readPage(hop, target.href, redirects, resolved, policy, deadline);
        redirects.push(target.href);
        if (resolved.redirectsFollowed + redirects.length > resolved.maxRedirects) {
          throw new TooManyRedirectsError(`more than ${resolved.maxRedirects} redirects`, target.href);
        }
        if (next === target.href || redirects.includes(next)) {
          throw new TooManyRedirectsError(`redirect loop back to ${next}`, target.href);
        }
        current = next;
      } finally {
        hop.request.destroy();
      }
    }
  } catch (error) {
    if (error instanceof FetchError || error instanceof HopDeferredError) throw error;
    if (deadline.signal.aborted) throw deadline.signal.reason;
    throw toFetchError(error, current);
  } finally {
    deadline.dispose();
  }
}

async function checkRobots(url: string, options: ResolvedFetchOptions, deadline: Deadline): Promise<void> {
  if (options.robots && !(await deadline.race(options.robots.isAllowed(url, options.userAgent)))) {
    throw new RobotsDisallowedError(url);
  }
}

/** The absolute URL a redirect points to (fragment dropped), or undefined when the response is not a redirect. */
function redirectTarget(hop: Hop, base: URL): string | undefined {
  const { statusCode = 0, headers } = hop.response;
  if (!REDIRECT_STATUSES.has(statusCode) || headers.location === undefined) return undefined;
  let next: URL;
  try {
    next = new URL(headers.location, base);
  } catch {
    throw new BadUrlError(`redirect to an invalid URL: ${headers.location.slice(0, 200)}`, base.href);
  }
  next.hash = '';
  return next.href;
}

async function readPage(
  hop: Hop,
  url: string,
  redirects: string[],
  options: ResolvedFetchOptions,
  policy: ResourcePolicy,
  deadline: Deadline,
): Promise<FetchedPage> {
  const { statusCode: status = 0, headers } = hop.response;
  const failed = statusError(status, headerText(headers['retry-after']), url);
  if (failed) throw failed;
  if (status === 204 || status === 205) throw new EmptyResponseError(`HTTP ${status} has no content`, url);
  const contentType = headerText(headers['content-type']) ?? '';
  const type = mediaType(contentType);
  if (type !== undefined && !policy.types.includes(type)) {
    throw new UnsupportedTypeError(`content type ${type} is not accepted`, url);
  }
  const sniff = type === undefined && policy.untyped === 'sniff-markup' ? looksLikeMarkup : undefined;
  const body = await readBody(hop.response, { maxBytes: options.maxBytes, overflow: policy.overflow, sniff }, deadline.signal, url);
  if (body.length === 0) throw new EmptyResponseError('response body is empty', url);
  return { url, status, contentType, headers: flattenHeaders(headers), body, redirects, fetchedAt: new Date().toISOString() };
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
