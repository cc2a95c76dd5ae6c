import { REVIEW_REASONS } from '../../review/queue.js';
import { LABELS } from '../../types.js';
import { articleSummarySchema, blockSchema } from '../schemas.js';

/**
 * JSON schemas of the review API: they validate input, serialize output and describe the routes
 * in /v1/openapi.json. Objects built by the review library (reports, jobs, model entries) let
 * fields they do not list through, so a field added there is not silently dropped here.
 */

/** Most corrections one request may carry (a whole listing is one request). */
export const MAX_CORRECTIONS = 500;
/** Most page ids one export request may name. */
export const MAX_EXPORT_PAGES = 1000;
/** Longest reviewer name (the storage contract's bound). */
export const MAX_REVIEWER_LENGTH = 64;

const label = { type: 'string', enum: [...LABELS] } as const;

/**
 * A reviewer's name: 1–64 characters, no control characters, no leading or trailing space. It
 * is free-form (not an account) and only recorded with each decision and promotion.
 */
export const reviewerSchema = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_REVIEWER_LENGTH,
  pattern: '^[^\\s\\p{Cc}](?:[^\\p{Cc}]*[^\\s\\p{Cc}])?$',
  description: 'who decides (1–64 characters, no control characters, trimmed)',
} as const;

/** Body of actions that only record who did them (train, promote, rollback, discard, reprocess). */
export const reviewerBodySchema = {
  type: 'object',
  required: ['reviewer'],
  additionalProperties: false,
  properties: { reviewer: reviewerSchema },
} as const;

/** Ids of articles and pages as the store makes them. */
export const idParamsSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' } },
} as const;

/** A model version names a file in the models folder: one path segment, never `..` or a slash. */
export const versionParamsSchema = {
  type: 'object',
  required: ['version'],
  properties: { version: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*(?:\\.[A-Za-z0-9_-]+)*$' } },
} as const;

export const correctionsBodySchema = {
  type: 'object',
  required: ['reviewer', 'corrections'],
  additionalProperties: false,
  properties: {
    reviewer: reviewerSchema,
    corrections: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_CORRECTIONS,
      description: 'one decision per block; relabelling a listing sends every block of it',
      items: {
        type: 'object',
        required: ['blockIndex', 'label', 'expected'],
        additionalProperties: false,
        properties: {
          blockIndex: { type: 'integer', minimum: 0 },
          label,
          expected: { ...label, description: 'the label the reviewer saw; another one stored means someone changed it first (409)' },
          undoes: { type: ['integer', 'null'], minimum: 1, description: 'id of the correction this one undoes' },
        },
      },
    },
  },
} as const;

export const correctionSchema = {
  type: 'object',
  required: ['id', 'pageId', 'articleId', 'blockIndex', 'path', 'textHash', 'previousLabel', 'label', 'reviewer', 'createdAt', 'model', 'undoes'],
  properties: {
    id: { type: 'integer' },
    pageId: { type: 'string' },
    articleId: { type: 'string' },
    blockIndex: { type: 'integer' },
    path: { type: 'string' },
    textHash: { type: 'string' },
    previousLabel: label,
    label,
    reviewer: { type: 'string' },
    createdAt: { type: 'string' },
    model: { type: 'string' },
    undoes: { type: ['integer', 'null'] },
  },
} as const;

const blockReviewSchema = {
  type: 'object',
  required: ['label', 'correctionId', 'reviewer', 'createdAt'],
  properties: { label, correctionId: { type: 'integer' }, reviewer: { type: 'string' }, createdAt: { type: 'string' } },
} as const;

/** A block as review shows it: `label` is the effective one, `modelLabel` what the model said. */
export const reviewBlockSchema = {
  ...blockSchema,
  required: [...blockSchema.required, 'modelLabel', 'review', 'reasons'],
  properties: {
    ...blockSchema.properties,
    label: { ...label, description: 'effective label: the latest review decision, else the model label' },
    modelLabel: label,
    reasons: {
      type: 'array',
      description: "why the review queue would offer the block (the model's verdict, before any review)",
      items: { type: 'string', enum: [...REVIEW_REASONS] },
    },
    why: { type: 'array', items: { type: 'string' }, description: 'why the model gave its label, in sentences built from its top features' },
    review: { anyOf: [blockReviewSchema, { type: 'null' }] },
  },
} as const;

const { id, pageId, url, title, siteName, model, createdAt } = articleSummarySchema.properties;

