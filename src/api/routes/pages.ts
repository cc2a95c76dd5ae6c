import type { JobState } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import { AllowList, validateUrl } from '../../fetch/ssrf.js';
import { FetchError } from '../../fetch/errors.js';
import type { PageRecord, Store, StoredArticle } from '../../storage/store.js';
import { tryNormalizeUrl } from '../../storage/url-key.js';
import { enqueueModerate, moderateJobId, type Enqueued } from '../../../workers/queues.js';
import { submissionLedgerOf, submitFetch } from '../../../workers/submissions.js';
import { ApiError, errorBodySchema, MAX_BATCH } from '../errors.js';
import type { QueueAccess } from '../queue-access.js';
import { articleWithTextSchema, bearerSecurity } from '../schemas.js';

/** Most bytes of JSON a request without raw HTML may have. */
export const MAX_JSON_BYTES = 1024 * 1024;
/** Most bytes (UTF-8) of one submitted page's HTML: the pipeline's own page limit. */
export const MAX_HTML_BYTES = 10 * 1024 * 1024;
/** Room for JSON escaping of the HTML and the rest of the body, on top of {@link MAX_HTML_BYTES}. */
const HTML_BODY_OVERHEAD = 1024 * 1024;
/** Body limit of `POST /v1/pages`; bodies over {@link MAX_JSON_BYTES} must carry HTML. */
export const PAGES_BODY_LIMIT = MAX_HTML_BYTES + HTML_BODY_OVERHEAD;
/** Longest URL accepted. */
const MAX_URL_LENGTH = 8192;
/** How many recent failures are searched for a failed fetch job's URL. */
const FAILURE_SCAN_LIMIT = 1000;

export interface PagesRouteOptions {
  store: Store;
  access: QueueAccess;
  /** Hosts/CIDRs exempt from the address and port checks of `validateUrl`. */
  allowPrivate: AllowList;
}

interface PageInput {
  url: string;
  html?: string;
}

type SubmitBody = Partial<PageInput> & { pages?: PageInput[] };

/** One submitted page in the 202 answer. */
interface SubmitResult {
  /** Job id: `u-<sha256>` for a URL to fetch, `p-<pageId>` for submitted HTML. */
  id: string;
  url: string;
  status: 'queued' | 'duplicate';
  /** Stored page, for submitted HTML. */
  pageId?: string;
}

type PageState = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed' | 'done' | 'unknown';

interface PageStatus {
  id: string;
  url: string | null;
  pageId: string | null;
  state: PageState;
  error: { code: string; message: string } | null;
  article: (ReturnType<typeof articleWithText> & object) | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Size in bytes of the parsed JSON body (0 when there was none). */
    bodyBytes: number;
  }
}

const pageInputSchema = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: { type: 'string', minLength: 1, maxLength: MAX_URL_LENGTH, description: 'absolute http(s) URL' },
    html: { type: 'string', description: 'the page as saved; stored and moderated without a fetch (at most 10 MiB)' },
  },
} as const;

const submitBodySchema = {
  type: 'object',
  additionalProperties: false,
  description: '`{url}` or `{url, html}` for one page, or `{pages: [...]}` for a batch',
  properties: {
    ...pageInputSchema.properties,
    pages: { type: 'array', minItems: 1, maxItems: MAX_BATCH, items: pageInputSchema },
  },
  oneOf: [{ required: ['url'], not: { required: ['pages'] } }, { required: ['pages'], not: { anyOf: [{ required: ['url'] }, { required: ['html'] }] } }],
} as const;

const submitResultSchema = {
  type: 'object',
  required: ['id', 'url', 'status'],
  properties: {
    id: { type: 'string', description: 'job id: u-<sha256 of the normalised URL> (fetch) or p-<pageId> (moderate)' },
    url: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'duplicate'] },
    pageId: { type: 'string' },
  },
} as const;

