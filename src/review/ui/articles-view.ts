import { el, percent, when } from './dom.js';
import { filterForm } from './filters.js';
import { articleHref, viewHref } from './router.js';
import { LABELS, isLabel, type ArticleSummary } from './types.js';
import type { View, ViewContext } from './view.js';

const PAGE_SIZE = 50;

/** Stored articles, newest first, with word counts per label, lowest confidence and model; filtered by site, label and model. */
export async function articlesView(context: ViewContext, query: URLSearchParams): Promise<View> {
  const site = query.get('site') ?? '';
  const label = query.get('label') ?? '';
  const model = query.get('model') ?? '';
  const offset = Math.max(0, Number.parseInt(query.get('offset') ?? '0', 10) || 0);
  const { articles } = await context.api.listArticles({ site, label: isLabel(label) ? label : '', model, limit: PAGE_SIZE, offset });
  const href = (at: number) => viewHref('articles', { site, label, model, offset: at || undefined });

  const element = el(
    'section',
    { className: 'view articles-view', attrs: { 'aria-labelledby': 'view-title' } },
    el('h2', { text: 'Articles', attrs: { id: 'view-title', tabindex: -1 } }),
    filterForm('articles-filter', { site, label, model }, (values) => {
      location.hash = viewHref('articles', { site: values.site, label: values.label, model: values.model });
    }),
    articles.length === 0 ? el('p', { className: 'empty', text: 'No stored article matches.' }) : table(articles),
    el(
      'nav',
      { className: 'pager', attrs: { 'aria-label': 'Pages of articles' } },
      offset > 0 ? el('a', { text: '← Newer', attrs: { href: href(Math.max(0, offset - PAGE_SIZE)) } }) : null,
      el('span', { text: articles.length === 0 ? '' : `${offset + 1}–${offset + articles.length}` }),
      articles.length === PAGE_SIZE ? el('a', { text: 'Older →', attrs: { href: href(offset + PAGE_SIZE) } }) : null,
    ),
  );
  return { title: 'Articles', element };
}

function table(articles: ArticleSummary[]): HTMLElement {
  const head = el(
    'tr',
    {},
    th('Article'),
    ...LABELS.map((label) => th(label, `num label-${label}`)),
    th('Lowest conf.', 'num'),
    th('Reviewed', 'num'),
  );
  // `data-label` names each cell's column: a narrow screen stacks every row as a card (CSS).
  const cell = (column: string, content: string | HTMLElement, className?: string) =>
    el('td', { className, attrs: { 'data-label': column } }, content);
  const rows = articles.map((article) =>
    el(
      'tr',
      {},
      el(
        'td',
        { className: 'title' },
        el('a', { text: article.title?.trim() || article.url || article.id, attrs: { href: articleHref(article.id) } }),
        el(
          'span',
          { className: 'row-meta' },
          `${article.siteName ?? hostOf(article.url)} · `,
          el('span', { className: 'mono', text: article.model, attrs: { title: 'model' } }),
          ` · ${when(article.createdAt)}`,
        ),
      ),
      ...LABELS.map((label) => cell(`${label} words`, String(article.counts[label]), 'num')),
      cell('Lowest confidence', percent(article.minConfidence), 'num'),
      cell('Reviewed blocks', `${article.reviewedBlocks} of ${article.blockCount}`, 'num'),
    ),
  );
  return el(
    'div',
    { className: 'table-scroll', attrs: { tabindex: 0, role: 'region', 'aria-label': 'Articles table' } },
    el(
      'table',
      { className: 'articles-table' },
      el('caption', { text: 'Per article: site, model and when it was stored; words per label; the lowest block confidence; blocks reviewed.' }),
      el('thead', {}, head),
      el('tbody', {}, ...rows),
    ),
  );
}

function th(text: string, className?: string): HTMLElement {
  return el('th', { text, className, attrs: { scope: 'col' } });
}

function hostOf(url: string | null): string {
  if (!url) return '';
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}