export const reviewArticleSchema = {
  type: 'object',
  required: ['id', 'pageId', 'url', 'title', 'siteName', 'model', 'createdAt', 'html'],
  properties: {
    id,
    pageId,
    url,
    title,
    siteName,
    model,
    createdAt,
    html: { type: 'string', description: 'editorial HTML as stored (allow-list serializer); sanitize again before showing' },
    fallback: { type: 'boolean', description: 'no block was labeled editorial: the editorial blocks are the likeliest main region' },
  },
} as const;

export const reviewSummarySchema = {
  ...articleSummarySchema,
  required: [...articleSummarySchema.required, 'reviewedBlocks'],
  properties: { ...articleSummarySchema.properties, reviewedBlocks: { type: 'integer', description: 'blocks with a review decision' } },
} as const;

export const reviewStatsSchema = {
  type: 'object',
  required: ['corrections', 'reviewedBlocks', 'changedBlocks', 'reviewedPages', 'byReviewer'],
  properties: {
    corrections: { type: 'integer' },
    reviewedBlocks: { type: 'integer' },
    changedBlocks: { type: 'integer', description: 'blocks whose latest decision differs from the model' },
    reviewedPages: { type: 'integer' },
    byReviewer: {
      type: 'array',
      items: { type: 'object', required: ['reviewer', 'corrections'], properties: { reviewer: { type: 'string' }, corrections: { type: 'integer' } } },
    },
  },
} as const;

export const rankedCandidateSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['articleId', 'pageId', 'url', 'site', 'title', 'model', 'blockIndex', 'path', 'tag', 'text', 'label', 'confidence', 'priority', 'reasons'],
  properties: {
    articleId: { type: 'string' },
    pageId: { type: 'string' },
    url: { type: ['string', 'null'] },
    site: { type: ['string', 'null'] },
    title: { type: ['string', 'null'] },
    model: { type: 'string' },
    blockIndex: { type: 'integer' },
    path: { type: 'string' },
    tag: { type: 'string' },
    text: { type: 'string' },
    label,
    confidence: { type: 'number' },
    rawLabel: { anyOf: [label, { type: 'null' }] },
    smoothedBy: { type: ['string', 'null'] },
    readability: { type: 'number' },
    listingSize: { type: 'integer' },
    listingKey: { type: ['string', 'null'] },
    topFeatures: { type: 'array', items: { type: 'string' } },
    priority: { type: 'number', description: 'higher: more likely wrong' },
    reasons: { type: 'array', items: { type: 'string', enum: [...REVIEW_REASONS] } },
    listingLabel: { anyOf: [label, { type: 'null' }], description: 'label most of its listing carries' },
    audit: { type: 'boolean', description: 'drawn at random among blocks the model was sure of' },
    why: { type: 'array', items: { type: 'string' }, description: 'why the model gave its label, in sentences built from its top features' },
  },
} as const;

const classMetricsSchema = {
  type: 'object',
  required: ['precision', 'recall', 'f1', 'support'],
  properties: { precision: { type: 'number' }, recall: { type: 'number' }, f1: { type: 'number' }, support: { type: 'integer' } },
} as const;

/** `ModelMetrics` (src/classify/model.ts). */
export const modelMetricsSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['perClass', 'macroF1', 'accuracy', 'confusion'],
  properties: {
    perClass: { type: 'object', required: [...LABELS], properties: Object.fromEntries(LABELS.map((name) => [name, classMetricsSchema])) },
    macroF1: { type: 'number' },
    accuracy: { type: 'number' },
    confusion: {
      type: 'array',
      description: `rows: true label, columns: predicted, both in the order ${LABELS.join(', ')}`,
      items: { type: 'array', items: { type: 'number' } },
    },
    method: { type: 'string' },
  },
} as const;

const metricsPairSchema = {
  type: 'object',
  required: ['candidate', 'current'],
  properties: { candidate: modelMetricsSchema, current: modelMetricsSchema },
} as const;