const pageStatusSchema = {
  type: 'object',
  required: ['id', 'url', 'pageId', 'state', 'error', 'article'],
  properties: {
    id: { type: 'string' },
    url: { type: ['string', 'null'] },
    pageId: { type: ['string', 'null'] },
    state: { type: 'string', enum: ['waiting', 'active', 'delayed', 'completed', 'failed', 'done', 'unknown'] },
    error: {
      type: ['object', 'null'],
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
    article: { anyOf: [articleWithTextSchema, { type: 'null' }] },
  },
} as const;

/** `POST /v1/pages` (submit) and `GET /v1/pages/:id` (state of a job or page). */
export const pagesRoutes: FastifyPluginAsync<PagesRouteOptions> = async (app, { store, access, allowPrivate }) => {
  const ledger = submissionLedgerOf(store);

  /**
   * Record a URL submission in the database, then queue its fetch job. A submission the database
   * cannot record is answered 503 like a Redis outage, naming the item, and its job is not queued
   * (the items before it are: sent again, they come back as duplicates).
   */
  const submitUrl = async (url: string, item: number): Promise<Enqueued> => {
    try {
      return await submitFetch(access.queues.fetch, ledger, { url, source: 'api' }, (call) => access.run(call));
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new ApiError('WINNOW_ERR_QUEUE_UNAVAILABLE', 'the database cannot record the submission, so it was not queued; try again later', {
        item,
        cause: error,
      });
    }
  };

  app.post<{ Body: SubmitBody }>(
    '/v1/pages',
    {
      bodyLimit: PAGES_BODY_LIMIT,
      schema: {
        summary: 'Queue pages: URLs to fetch, or saved HTML to moderate',
        description:
          'Every URL is checked before anything is queued; one bad item fails the whole request (400, `item` names it). ' +
          'A URL is recorded in the database before its fetch job is queued, so a Redis that loses its data loses no submission (`winnow requeue-pending`). ' +
          'JSON bodies are limited to 1 MiB, except that submitted HTML may be up to 10 MiB per page.',
        security: bearerSecurity,
        body: submitBodySchema,
        response: {
          202: { type: 'object', required: ['pages'], properties: { pages: { type: 'array', items: submitResultSchema } } },
          400: errorBodySchema,
          401: errorBodySchema,
          413: errorBodySchema,
          415: errorBodySchema,
          503: errorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const single = body.pages === undefined;
      const items: PageInput[] = single ? [{ url: body.url!, html: body.html }] : body.pages!;
      const hasHtml = items.some((item) => item.html !== undefined);
      if (!hasHtml && request.bodyBytes > MAX_JSON_BYTES) {
        throw new ApiError('WINNOW_ERR_BODY_TOO_LARGE', 'JSON body is over 1 MiB (only submissions carrying HTML may be larger)');
      }
      items.forEach((item, index) => checkItem(item, single ? 'url' : `pages[${index}]`, index, allowPrivate));

      await access.ensureUp();
      const results: SubmitResult[] = [];
      for (const [index, item] of items.entries()) {
        if (item.html === undefined) {
          const enqueued = await submitUrl(item.url, index);
          results.push({ id: enqueued.jobId, url: item.url, status: enqueued.created ? 'queued' : 'duplicate' });
        } else {
          const { page } = await store.putPage({ url: item.url, source: 'api', raw: Buffer.from(item.html, 'utf8'), contentType: 'text/html; charset=utf-8' });
          const enqueued = await access.run(() => enqueueModerate(access.queues.moderate, page.id));
          results.push({ id: enqueued.jobId, url: item.url, status: enqueued.created ? 'queued' : 'duplicate', pageId: page.id });
        }
      }
      return reply.code(202).send({ pages: results });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/pages/:id',
    {
      schema: {
        summary: 'State of a submitted page: its job, and its article or failure reason once done',
        description:
          '`id` is a job id (`u-…` from a URL submission, `p-…` from HTML) or a page id. ' +
          '`state` is the job state until the stored page is done (article) or failed (error from the store). 404 with state `unknown` when neither a job nor a page has this id.',
        security: bearerSecurity,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' } } },
        response: { 200: pageStatusSchema, 404: pageStatusSchema, 400: errorBodySchema, 401: errorBodySchema, 503: errorBodySchema },
      },
    },
    async (request, reply) => {
      const status = await pageStatus(request.params.id, store, access);
      return reply.code(status.state === 'unknown' && status.pageId === null ? 404 : 200).send(status);
    },
  );
};

/** Throws a 400 (bad URL) or 413 (HTML too large) naming the item. */
function checkItem(item: PageInput, where: string, index: number, allowPrivate: AllowList): void {
  try {
    validateUrl(item.url, allowPrivate);
  } catch (error) {
    const reason = error instanceof FetchError ? error.message : String(error);
    throw new ApiError('WINNOW_ERR_BAD_URL', `${where}: ${reason}`, { item: index });
  }
  if (item.html !== undefined && Buffer.byteLength(item.html, 'utf8') > MAX_HTML_BYTES) {
    throw new ApiError('WINNOW_ERR_HTML_TOO_LARGE', `${where}: HTML is over 10 MiB`, { item: index });
  }
}

/** BullMQ's finer states folded into the ones the API reports. */
function apiState(state: JobState | 'unknown'): PageState {
  switch (state) {
    case 'waiting':
    case 'prioritized':
    case 'waiting-children':
      return 'waiting';
    case 'active':
    case 'delayed':
    case 'completed':
    case 'failed':
      return state;
    default:
      return 'unknown';
  }
}

/**
 * Combines the job (fetch `u-…` or moderate `p-…`) with the stored page: a page that is done or
 * failed in the store is final whatever Redis still holds; otherwise the job state is reported.
 */
async function pageStatus(id: string, store: Store, access: QueueAccess): Promise<PageStatus> {
  const status: PageStatus = { id, url: null, pageId: null, state: 'unknown', error: null, article: null };
  let jobFailure: string | undefined;

  if (id.startsWith('u-')) {
    const job = await access.run(() => access.queues.fetch.getJob(id));
    if (!job) return status;
    status.url = job.data.url;
    const state = apiState(await access.run(() => job.getState()));
    status.state = state;
    if (state === 'failed') {
      const failed = await failedPageFor(job.data.url, store);
      status.pageId = failed?.id ?? null;
      status.error = failed?.errorCode
        ? { code: failed.errorCode, message: failed.errorMessage ?? '' }
        : { code: 'job_failed', message: job.failedReason ?? 'the fetch job failed' };
      return status;
    }
    if (state !== 'completed' || !job.returnvalue?.pageId) return status;
    status.pageId = job.returnvalue.pageId;
  } else {
    status.pageId = id.startsWith('p-') ? id.slice(2) : id;
  }

  const pageId = status.pageId;
  const page = await store.getPage(pageId);
  if (page) status.url = page.url ?? status.url;
  if (page?.status === 'done') {
    const article = await store.getArticle(page.articleId ?? pageId);
    status.state = 'done';
    status.article = article ? articleWithText(article) : null;
    return status;
  }
  if (page?.status === 'failed') {
    status.state = 'failed';
    status.error = { code: page.errorCode ?? 'failed', message: page.errorMessage ?? '' };
    return status;
  }

  const job = await access.run(() => access.queues.moderate.getJob(moderateJobId(pageId)));
  if (job) {
    status.state = apiState(await access.run(() => job.getState()));
    if (status.state === 'failed') jobFailure = job.failedReason;
  } else {
    // The page is stored but no moderate job is kept (removed, or never queued).
    status.state = page ? 'unknown' : status.state;
    if (!page && !id.startsWith('u-')) status.pageId = null;
  }
  if (status.state === 'failed') status.error = { code: 'job_failed', message: jobFailure ?? 'the moderate job failed' };
  return status;
}

/** The most recently failed page stored under `url` (the fetch stage records failures that way). */
async function failedPageFor(url: string, store: Store): Promise<PageRecord | null> {
  const key = tryNormalizeUrl(url);
  if (key === null) return null;
  const failures = await store.listFailures(FAILURE_SCAN_LIMIT);
  return failures.find((page) => tryNormalizeUrl(page.url) === key) ?? null;
}

/** Article summary fields plus the text, from a stored article. */
export function articleWithText(article: StoredArticle) {
  return {
    id: article.id,
    pageId: article.pageId,
    url: article.url,
    title: article.title,
    siteName: article.siteName,
    model: article.model,
    blockCount: article.blocks.length,
    counts: article.counts,
    minConfidence: article.blocks.reduce((min, block) => Math.min(min, block.confidence), article.blocks.length > 0 ? Infinity : 1),
    createdAt: article.createdAt,
    text: article.text,
  };
}
