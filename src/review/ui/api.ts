import type {
  ArticleSummary,
  ComparisonReport,
  Correction,
  CorrectionInput,
  ExportResult,
  Label,
  ModelsOverview,
  RankedCandidate,
  ReprocessJob,
  ReviewArticle,
  ReviewBlock,
  ReviewStats,
  TrainingJob,
} from './types.js';

/** An answer other than 2xx, in the API's error envelope (`{statusCode, code, error, message}`). */
export class ApiRequestError extends Error {
  readonly status: number;
  /** `WINNOW_ERR_*`, or `NETWORK` when no answer came. */
  readonly code: string;
  /** The whole error body (a 409 carries `current`). */
  readonly body: Record<string, unknown>;

  constructor(status: number, code: string, message: string, body: Record<string, unknown> = {}) {
    super(message);
    this.name = this.constructor.name;
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

export interface ArticleFilter {
  site?: string;
  label?: Label | '';
  model?: string;
  limit?: number;
  offset?: number;
}

export interface QueueFilter {
  site?: string;
  label?: Label | '';
  limit?: number;
}

/**
 * The review API over fetch, every call with the bearer token. Paths are absolute from the
 * site root, so the page works under any hash route.
 */
export class ReviewApi {
  constructor(
    private readonly token: () => string | null,
    /** Called on a 401 so the page can ask for the token again. */
    private readonly onUnauthorized: () => void = () => undefined,
  ) {}

  listArticles(filter: ArticleFilter): Promise<{ articles: ArticleSummary[] }> {
    return this.get(`/v1/review/articles${query(filter)}`);
  }

  getArticle(id: string): Promise<{ article: ReviewArticle; blocks: ReviewBlock[] }> {
    return this.get(`/v1/review/articles/${encodeURIComponent(id)}`);
  }

  /** The stored page made inert by the server, block elements marked `data-winnow-block`. */
  storedPage(id: string): Promise<{ html: string }> {
    return this.get(`/v1/review/articles/${encodeURIComponent(id)}/page`);
  }

  queue(filter: QueueFilter): Promise<{ items: RankedCandidate[]; stats: ReviewStats }> {
    return this.get(`/v1/review/queue${query(filter)}`);
  }

  stats(): Promise<ReviewStats> {
    return this.get('/v1/review/stats');
  }

  correct(articleId: string, reviewer: string, corrections: CorrectionInput[]): Promise<{ corrections: Correction[] }> {
    return this.post(`/v1/review/articles/${encodeURIComponent(articleId)}/corrections`, { reviewer, corrections });
  }

  exportFixtures(pageIds?: string[]): Promise<ExportResult> {
    return this.post('/v1/review/export', pageIds ? { pageIds } : {});
  }

  train(reviewer: string): Promise<{ job: TrainingJob }> {
    return this.post('/v1/review/train', { reviewer });
  }

  trainingJob(id?: string): Promise<{ job: TrainingJob | null }> {
    return this.get(id === undefined ? '/v1/review/train' : `/v1/review/train/${encodeURIComponent(id)}`);
  }

  models(): Promise<ModelsOverview> {
    return this.get('/v1/review/models');
  }

  report(version: string): Promise<ComparisonReport> {
    return this.get(`/v1/review/models/${encodeURIComponent(version)}/report`);
  }

  promote(version: string, reviewer: string): Promise<{ current: string; previous: string | null }> {
    return this.post(`/v1/review/models/${encodeURIComponent(version)}/promote`, { reviewer });
  }

  discard(version: string, reviewer: string): Promise<unknown> {
    return this.post(`/v1/review/models/${encodeURIComponent(version)}/discard`, { reviewer });
  }

  rollback(reviewer: string): Promise<{ current: string; previous: string | null }> {
    return this.post('/v1/review/models/rollback', { reviewer });
  }

  reprocess(reviewer: string): Promise<{ job: ReprocessJob }> {
    return this.post('/v1/review/reprocess', { reviewer });
  }

  reprocessJob(id: string): Promise<{ job: ReprocessJob }> {
    return this.get(`/v1/review/reprocess/${encodeURIComponent(id)}`);
  }

  private get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  private post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit' });
    } catch (error) {
      throw new ApiRequestError(0, 'NETWORK', `the server did not answer (${(error as Error).message})`);
    }
    const payload = await readJson(response);
    if (!response.ok) {
      if (response.status === 401) this.onUnauthorized();
      const code = typeof payload.code === 'string' ? payload.code : `HTTP_${response.status}`;
      const message = typeof payload.message === 'string' ? payload.message : response.statusText;
      throw new ApiRequestError(response.status, code, message, payload);
    }
    return payload as T;
  }
}

async function readJson(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : { value: parsed };
  } catch {
    return { message: `not JSON (HTTP ${response.status})` };
  }
}

/** `?a=1&b=2` from the set, non-empty fields, or ''. */
function query(fields: object): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
