import { itemFromCandidate, type ReviewItem } from './block-card.js';
import { BlockList } from './block-list.js';
import { el } from './dom.js';
import { filterForm } from './filters.js';
import type { ShownBlock } from './relabel.js';
import { viewHref } from './router.js';
import { isLabel } from './types.js';
import type { View, ViewContext } from './view.js';

/** Most queue items fetched at once. */
const QUEUE_LIMIT = 50;

/**
 * The review queue: blocks most likely wrong (lowest confidence, Readability disagreeing,
 * smoothing flips), spread across sites by the server's ranking. A block relabelled here stays
 * on screen with its new label until the queue is loaded again.
 */
export async function queueView(context: ViewContext, query: URLSearchParams): Promise<View> {
  const site = query.get('site') ?? '';
  const label = query.get('label') ?? '';
  const { items } = await context.api.queue({ site, label: isLabel(label) ? label : '', limit: QUEUE_LIMIT });
  const list = new BlockList(items.map(itemFromCandidate), context.relabeler, (item) => listingOf(context, item), 'Blocks to review');
  // This session's way through the queue: "12 of 50 decided".
  const progress = el('p', { className: 'count session-progress', attrs: { id: 'session-progress', 'aria-live': 'polite' } });
  const showProgress = (): void => {
    const { decided, skipped, total } = list.progress();
    progress.textContent =
      decided === 0 && skipped === 0
        ? `${total} blocks. Press j to start; s skips a block.`
        : `${decided} of ${total} decided${skipped > 0 ? `, ${skipped} skipped` : ''}.`;
  };
  showProgress();

  const element = el(
    'section',
    { className: 'view queue-view', attrs: { 'aria-labelledby': 'view-title' } },
    el('h2', { text: 'Review queue', attrs: { id: 'view-title', tabindex: -1 } }),
    el('p', {
      className: 'lede',
      text:
        'Blocks the model most likely got wrong, most doubtful first: pages with no article found, blocks unlike the rest of their listing, low confidence, ' +
        'Readability disagreeing, labels changed by smoothing, sites the model never trained on, and a few confident blocks drawn at random to check; spread across sites.',
    }),
    filterForm('queue-filter', { site, label }, (values) => {
      location.hash = viewHref('queue', { site: values.site, label: values.label });
    }),
    list.size === 0
      ? el('p', { className: 'empty', text: 'Nothing left to review here. Try another filter, or retrain in Models.' })
      : progress,
    list.element,
  );
  const stopFollowing = list.onProgress(showProgress);
  return {
    title: 'Queue',
    element,
    shortcuts: list,
    dispose: () => {
      stopFollowing();
      list.dispose();
    },
  };
}

/** A queue item's listing, read from its article (the queue holds only the doubtful members). */
async function listingOf(context: ViewContext, item: ReviewItem): Promise<ShownBlock[]> {
  const { blocks } = await context.api.getArticle(item.articleId);
  return blocks.filter((block) => block.listingKey === item.listingKey).map((block) => ({ blockIndex: block.index, label: block.label }));
}
