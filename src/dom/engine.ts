import type { EngineName } from '../types.js';
import { ParseError, WinnowError } from '../errors.js';
import { DEFAULT_LIMITS, preparePage, type PageLimits } from '../input/prepare.js';
import { parseWithJsdom } from './jsdom.js';
import { parseWithLinkedom } from './linkedom.js';

/** A parsed page: the standard DOM Document plus a way to free it. */
export interface ParsedPage {
  document: Document;
  engine: EngineName;
  /** Release the engine's resources (jsdom keeps a window alive until closed). */
  dispose(): void;
}

/** Default engine: see README, "DOM engines" (same article text, several times faster). */
export const DEFAULT_ENGINE: EngineName = 'linkedom';

export const ENGINES: readonly EngineName[] = ['linkedom', 'jsdom'];

export function isEngineName(value: unknown): value is EngineName {
  return value === 'jsdom' || value === 'linkedom';
}

/** How to parse a page. */
export interface ParseOptions {
  /** Page URL: resolves relative links. */
  url?: string;
  /** DOM engine. @defaultValue DEFAULT_ENGINE */
  engine?: EngineName;
  /** Size, depth and element limits, kept on the tree as it is built. @defaultValue DEFAULT_LIMITS */
  limits?: PageLimits;
}

/**
 * Parse HTML with the chosen engine into the tree the HTML standard builds, without scripts,
 * styles, templates or inline SVG (JSON-LD scripts stay). No script runs and nothing is
 * fetched. A page over the limits throws PageTooLargeError or PageTooDeepError; other parser
 * failures come out as ParseError, so one bad page never takes down a batch.
 */
export function parsePage(html: string, options: ParseOptions = {}): ParsedPage {
  const engine = options.engine ?? DEFAULT_ENGINE;
  const limits = options.limits ?? DEFAULT_LIMITS;
  preparePage(html, limits);
  try {
    return engine === 'jsdom' ? parseWithJsdom(html, options.url, limits) : parseWithLinkedom(html, limits);
  } catch (error) {
    if (error instanceof WinnowError) throw error;
    throw new ParseError(`${engine} could not parse the page: ${(error as Error).message}`, error);
  }
}
