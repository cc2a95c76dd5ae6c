import { ReviewApi } from './api.js';
import { articleView } from './article-view.js';
import { articlesView } from './articles-view.js';
import { button, el } from './dom.js';
import { bindShortcuts, SHORTCUTS } from './keyboard.js';
import { modelsView } from './models-view.js';
import { queueView } from './queue-view.js';
import { Relabeler } from './relabel.js';
import { parseRoute, type Route } from './router.js';
import { checkReviewer, forgetToken, loadReviewer, loadToken, saveReviewer, saveToken } from './session.js';
import { announce, clearStatus, describeError } from './status.js';
import type { View, ViewContext } from './view.js';

/**
 * The review page's entry: sign-in (token for this tab, reviewer name kept), the header with
 * the reviewed counts, hash routing between the views, and the keyboard shortcuts.
 */

const byId = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
};

const viewRoot = byId<HTMLElement>('view');
const signIn = byId<HTMLFormElement>('signin');
const tokenField = byId<HTMLElement>('token-field');
const tokenInput = byId<HTMLInputElement>('token');
const reviewerInput = byId<HTMLInputElement>('reviewer');
const signInError = byId<HTMLElement>('signin-error');
const help = byId<HTMLElement>('help');

const api = new ReviewApi(loadToken, () => {
  forgetToken();
  // While the form is open its own submit handler says what went wrong.
  if (signIn.hidden) openSignIn('The server refused the token. Enter it again.');
});
const relabeler = new Relabeler(api, () => loadReviewer() ?? '', () => refreshStats());
const context: ViewContext = { api, relabeler, reviewer: () => loadReviewer() ?? '', refreshStats: () => refreshStats() };

let current: View | null = null;
/** Increases on every navigation, so a slow view that loads after the next one started is dropped. */
let generation = 0;
let started = false;

async function render(): Promise<void> {
  const mine = ++generation;
  const route = parseRoute(location.hash);
  current?.dispose?.();
  current = null;
  // A message about the view being left would read as news about the next one.
  if (mine > 1) clearStatus();
  markNavigation(route);
  viewRoot.setAttribute('aria-busy', 'true');
  viewRoot.replaceChildren(el('p', { className: 'loading', text: 'Loading…' }));
  try {
    const view = await load(route);
    if (mine !== generation) {
      view.dispose?.();
      return;
    }
    current = view;
    viewRoot.replaceChildren(view.element);
    document.title = `${view.title} · winnow review`;
  } catch (error) {
    if (mine !== generation) return;
    viewRoot.replaceChildren(
      el('h2', { text: 'Could not load this view', attrs: { id: 'view-title', tabindex: -1 } }),
      el('p', { className: 'error', text: describeError(error) }),
      button('Try again', () => void render()),
    );
  } finally {
    if (mine === generation) viewRoot.removeAttribute('aria-busy');
  }
  // After a navigation, keyboard and screen-reader users land on the new view's heading (on
  // first load the browser's own start of the page is right).
  if (mine === generation && mine > 1) document.getElementById('view-title')?.focus({ preventScroll: true });
}

function load(route: Route): Promise<View> {
  switch (route.view) {
    case 'articles':
      return articlesView(context, route.query);
    case 'article':
      return articleView(context, route.id);
    case 'models':
      return modelsView(context, route.query);
    default:
      return queueView(context, route.query);
  }
}

function markNavigation(route: Route): void {
  const active = route.view === 'article' ? 'articles' : route.view;
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav.views a')) {
    if (link.dataset.view === active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

async function refreshStats(): Promise<void> {
  try {
    const stats = await api.stats();
    byId('stats').textContent = [
      `${count(stats.reviewedBlocks, 'block')} reviewed`,
      `${stats.changedBlocks} changed`,
      count(stats.reviewedPages, 'page'),
      count(stats.corrections, 'correction'),
    ].join(' · ');
  } catch {
    // The counts are a convenience; a failure shows up on the next action that needs the API.
  }
}

/** `1 page`, `2 pages`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function showReviewer(): void {
  byId('reviewer-name').textContent = loadReviewer() ?? '—';
}

/** Show the sign-in form: the token field only when no token is kept. */
function openSignIn(message = ''): void {
  const needsToken = loadToken() === null;
  tokenField.hidden = !needsToken;
  tokenInput.required = needsToken;
  tokenInput.value = '';
  reviewerInput.value = loadReviewer() ?? '';
  signInError.textContent = message;
  setSigningIn(true);
  (needsToken ? tokenInput : reviewerInput).focus();
}

/** The sign-in form over the page; everything behind it is inert until it closes. */
function setSigningIn(on: boolean): void {
  signIn.hidden = !on;
  document.body.classList.toggle('signing-in', on);
  for (const part of document.querySelectorAll<HTMLElement>('.app-header, .layout, #skip-link')) part.inert = on;
}

signIn.addEventListener('submit', (event) => {
  event.preventDefault();
  void (async () => {
    const checked = checkReviewer(reviewerInput.value);
    if ('error' in checked) {
      signInError.textContent = checked.error;
      reviewerInput.focus();
      return;
    }
    if (!tokenField.hidden) {
      const token = tokenInput.value.trim();
      if (token === '') {
        signInError.textContent = 'Enter the API token (WINNOW_API_TOKEN of the server).';
        tokenInput.focus();
        return;
      }
      saveToken(token);
      try {
        await api.stats();
      } catch (error) {
        forgetToken();
        signInError.textContent = `That did not work: ${describeError(error)}`;
        tokenInput.focus();
        return;
      }
    }
    saveReviewer(checked.name);
    setSigningIn(false);
    showReviewer();
    announce(`Reviewing as ${checked.name}.`, 'ok');
    if (!started) start();
    else {
      void refreshStats();
      // A new token: the view on screen may have failed without one.
      if (!tokenField.hidden) void render();
    }
  })();
});

function start(): void {
  started = true;
  void refreshStats();
  void render();
}

/** Where focus was before the shortcut list opened; it goes back there when the list closes. */
let focusBeforeHelp: HTMLElement | null = null;

function toggleHelp(show = help.hidden): void {
  if (show === !help.hidden) return;
  help.hidden = !show;
  if (show) {
    focusBeforeHelp = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    byId('help-title').focus();
  } else {
    focusBeforeHelp?.focus({ preventScroll: true });
    focusBeforeHelp = null;
  }
}

function fillShortcutLists(): void {
  for (const list of document.querySelectorAll<HTMLElement>('.shortcut-list')) {
    list.replaceChildren(...SHORTCUTS.map((shortcut) => el('div', {}, el('dt', {}, el('kbd', { text: shortcut.keys })), el('dd', { text: shortcut.does }))));
  }
}

fillShortcutLists();
bindShortcuts({
  target: () => (signIn.hidden ? (current?.shortcuts ?? null) : null),
  undo: () => {
    if (signIn.hidden) void relabeler.undo();
  },
  toggleHelp: () => toggleHelp(),
  dismiss: () => {
    if (!help.hidden) toggleHelp(false);
  },
});
byId('help-close').addEventListener('click', () => toggleHelp(false));
byId('change-reviewer').addEventListener('click', () => openSignIn());
byId('forget-token').addEventListener('click', () => {
  forgetToken();
  openSignIn('Token forgotten. Enter it again to go on.');
});
byId('skip-link').addEventListener('click', () => (document.getElementById('view-title') ?? viewRoot).focus());
window.addEventListener('hashchange', () => {
  if (started) void render();
});

showReviewer();
if (loadToken() === null || loadReviewer() === null) openSignIn();
else start();
