/**
 * WCXB (the Web Content eXtraction Benchmark, Murrough Foley, 2026, CC-BY-4.0) as training and
 * evaluation data: read a split in place (`html/<id>.html.gz`, `ground-truth/<id>.json`,
 * `metadata.json`) and turn a page plus its ground-truth text into a LabeledPage, the shape
 * fixture pages have. The corpus is never copied into the repository.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { scoreBlocks } from '../classify/classify.js';
import type { Model } from '../classify/model.js';
import { softmax } from '../classify/naive-bayes.js';
import { CORPUS_ENV, repoRoot } from '../eval/corpus.js';
import { analyzePage, type PageAnalysis, type PipelineOptions } from '../pipeline.js';
import type { FixtureMeta, LabeledPage } from '../train/fixtures.js';
import { LABELS, type Label } from '../types.js';
import { alignBlocks, type PageAlignment } from './align.js';

/** The WCXB split training reads by default (beside the repository: `../shared/corpus/wcxb-dev`). */
export const WCXB_SET = 'wcxb-dev';

/** Said of every label this module derives: a person has not looked at it. */
export const ALIGNED_REVIEW = 'aligned, not reviewed';

/** One WCXB page with its ground truth. */
export interface WcxbPage {
  id: string;
  url: string;
  html: string;
  /** `ground_truth.main_content`. */
  truth: string;
  title: string;
  /** Snippets a good extraction contains / must not contain. */
  with: string[];
  without: string[];
  /** `_internal.page_type.primary` (article, forum, listing, ...). */
  pageType: string;
}

/** Name, version and licence of a corpus split, from its `metadata.json`. */
export interface CorpusInfo {
  name: string;
  version: string;
  license: string;
  split: string;
}

/** Where labels that came from a corpus came from (kept in meta.json and on the model). */
export interface Provenance {
  corpus: string;
  version: string;
  license: string;
  pageId: string;
  review: typeof ALIGNED_REVIEW;
  /** Share of the truth's tokens the aligned editorial blocks account for. */
  truthCovered: number;
}

function isWcxbSet(dir: string): boolean {
  try {
    return statSync(join(dir, 'html')).isDirectory() && statSync(join(dir, 'ground-truth')).isDirectory() && existsSync(join(dir, 'metadata.json'));
  } catch {
    return false;
  }
}

/**
 * Where the WCXB split is, if present: `WINNOW_CORPUS_DIR` (the split folder itself or the
 * corpus folder holding `wcxb-dev/`), else `<repoRoot>/../shared/corpus/wcxb-dev`.
 *
 * @returns Absolute path of the split, or null when it is missing (callers skip or train on fixtures alone).
 */
export function wcxbDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const override = env[CORPUS_ENV];
  if (override !== undefined && override.trim() !== '') {
    const dir = resolve(override);
    if (isWcxbSet(dir)) return dir;
    if (isWcxbSet(join(dir, WCXB_SET))) return join(dir, WCXB_SET);
    return null;
  }
  const root = repoRoot();
  if (root === null) return null;
  const dir = resolve(root, '..', 'shared', 'corpus', WCXB_SET);
  return isWcxbSet(dir) ? dir : null;
}

/** Whether `dir` is a WCXB split (html/, ground-truth/, metadata.json). */
export function isWcxbDir(dir: string): boolean {
  return isWcxbSet(resolve(dir));
}

export function corpusInfo(dir: string): CorpusInfo {
  const meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')) as Record<string, unknown>;
  const text = (value: unknown, fallback: string) => (typeof value === 'string' ? value : fallback);
  return { name: text(meta.name, 'WCXB'), version: text(meta.version, 'unknown'), license: text(meta.license, 'unknown'), split: text(meta.split, 'unknown') };
}

