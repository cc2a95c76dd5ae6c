import type { FastifyPluginAsync } from 'fastify';
import { explainBlock } from '../../review/explain.js';
import { renderStoredPage } from '../../review/page-render.js';
import { reviewReasons } from '../../review/queue.js';
import type { CorrectionInput } from '../../review/types.js';
import type { StoredArticle, Store } from '../../storage/store.js';
import type { Label } from '../../types.js';
import { ApiError, errorBodySchema } from '../errors.js';
import { bearerSecurity } from '../schemas.js';
import { filterOf, listQuerySchema, type ListQuery } from './articles.js';
import { reviewCall } from './review-errors.js';
import {
  correctionSchema,
  correctionsBodySchema,
  idParamsSchema,
  reviewArticleSchema,
  reviewBlockSchema,
  reviewSummarySchema,
} from './review-schemas.js';

export interface ReviewArticlesRouteOptions {
  store: Store;
}


interface CorrectionsBody {
  reviewer: string;
  corrections: CorrectionInput[];
}

/**
 * Articles as review sees them: `GET /v1/review/articles` (summaries with how many blocks were
 * reviewed), `GET /v1/review/articles/:id` (every block with its effective label) and
 * `POST /v1/review/articles/:id/corrections` (decisions, all or nothing).
 */
export const reviewArticlesRoutes: FastifyPluginAsync<ReviewArticlesRouteOptions> = async (app, { store }) => {
  app.get<{ Querystring: ListQuery }>(
    '/v1/review/articles',
    {
      schema: {
        summary: 'Stored articles, newest first, with how many of their blocks were reviewed',
        security: bearerSecurity,
        querystring: listQuerySchema('only articles with at least one block the model gave this label'),
        response: {
          200: { type: 'object', required: ['articles'], properties: { articles: { type: 'array', items: reviewSummarySchema } } },
          400: errorBodySchema,
          401: errorBodySchema,
        },
      },
    },
    // One query: the store counts each article's reviewed blocks in the list itself.
    async (request) => ({ articles: await store.listArticles(filterOf(request.query), { reviewedBlocks: true }) }),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/review/articles/:id',
    {
      schema: {
        summary: 'One article for review: every block with its effective label and latest decision',
        description: '`id` is an article id or a page id. `label` is the latest review decision, else the model label (`modelLabel`).',
        security: bearerSecurity,
        params: idParamsSchema,
        response: {
          200: { type: 'object', required: ['article', 'blocks'], properties: { article: reviewArticleSchema, blocks: { type: 'array', items: reviewBlockSchema } } },
          400: errorBodySchema,
          401: errorBodySchema,
          404: errorBodySchema,
        },
      },
    },
    async (request) => {
      const article = await findArticle(store, request.params.id);
      const reviews = await store.blockReviews(article.pageId);
      const listingLabels = listingMajorities(article);
      const blocks = article.blocks.map((block, i) => {
        const review = reviews.get(block.path) ?? null;
        const reasons = reviewReasons({
          ...block,
          smoothedBy: block.smoothedBy ?? null,
          fallback: article.fallback && block.label === 'editorial',
          listingLabel: block.listingKey === null ? null : (listingLabels.get(block.listingKey) ?? null),
        });
        const before = article.blocks.slice(Math.max(0, i - 6), i).map((other) => other.text);
        return { ...block, label: review?.label ?? block.label, modelLabel: block.label, review, reasons, why: explainBlock(block, before) };
      });
      const { id, pageId, url, title, siteName, model, createdAt, html, fallback } = article;
      return { article: { id, pageId, url, title, siteName, model, createdAt, html, fallback }, blocks };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/review/articles/:id/page',
    {
      schema: {
        summary: 'The stored page as it was scraped, made inert, with each block element marked data-winnow-block',
        description:
          'Scripts, event handlers, frames, forms, stylesheets and every URL are removed, so nothing runs and nothing is fetched from the scraped site. ' +
          'Show it only in a sandboxed frame without scripts.',
        security: bearerSecurity,
        params: idParamsSchema,
        response: {
          200: { type: 'object', required: ['html'], properties: { html: { type: 'string', description: "inner HTML of the page's body" } } },
          400: errorBodySchema,
          401: errorBodySchema,
          404: errorBodySchema,
        },
      },
    },
    async (request) => {
      const article = await findArticle(store, request.params.id);
      const [page, raw] = await Promise.all([store.getPage(article.pageId), store.getRawPage(article.pageId)]);
      if (!raw) throw new ApiError('WINNOW_ERR_NOT_FOUND', `the raw page of article ${article.id} is not stored`);
      return { html: renderStoredPage(raw, page?.contentType ?? null, article) };
    },
  );

  app.post<{ Params: { id: string }; Body: CorrectionsBody }>(
    '/v1/review/articles/:id/corrections',
    {
      schema: {
        summary: 'Record review decisions on blocks of an article, all or nothing',
        description:
          'Each correction names the label the reviewer saw (`expected`); when a block holds another label by now, nothing is written and the answer is 409 with `current`. ' +
          'A block appears at most once per request; relabelling a listing sends every block of it in one request.',
        security: bearerSecurity,
        params: idParamsSchema,
        body: correctionsBodySchema,
        response: {
          201: { type: 'object', required: ['corrections'], properties: { corrections: { type: 'array', items: correctionSchema } } },
          400: errorBodySchema,
          401: errorBodySchema,
          403: errorBodySchema,
          404: errorBodySchema,
          409: errorBodySchema,
          415: errorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const { reviewer, corrections } = request.body;
      const duplicate = firstDuplicate(corrections.map((correction) => correction.blockIndex));
      if (duplicate !== undefined) throw new ApiError('WINNOW_ERR_VALIDATION', `block ${duplicate} appears more than once; send one decision per block`);
      const written = await reviewCall(() => store.addCorrections(request.params.id, corrections, reviewer));
      return reply.code(201).send({ corrections: written });
    },
  );
};

async function findArticle(store: Store, id: string): Promise<StoredArticle> {
  const article = await store.getArticle(id);
  if (!article) throw new ApiError('WINNOW_ERR_NOT_FOUND', `no article ${id}`);
  return article;
}

/** Per listing key, the label most of its blocks carry (ties: the first label by name, as the store's queue). */
function listingMajorities(article: StoredArticle): Map<string, Label> {
  const counts = new Map<string, Map<Label, number>>();
  for (const block of article.blocks) {
    if (block.listingKey === null) continue;
    const byLabel = counts.get(block.listingKey) ?? new Map<Label, number>();
    byLabel.set(block.label, (byLabel.get(block.label) ?? 0) + 1);
    counts.set(block.listingKey, byLabel);
  }
  const majorities = new Map<string, Label>();
  for (const [key, byLabel] of counts) {
    const [best] = [...byLabel].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    majorities.set(key, best[0]);
  }
  return majorities;
}

function firstDuplicate(values: number[]): number | undefined {
  const seen = new Set<number>();
  for (const value of values) {
    if (seen.has(value)) return value;
    seen.add(value);
  }
  return undefined;
}
