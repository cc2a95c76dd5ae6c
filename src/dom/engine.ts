import type { EngineName } from '../types.js';
import { ParseError } from '../errors.js';
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

/**
 * Parse HTML with the chosen engine. No script runs and nothing is fetched. Parser failures
 * come out as ParseError so one bad page never takes down a batch.
 */
export function parsePage(html: string, options: { url?: string; engine?: EngineName } = {}): ParsedPage {
  const engine = options.engine ?? DEFAULT_ENGINE;
  try {
    return engine === 'jsdom' ? parseWithJsdom(html, options.url) : parseWithLinkedom(html);
  } catch (error) {
    throw new ParseError(`${engine} could not parse the page: ${(error as Error).message}`, error);
  }
}