/** `ComparisonReport` (src/review/compare.ts): candidate and current model on the same page-level split. */
export const comparisonReportSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['candidate', 'current', 'all', 'reviewed'],
  properties: {
    candidate: { type: 'string' },
    current: { type: 'string' },
    createdAt: { type: 'string' },
    fixtureHash: { type: 'string' },
    method: { type: 'string' },
    pages: { type: 'integer' },
    reviewedPages: { type: 'integer' },
    currentTrainingPages: { type: 'integer', description: "pages the current model's configuration trains on in each fold" },
    all: { ...metricsPairSchema, description: 'both models held out on the same folds of every page' },
    reviewed: { anyOf: [metricsPairSchema, { type: 'null' }], description: 'pages exported from review only (null when there are none)' },
    deployed: {
      type: 'object',
      description: 'the current model file as deployed, in-sample where it was trained: reference only',
      properties: { all: modelMetricsSchema, reviewed: { anyOf: [modelMetricsSchema, { type: 'null' }] } },
    },
    changes: {
      type: 'object',
      description: 'reviewed blocks the candidate labels differently from the current model',
      properties: {
        fixed: { type: 'integer' },
        broke: { type: 'integer' },
        stillWrong: { type: 'integer' },
        blocks: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              slug: { type: 'string' },
              path: { type: 'string' },
              text: { type: 'string' },
              truth: { type: 'string' },
              current: { type: 'string' },
              candidate: { type: 'string' },
              verdict: { type: 'string', enum: ['fixed', 'broke', 'still wrong'] },
            },
          },
        },
      },
    },
  },
} as const;

/** `TrainingJob` (src/review/training.ts). */
export const trainingJobSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['id', 'state', 'by', 'startedAt', 'finishedAt', 'progress', 'candidate', 'report', 'error'],
  properties: {
    id: { type: 'string' },
    state: { type: 'string', enum: ['running', 'done', 'failed'] },
    by: { type: 'string' },
    startedAt: { type: 'string' },
    finishedAt: { type: ['string', 'null'] },
    progress: {
      type: 'object',
      required: ['stage', 'done', 'total'],
      properties: { stage: { type: 'string' }, done: { type: 'number' }, total: { type: 'number' } },
    },
    candidate: { type: ['string', 'null'], description: 'version of the trained model, once done' },
    report: { anyOf: [comparisonReportSchema, { type: 'null' }] },
    error: { type: ['string', 'null'] },
  },
} as const;

/** `ModelEntry` (src/review/registry.ts). */
export const modelEntrySchema = {
  type: 'object',
  additionalProperties: true,
  required: ['version', 'createdAt', 'isCurrent', 'status'],
  properties: {
    version: { type: 'string' },
    createdAt: { type: 'string' },
    trainedOn: { type: 'object', additionalProperties: true },
    metrics: { anyOf: [modelMetricsSchema, { type: 'null' }] },
    isCurrent: { type: 'boolean' },
    status: { type: 'string', enum: ['current', 'candidate', 'previous', 'discarded'] },
  },
} as const;

/** `PromotionRecord` (src/review/registry.ts). */
export const promotionRecordSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['version', 'previous', 'by', 'at', 'action'],
  properties: {
    version: { type: 'string' },
    previous: { type: ['string', 'null'] },
    by: { type: 'string' },
    at: { type: 'string' },
    action: { type: 'string', enum: ['promote', 'rollback'] },
  },
} as const;

/** What a promotion or rollback did. */
export const modelSwitchSchema = {
  type: 'object',
  required: ['current', 'previous'],
  properties: { current: { type: 'string' }, previous: { type: ['string', 'null'] } },
} as const;

export const exportBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    pageIds: {
      type: 'array',
      maxItems: MAX_EXPORT_PAGES,
      items: idParamsSchema.properties.id,
      description: 'pages to export; every reviewed page when absent',
    },
  },
} as const;

/** `ExportResult` (src/review/export.ts). */
export const exportResultSchema = {
  type: 'object',
  required: ['written', 'skipped'],
  properties: {
    written: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: true,
        required: ['slug', 'pageId', 'dir', 'blocks', 'reviewed', 'corrected'],
        properties: {
          slug: { type: 'string' },
          pageId: { type: 'string' },
          dir: { type: 'string' },
          blocks: { type: 'integer' },
          reviewed: { type: 'integer', description: 'blocks a person decided (the training truth); the rest are marked unreviewed' },
          corrected: { type: 'integer' },
          warnings: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    skipped: {
      type: 'array',
      items: { type: 'object', required: ['pageId', 'reason'], properties: { pageId: { type: 'string' }, reason: { type: 'string' } } },
    },
  },
} as const;

/** A reprocess job and how far it got (`done` counts articles now stored with `model`). */
export const reprocessJobSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['id', 'state', 'progress', 'finished'],
  properties: {
    id: { type: 'string' },
    state: { type: 'string', description: "the reprocess job's own state: it completes once every page is queued, before they are moderated" },
    finished: { type: 'boolean', description: 'every page the run covers is stored with its model, or the run failed' },
    progress: {
      type: 'object',
      additionalProperties: true,
      required: ['done', 'total', 'model'],
      properties: { done: { type: 'integer' }, total: { type: 'integer' }, model: { type: 'string' } },
    },
  },
} as const;