interface GroundTruthFile {
  url?: unknown;
  _internal?: { page_type?: { primary?: unknown } };
  ground_truth?: { main_content?: unknown; title?: unknown; with?: unknown; without?: unknown };
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

/**
 * Read the split's pages (ids that have both an html file and a ground-truth file), sorted by id.
 *
 * @param options.ids - Only these ids.
 * @param options.limit - At most this many pages (the first ids).
 */
export function loadWcxb(dir: string, options: { ids?: readonly string[]; limit?: number } = {}): WcxbPage[] {
  const decoder = new TextDecoder('utf-8');
  let ids = readdirSync(join(dir, 'html'))
    .filter((name) => name.endsWith('.html.gz'))
    .map((name) => name.slice(0, -'.html.gz'.length))
    .filter((id) => existsSync(join(dir, 'ground-truth', `${id}.json`)))
    .sort();
  if (options.ids) {
    const wanted = new Set(options.ids);
    ids = ids.filter((id) => wanted.has(id));
  }
  if (options.limit !== undefined) ids = ids.slice(0, options.limit);
  return ids.map((id) => readWcxbPage(dir, id, decoder));
}

function readWcxbPage(dir: string, id: string, decoder: TextDecoder): WcxbPage {
  const file = JSON.parse(readFileSync(join(dir, 'ground-truth', `${id}.json`), 'utf8')) as GroundTruthFile;
  const truth = file.ground_truth ?? {};
  return {
    id,
    url: typeof file.url === 'string' ? file.url : '',
    html: decoder.decode(gunzipSync(readFileSync(join(dir, 'html', `${id}.html.gz`)))),
    truth: typeof truth.main_content === 'string' ? truth.main_content : '',
    title: typeof truth.title === 'string' ? truth.title : '',
    with: strings(truth.with),
    without: strings(truth.without),
    pageType: typeof file._internal?.page_type?.primary === 'string' ? file._internal.page_type.primary : 'unknown',
  };
}

/**
 * Share a not-editorial block's promo posterior must have of promo + boilerplate (under the
 * fixture-trained model) to be labeled promo. The fixtures are rich in promo, so a model trained
 * on them leans to it on real chrome; only a clear verdict moves a block off the default.
 */
const PROMO_SHARE = 0.8;

export interface LabelCorpusOptions extends PipelineOptions {
  /** Model trained on hand-written fixtures, asked promo or boilerplate for blocks that are not main content. */
  promoModel?: Model | null;
  info?: CorpusInfo;
}

/** A corpus page aligned and labeled, with its alignment for reports. */
export interface AlignedPage extends LabeledPage {
  alignment: PageAlignment;
  corpusPage: Pick<WcxbPage, 'id' | 'url' | 'truth' | 'title' | 'with' | 'without' | 'pageType'>;
}

/**
 * Analyse a WCXB page and label its blocks: editorial where the block aligns with the ground
 * truth (see alignBlocks), else promo where the fixture-trained model is clearly for promo
 * (PROMO_SHARE), else boilerplate. The labels say they are aligned, not reviewed.
 */
export function labelCorpusPage(page: WcxbPage, options: LabelCorpusOptions = {}): AlignedPage {
  const analysis = analyzePage(page.html, { ...options, url: options.url ?? (page.url || undefined) });
  return labelAnalyzedCorpusPage(page, analysis, options);
}

/** As labelCorpusPage, on an analysis already made. */
export function labelAnalyzedCorpusPage(page: WcxbPage, analysis: PageAnalysis, options: LabelCorpusOptions = {}): AlignedPage {
  const alignment = alignBlocks(
    analysis.blocks.map((block) => block.text),
    page.truth,
  );
  const promoShare = promoShares(analysis, options.promoModel ?? null);
  const gold: Label[] = alignment.blocks.map((aligned, i) =>
    aligned.editorial && !guideBoilerplate(analysis.features[i]) ? 'editorial' : promoShare[i] >= PROMO_SHARE ? 'promo' : 'boilerplate',
  );
  const info = options.info ?? { name: 'WCXB', version: 'unknown', license: 'CC-BY-4.0', split: 'dev' };
  const provenance: Provenance = {
    corpus: `${info.name} (${info.split})`,
    version: info.version,
    license: info.license,
    pageId: page.id,
    review: ALIGNED_REVIEW,
    truthCovered: Math.round(alignment.truthCovered * 1000) / 1000,
  };
  const meta: FixtureMeta = {
    url: page.url || undefined,
    template: page.pageType,
    language: analysis.language,
    source: 'corpus-aligned',
    provenance,
  };
  return {
    slug: `wcxb-${page.id}`,
    meta,
    analysis,
    gold,
    ...(options.promoModel ? { promoShare } : {}),
    alignment,
    corpusPage: { id: page.id, url: page.url, truth: page.truth, title: page.title, with: page.with, without: page.without, pageType: page.pageType },
  };
}

/**
 * Feature tokens of blocks the labeling guide calls boilerplate even inside the article, where a
 * benchmark's ground truth often keeps them: bylines, datelines and publication stamps, photo
 * credits and captions.
 */
const GUIDE_BOILERPLATE = ['mcue=byline', 'mcue=dateline', 'mcue=stamp', 'mcue=credit', 'tag=figcaption'];

function guideBoilerplate(features: Map<string, number>): boolean {
  return GUIDE_BOILERPLATE.some((token) => features.has(token));
}

/**
 * Per block: the fixture model's promo posterior as a share of promo + boilerplate (0 without a
 * model). Training splits a block that is not main content by this share; the hard label
 * (written out for review) is promo only from PROMO_SHARE up.
 */
function promoShares(analysis: PageAnalysis, model: Model | null): number[] {
  if (!model || analysis.blocks.length === 0) return analysis.blocks.map(() => 0);
  const promo = LABELS.indexOf('promo');
  const boilerplate = LABELS.indexOf('boilerplate');
  const { scores } = scoreBlocks(analysis.blocks, analysis.features, model);
  return scores.map((row) => {
    const posterior = softmax(row, model.temperature);
    const sum = posterior[promo] + posterior[boilerplate];
    return sum > 0 ? Math.round((posterior[promo] / sum) * 1000) / 1000 : 0;
  });
}
