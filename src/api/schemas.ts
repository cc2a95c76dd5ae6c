import { LABELS } from '../types.js';

/**
 * JSON schemas shared by the routes. They validate input, serialize output (fast-json-stringify)
 * and describe the API in /v1/openapi.json.
 */

const labelCounts = {
  type: 'object',
  required: [...LABELS],
  properties: Object.fromEntries(LABELS.map((label) => [label, { type: 'number' }])),
} as const;

/** A stored article without its text and blocks (`store.listArticles`). */
export const articleSummarySchema = {
  type: 'object',
  required: ['id', 'pageId', 'url', 'title', 'siteName', 'model', 'blockCount', 'counts', 'minConfidence', 'createdAt'],
  properties: {
    id: { type: 'string' },
    pageId: { type: 'string' },
    url: { type: ['string', 'null'] },
    title: { type: ['string', 'null'] },
    siteName: { type: ['string', 'null'] },
    model: { type: 'string' },
    blockCount: { type: 'integer' },
    counts: { ...labelCounts, description: 'words per label' },
    minConfidence: { type: 'number', description: 'lowest block confidence (where review should look first)' },
    createdAt: { type: 'string' },
  },
} as const;

/** The summary plus the article text, as `GET /v1/pages/:id` returns it. */
export const articleWithTextSchema = {
  ...articleSummarySchema,
  required: [...articleSummarySchema.required, 'text'],
  properties: { ...articleSummarySchema.properties, text: { type: 'string' } },
} as const;

/** One labeled block of a stored article (`LabeledBlock`). */
export const blockSchema = {
  type: 'object',
  // Extra fields a later pipeline adds are passed through rather than silently dropped.
  additionalProperties: true,
  required: ['index', 'path', 'tag', 'text', 'html', 'label', 'confidence', 'scores', 'readability', 'listingSize', 'listingKey', 'topFeatures'],
  properties: {
    index: { type: 'integer' },
    path: { type: 'string' },
    tag: { type: 'string' },
    text: { type: 'string' },
    html: { type: 'string', description: 'sanitized HTML' },
    label: { type: 'string', enum: [...LABELS] },
    confidence: { type: 'number' },
    scores: labelCounts,
    rawLabel: { type: 'string', enum: [...LABELS] },
    smoothedBy: { type: 'string' },
    readability: { type: 'number' },
    listingSize: { type: 'integer' },
    listingKey: { type: ['string', 'null'] },
    topFeatures: { type: 'array', items: { type: 'string' } },
  },
} as const;

/** A whole stored article, blocks included (`store.getArticle`). */
export const storedArticleSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['id', 'pageId', 'createdAt', 'url', 'title', 'text', 'html', 'markdown', 'blocks', 'model', 'engine', 'counts'],
  properties: {
    id: { type: 'string' },
    pageId: { type: 'string' },
    createdAt: { type: 'string' },
    url: { type: ['string', 'null'] },
    title: { type: ['string', 'null'] },
    byline: { type: ['string', 'null'] },
    publishedTime: { type: ['string', 'null'] },
    siteName: { type: ['string', 'null'] },
    lang: { type: ['string', 'null'] },
    excerpt: { type: ['string', 'null'] },
    text: { type: 'string' },
    html: { type: 'string' },
    markdown: { type: 'string' },
    blocks: { type: 'array', items: blockSchema },
    model: { type: 'string' },
    engine: { type: 'string' },
    counts: labelCounts,
    fallback: { type: 'boolean', description: 'no block was labeled editorial: the article is the likeliest main region' },
  },
} as const;

/** Security requirement of every authenticated route, for the OpenAPI description. */
export const bearerSecurity = [{ bearerAuth: [] }];
