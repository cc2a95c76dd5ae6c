import type { FastifyPluginAsync } from 'fastify';
import type { ArticleFilter, Store } from '../../storage/store.js';
import { LABELS, type Label } from '../../types.js';
import { ApiError, errorBodySchema } from '../errors.js';
import { articleSummarySchema, bearerSecurity, storedArticleSchema } from '../schemas.js';

/** Page size of `GET /v1/articles` when no `limit` is given. */
export const DEFAULT_LIST_LIMIT = 50;
/** Largest `limit` accepted (the store's own cap). */
export const MAX_LIST_LIMIT = 1000;

export interface ArticlesRouteOptions {
  store: Store;
}

/** Query of an article list: filters and a page. */
export interface ListQuery {
  site?: string;
  label?: Label;
  model?: string;
  limit: number;
  offset: number;
}

/** JSON schema of ListQuery; `labelMeaning` says what the label filter selects on this route. */
export function listQuerySchema(labelMeaning: string) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      site: { type: 'string', minLength: 1, maxLength: 253, description: 'host name of the article URL (exact)' },
      label: { type: 'string', enum: [...LABELS], description: labelMeaning },
      model: { type: 'string', minLength: 1, maxLength: 200 },
      limit: { type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT },
      offset: { type: 'integer', minimum: 0, default: 0 },
    },
  } as const;
}

/** The store filter a list query asks for (absent parameters stay absent). */
export function filterOf(query: ListQuery): ArticleFilter {
  const { site, label, model, limit, offset } = query;
  const filter: ArticleFilter = { limit, offset };
  if (site !== undefined) filter.site = site;
  if (label !== undefined) filter.label = label;
  if (model !== undefined) filter.model = model;
  return filter;
}

/** `GET /v1/articles` (summaries, filtered and paged) and `GET /v1/articles/:id` (one article, blocks included). */
export const articlesRoutes: FastifyPluginAsync<ArticlesRouteOptions> = async (app, { store }) => {
  app.get<{ Querystring: ListQuery }>(
    '/v1/articles',
    {
      schema: {
        summary: 'List stored articles, newest first',
        security: bearerSecurity,
        querystring: listQuerySchema('only articles with at least one block of this label'),
        response: {
          200: {
            type: 'object',
            required: ['articles', 'limit', 'offset'],
            properties: { articles: { type: 'array', items: articleSummarySchema }, limit: { type: 'integer' }, offset: { type: 'integer' } },
          },
          400: errorBodySchema,
          401: errorBodySchema,
        },
      },
    },
    async (request) => {
      const { limit, offset } = request.query;
      return { articles: await store.listArticles(filterOf(request.query)), limit, offset };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/articles/:id',
    {
      schema: {
        summary: 'One stored article, blocks included',
        description: '`id` is an article id or a page id (URL-encoded, an article URL also works: the latest article for it).',
        security: bearerSecurity,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 8192 } } },
        response: { 200: storedArticleSchema, 401: errorBodySchema, 404: errorBodySchema },
      },
    },
    async (request) => {
      const article = await store.getArticle(request.params.id);
      if (!article) throw new ApiError('WINNOW_ERR_NOT_FOUND', `no article ${request.params.id.slice(0, 200)}`);
      return article;
    },
  );
};
