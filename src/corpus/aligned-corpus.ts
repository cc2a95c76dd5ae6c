/**
 * A WCXB split read, analysed and aligned once per process, for training and for the benchmark.
 * Analyses stay in memory (a page is parsed once however many folds train on it); nothing is
 * written to disk.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Model } from '../classify/model.js';
import { assembleText } from '../extract/assemble.js';
import { bodyBlocks } from '../extract/body.js';
import { readabilityBaseline } from '../extract/readability.js';
import { WinnowError } from '../errors.js';
import type { EngineName } from '../types.js';
import { corpusInfo, labelCorpusPage, loadWcxb, type AlignedPage, type CorpusInfo } from './wcxb.js';

export interface AlignedCorpus {
  dir: string;
  info: CorpusInfo;
  pages: AlignedPage[];
  /** Pages the pipeline could not analyse (too large, unparsable), with the reason. */
  skipped: { id: string; reason: string }[];
  /** Per page id, bare Readability's title and text (only when asked for). */
  readability: Map<string, { title: string | null; text: string; error: string | null }>;
}

export interface AlignCorpusOptions {
  engine?: EngineName;
  promoModel?: Model | null;
  /** At most this many pages. */
  limit?: number;
  /** Also run bare Readability on every page (the benchmark's baseline). */
  readability?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** Read, analyse and align every page of a WCXB split. */
export function alignCorpus(dir: string, options: AlignCorpusOptions = {}): AlignedCorpus {
  const info = corpusInfo(dir);
  const pages: AlignedPage[] = [];
  const skipped: AlignedCorpus['skipped'] = [];
  const readability: AlignedCorpus['readability'] = new Map();
  const ids = loadWcxbIds(dir, options.limit);
  ids.forEach((id, i) => {
    const [page] = loadWcxb(dir, { ids: [id] });
    if (options.readability) {
      try {
        readability.set(id, { ...readabilityBaseline(page.html, { url: page.url || undefined, engine: options.engine }), error: null });
      } catch (error) {
        readability.set(id, { title: null, text: '', error: error instanceof Error ? error.message.split('\n')[0] : String(error) });
      }
    }
    try {
      const aligned = labelCorpusPage(page, { engine: options.engine, promoModel: options.promoModel, info });
      for (const block of aligned.analysis.blocks) block.textNodes = [];
      pages.push(aligned);
    } catch (error) {
      if (!(error instanceof WinnowError)) throw error;
      skipped.push({ id, reason: error.message.split('\n')[0] });
    }
    options.onProgress?.(i + 1, ids.length);
  });
  return { dir, info, pages, skipped, readability };
}

/** The split's page ids (html and ground truth both present), sorted; read first so one page's HTML is in memory at a time. */
function loadWcxbIds(dir: string, limit?: number): string[] {
  const ids = readdirSync(join(dir, 'html'))
    .filter((name) => name.endsWith('.html.gz'))
    .map((name) => name.slice(0, -'.html.gz'.length))
    .filter((id) => existsSync(join(dir, 'ground-truth', `${id}.json`)))
    .sort();
  return ids.slice(0, limit);
}

/**
 * The oracle's article text: the body the pipeline's own assembly builds from the blocks the
 * alignment calls editorial, after the title line (what a classifier that reproduced the
 * aligned labels exactly would answer).
 */
export function oracleText(page: AlignedPage): string {
  const editorial = page.analysis.blocks.filter((_, i) => page.gold[i] === 'editorial');
  const { body } = bodyBlocks(editorial, page.analysis.metadata.title, page.analysis.metadata.excerpt);
  return `${page.analysis.metadata.title ?? ''}\n${assembleText(body)}`;
}
