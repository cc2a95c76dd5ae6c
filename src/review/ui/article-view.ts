import { sanitizedArticle } from './article-html.js';
import { itemFromBlock, type ReviewItem } from './block-card.js';
import { BlockList } from './block-list.js';
import { PageFrame } from './page-frame.js';
import { button, el, percent, when } from './dom.js';
import { announce, describeError } from './status.js';
import { LABELS, type ReviewBlock } from './types.js';
import type { View, ViewContext } from './view.js';

/**
 * One article: every block in page order, coloured by label, with confidence, features and
 * review state; a toggle shows the article's editorial HTML, sanitised again in the browser.
 */
export async function articleView(context: ViewContext, id: string): Promise<View> {
  const { article, blocks } = await context.api.getArticle(id);
  const items = blocks.map((block) => itemFromBlock(article.id, block));
  const list = new BlockList(items, context.relabeler, async (item) => listingOf(items, item), 'Blocks of the article', true);

  const htmlPanel = el('div', { className: 'article-html', attrs: { id: 'article-html', hidden: true, 'aria-label': 'Article HTML, sanitised' } });
  const toggle = button('Show article HTML', () => {
    const showing = htmlPanel.hidden;
    if (showing && htmlPanel.childElementCount === 0) {
      try {
        htmlPanel.append(el('p', { className: 'note', text: 'Editorial blocks as the article keeps them. Links open in a new tab; images are not loaded.' }), sanitizedArticle(article.html));
      } catch (error) {
        announce(describeError(error), 'error');
        return;
      }
    }
    htmlPanel.hidden = !showing;
    toggle.textContent = showing ? 'Hide article HTML' : 'Show article HTML';
    toggle.setAttribute('aria-expanded', String(showing));
  }, { className: 'toggle-html', attrs: { 'aria-controls': 'article-html', 'aria-expanded': 'false' } });

  // The stored page, rendered inert in a sandboxed frame, blocks outlined by label.
  let frame: PageFrame | null = null;
  const framePanel = el('div', { className: 'page-panel', attrs: { id: 'page-panel', hidden: true, 'aria-label': 'The stored page, rendered' } });
  const pageToggle = button('Show stored page', () => {
    const showing = framePanel.hidden;
    if (showing && !frame) {
      void context.api.storedPage(article.id).then(
        ({ html }) => {
          frame = new PageFrame(html, (index) => items.find((item) => item.blockIndex === index)?.label, (index) => list.selectBlock(index));
          framePanel.replaceChildren(
            el('p', { className: 'note', text: 'The page as scraped, with scripts, forms, frames, styles and links removed; nothing in it runs or loads. Click a block to select it.' }),
            frame.element,
          );
        },
        (error: unknown) => announce(`Could not load the stored page: ${describeError(error)}`, 'error'),
      );
    }
    framePanel.hidden = !showing;
    pageToggle.textContent = showing ? 'Hide stored page' : 'Show stored page';
    pageToggle.setAttribute('aria-expanded', String(showing));
  }, { className: 'toggle-page', attrs: { 'aria-controls': 'page-panel', 'aria-expanded': 'false' } });
  const stopSelect = list.onSelect((item) => frame?.show(item.blockIndex));
  const stopFrame = context.relabeler.subscribe((changes) => frame?.update(changes.filter((change) => change.articleId === article.id)));

  const reviewed = el('dd');
  const counts = el('ul', { className: 'label-counts', attrs: { 'aria-label': 'Blocks per label' } });
  const summarise = (): void => {
    reviewed.textContent = `${items.filter((item) => item.review).length} of ${items.length} blocks`;
    counts.replaceChildren(...LABELS.map((label) => el('li', { className: `badge label-${label}`, text: `${label}: ${items.filter((item) => item.label === label).length}` })));
  };
  summarise();
  // The cards update the items they show; the summary follows once a change is stored.
  const unsubscribe = context.relabeler.subscribe((changes) => {
    if (changes.some((change) => change.articleId === article.id && !change.pending)) summarise();
  });

  const element = el(
    'section',
    { className: 'view article-view', attrs: { 'aria-labelledby': 'view-title' } },
    el('h2', { text: article.title?.trim() || 'Untitled page', attrs: { id: 'view-title', tabindex: -1 } }),
    el(
      'dl',
      { className: 'article-meta' },
      meta('Site', article.siteName ?? hostOf(article.url) ?? '—'),
      // The URL is shown as text: the original page is never opened from here.
      meta('URL', article.url ?? '—', 'mono wrap'),
      meta('Model', article.model, 'mono'),
      meta('Stored', when(article.createdAt)),
      meta('Readability kept', `${percent(readabilityShare(blocks))} of the words`),
      el('div', {}, el('dt', { text: 'Reviewed' }), reviewed),
    ),
    counts,
    el('div', { className: 'toolbar' }, toggle, pageToggle),
    htmlPanel,
    framePanel,
    list.element,
  );
  const dispose = (): void => {
    stopSelect();
    stopFrame();
    unsubscribe();
    list.dispose();
  };
  return { title: article.title?.trim() || 'Article', element, shortcuts: list, dispose };
}

function listingOf(items: ReviewItem[], item: ReviewItem) {
  return items.filter((other) => other.listingKey === item.listingKey).map((other) => ({ blockIndex: other.blockIndex, label: other.label }));
}

/** Share of the page's words Readability kept, 0..1. */
function readabilityShare(blocks: ReviewBlock[]): number {
  let kept = 0;
  let words = 0;
  for (const block of blocks) {
    const n = block.text.split(/\s+/).filter(Boolean).length;
    words += n;
    kept += n * block.readability;
  }
  return words === 0 ? 0 : kept / words;
}

function meta(name: string, value: string, className?: string): HTMLElement {
  return el('div', {}, el('dt', { text: name }), el('dd', { text: value, className }));
}

function hostOf(url: string | null): string | null {
  if (!url) return null;
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}
