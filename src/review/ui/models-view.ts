import { ApiRequestError } from './api.js';
import { button, el, fixed, when } from './dom.js';
import { comparisonView } from './metrics-view.js';
import { poll, ProgressBar } from './progress.js';
import { viewHref } from './router.js';
import { announce, describeError } from './status.js';
import type { ExportResult, ModelEntry, ModelsOverview, PromotionRecord, ReprocessJob, TrainingJob } from './types.js';
import type { View, ViewContext } from './view.js';

/**
 * Models: export corrections to fixtures, retrain with progress, compare a candidate with the
 * current model, promote or discard it, roll back, and reprocess stored pages with the current
 * model. `#/models?compare=<version>` opens a candidate's comparison.
 */
export async function modelsView(context: ViewContext, query: URLSearchParams): Promise<View> {
  const page = new ModelsPage(context, query.get('compare'));
  await page.load();
  return { title: 'Models', element: page.element, dispose: () => page.dispose() };
}

class ModelsPage {
  readonly element: HTMLElement;
  private readonly overview = el('div', { className: 'models-overview' });
  private readonly comparison = el('section', { className: 'panel comparison-panel', attrs: { 'aria-labelledby': 'comparison-title', hidden: true } });
  private readonly exportResult = el('div', { className: 'export-result', attrs: { id: 'export-result' } });
  private readonly training = new ProgressBar('training-progress', 'Training');
  private readonly reprocessing = new ProgressBar('reprocess-progress', 'Reprocessing stored pages');
  /** Whether the stored articles carry the current model, or which others they carry. */
  private readonly staleNote = el('p', { className: 'note stale-articles', attrs: { id: 'stale-articles', 'aria-live': 'polite' } });
  private readonly trainButton: HTMLButtonElement;
  private readonly reprocessButton: HTMLButtonElement;
  private readonly pollers: { stop(): void }[] = [];
  private data: ModelsOverview | null = null;
  /** Model of the reprocess job followed, if any: a new current model allows another run. */
  private reprocessModel: string | null = null;

  constructor(
    private readonly context: ViewContext,
    private compare: string | null,
  ) {
    this.trainButton = button('Retrain from fixtures', () => void this.train(), { attrs: { id: 'train-button' } });
    this.reprocessButton = button('Reprocess stored pages', () => void this.reprocess(), { attrs: { id: 'reprocess-button' } });
    const exportButton = button('Export corrections to fixtures', () => void this.exportFixtures(exportButton), { attrs: { id: 'export-button' } });
    this.element = el(
      'section',
      { className: 'view models-view', attrs: { 'aria-labelledby': 'view-title' } },
      el('h2', { text: 'Models', attrs: { id: 'view-title', tabindex: -1 } }),
      this.overview,
      el(
        'div',
        { className: 'panels' },
        panel('export-title', 'Corrections → fixtures', [
          el('p', { text: 'Writes every reviewed page as a labelled fixture folder, so the next training learns from the corrections.' }),
          exportButton,
          this.exportResult,
        ]),
        panel('train-title', 'Retrain', [
          el('p', { text: 'Trains a candidate on the fixtures (exports included) and scores it against the current model on the same pages.' }),
          this.trainButton,
          this.training.element,
        ]),
        panel('reprocess-title', 'Reprocess', [
          el('p', { text: 'After a promotion, moderates every stored page again with the current model (a queue job).' }),
          this.staleNote,
          this.reprocessButton,
          this.reprocessing.element,
        ]),
      ),
      this.comparison,
    );
  }

  async load(): Promise<void> {
    this.data = await this.context.api.models();
    this.renderOverview();
    if (this.compare) await this.showComparison(this.compare);
    await this.resumeTraining();
  }

  dispose(): void {
    for (const poller of this.pollers) poller.stop();
  }

  private renderOverview(): void {
    const data = this.data;
    if (!data) return;
    const current = data.models.find((model) => model.isCurrent) ?? data.models.find((model) => model.version === data.current);
    const others = data.models.filter((model) => !model.isCurrent && model.version !== data.current);
    const rollbackTo = data.rollbackTo !== undefined ? data.rollbackTo : rollbackTarget(data.history);
    this.overview.replaceChildren(
      panel('current-title', 'Current model', [
        el('p', {}, el('span', { className: 'mono current-version', text: data.current ?? 'none' }), current ? ` · trained ${when(current.createdAt)}` : ''),
        current?.metrics ? el('p', { text: `Macro F1 ${fixed(current.metrics.macroF1)}, accuracy ${fixed(current.metrics.accuracy)} (${current.metrics.method ?? 'cross-validated'})` }) : null,
        rollbackTo
          ? button(`Roll back to ${rollbackTo}`, () => void this.rollback(), { attrs: { id: 'rollback-button' }, className: 'secondary' })
          : el('p', { className: 'note', attrs: { id: 'no-rollback' }, text: noRollbackReason(data.history) }),
      ]),
      panel('others-title', 'Other models', [
        others.length === 0
          ? el('p', { className: 'note', text: 'No candidate. Retrain to make one.' })
          : el('ul', { className: 'candidates' }, ...others.map((model) => this.modelItem(model))),
      ]),
      ...(data.history.length > 0 ? [panel('history-title', 'History', [historyList(data)])] : []),
    );
    if (this.reprocessModel !== null && this.reprocessModel !== data.current) this.reprocessButton.disabled = false;
    this.staleNote.textContent = staleArticles(data);
    this.staleNote.classList.toggle('attention', staleCount(data) > 0);
  }

  /** A model other than the current one, with what can be done with it. */
  private modelItem(model: ModelEntry): HTMLElement {
    const usable = model.status === 'candidate' || model.status === 'previous';
    return el(
      'li',
      { className: 'candidate' },
      el('span', { className: 'mono', text: model.version }),
      ' ',
      el('span', { className: `model-status model-status-${model.status}`, text: model.status }),
      el('br'),
      when(model.createdAt),
      model.metrics ? ` · macro F1 ${fixed(model.metrics.macroF1)}` : '',
      el(
        'div',
        { className: 'actions' },
        model.hasReport
          ? button('Compare', () => {
              location.hash = viewHref('models', { compare: model.version });
            })
          : null,
        usable ? button('Promote', () => void this.promote(model.version), { className: 'primary', attrs: { 'data-version': model.version } }) : null,
        model.status === 'candidate'
          ? button('Discard', () => void this.discard(model.version), { className: 'secondary', attrs: { 'data-version': model.version } })
          : null,
      ),
    );
  }

  private async showComparison(version: string): Promise<void> {
    try {
      const report = await this.context.api.report(version);
      const entry = this.data?.models.find((model) => model.version === version);
      const promotable = entry?.status === 'candidate' || entry?.status === 'previous';
      this.comparison.replaceChildren(
        el('h3', { text: `Candidate ${version} vs current ${report.current}`, attrs: { id: 'comparison-title', tabindex: -1 } }),
        comparisonView(report),
        promotable
          ? el(
              'div',
              { className: 'actions' },
              button(`Promote ${version}`, () => void this.promote(version), { className: 'primary', attrs: { id: 'promote-button' } }),
              entry?.status === 'candidate' ? button('Discard', () => void this.discard(version), { className: 'secondary', attrs: { id: 'discard-button' } }) : null,
            )
          : el('p', { className: 'note', text: `This model is ${entry?.status ?? 'not a candidate'}.` }),
      );
      this.comparison.hidden = false;
    } catch (error) {
      announce(`Could not load the comparison for ${version}: ${describeError(error)}`, 'error');
    }
  }

  private async exportFixtures(trigger: HTMLButtonElement): Promise<void> {
    trigger.disabled = true;
    announce('Exporting corrections…');
    try {
      const result = await this.context.api.exportFixtures();
      this.exportResult.replaceChildren(exportList(result));
      announce(`Exported ${result.written.length} pages to fixtures${result.skipped.length ? `, skipped ${result.skipped.length}` : ''}.`, 'ok');
    } catch (error) {
      announce(`Export failed: ${describeError(error)}`, 'error');
    } finally {
      trigger.disabled = false;
    }
  }

  private async train(): Promise<void> {
    this.trainButton.disabled = true;
    try {
      const { job } = await this.context.api.train(this.context.reviewer());
      announce('Training started.');
      this.follow(job);
    } catch (error) {
      this.trainButton.disabled = false;
      const running = error instanceof ApiRequestError && error.status === 409;
      announce(running ? 'A training job is already running; following it.' : `Could not start training: ${describeError(error)}`, running ? 'info' : 'error');
      if (running) await this.resumeTraining();
    }
  }

  /** Follow the latest training job if one is still running (e.g. started from another tab). */
  private async resumeTraining(): Promise<void> {
    try {
      const { job } = await this.context.api.trainingJob();
      if (job?.state === 'running') this.follow(job);
    } catch (error) {
      if (!(error instanceof ApiRequestError && error.status === 404)) throw error;
    }
  }

  private follow(first: TrainingJob): void {
    this.trainButton.disabled = true;
    let job = first;
    let asked = false;
    this.pollers.push(
      poll(
        async () => {
          // The first step shows the job as given; later ones ask the server.
          if (asked) job = (await this.context.api.trainingJob(first.id)).job ?? job;
          asked = true;
          const { stage, done, total } = job.progress;
          this.training.show(done, total, total > 0 ? `${stage}: ${done} of ${total}` : `${stage}…`);
          if (job.state === 'running') return true;
          this.trainButton.disabled = false;
          if (job.state === 'failed') {
            this.training.show(0, 1, `Failed: ${job.error ?? 'unknown error'}`);
            announce(`Training failed: ${job.error ?? 'unknown error'}`, 'error');
            return false;
          }
          this.training.show(1, 1, `Done: candidate ${job.candidate ?? '?'}`);
          announce(`Training done: candidate ${job.candidate ?? '?'}. Compare it below.`, 'ok');
          if (job.candidate) await this.reload(job.candidate, 'comparison-title');
          return false;
        },
        (error) => {
          this.trainButton.disabled = false;
          announce(`Lost track of training: ${describeError(error)}`, 'error');
        },
      ),
    );
  }

  private async promote(version: string): Promise<void> {
    try {
      const { current, previous } = await this.context.api.promote(version, this.context.reviewer());
      await this.reload(null, 'reprocess-button');
      announce(`Promoted ${current} (was ${previous ?? 'none'}). Reprocess stored pages to apply it.`, 'ok');
    } catch (error) {
      announce(`Could not promote ${version}: ${describeError(error)}`, 'error');
    }
  }

  private async discard(version: string): Promise<void> {
    try {
      await this.context.api.discard(version, this.context.reviewer());
      announce(`Discarded ${version}.`, 'ok');
      await this.reload(null, 'train-button');
    } catch (error) {
      announce(`Could not discard ${version}: ${describeError(error)}`, 'error');
    }
  }

  private async rollback(): Promise<void> {
    try {
      const { current, previous } = await this.context.api.rollback(this.context.reviewer());
      await this.reload(null, 'reprocess-button');
      const stale = this.data ? staleCount(this.data) : 0;
      announce(
        `Rolled back to ${current} (from ${previous ?? 'none'}).` +
          (stale > 0 ? ` ${stale} stored article${stale === 1 ? ' still carries' : 's still carry'} other models' labels: reprocess to apply ${current}.` : ''),
        'ok',
      );
    } catch (error) {
      announce(`Could not roll back: ${describeError(error)}`, 'error');
    }
  }

  private async reprocess(): Promise<void> {
    this.reprocessButton.disabled = true;
    try {
      const { job } = await this.context.api.reprocess(this.context.reviewer());
      this.reprocessModel = job.progress.model;
      announce('Reprocessing queued.');
      let state = job;
      let asked = false;
      const stall = new StallWatch();
      this.pollers.push(
        poll(
          async () => {
            if (asked) state = (await this.context.api.reprocessJob(job.id)).job;
            asked = true;
            const { done, total, model } = state.progress;
            this.reprocessing.show(done, total, reprocessText(state));
            if (!reprocessFinished(state) && !stall.stuck(done)) return true;
            this.reprocessButton.disabled = false;
            if (state.state === 'failed') announce('Reprocessing failed.', 'error');
            else if (done >= total) announce(`Reprocessed ${done} of ${total} pages with ${model}.`, 'ok');
            else announce(`Reprocessing stopped moving at ${done} of ${total} pages; the pages left may have failed (see failures).`, 'error');
            await this.refreshOverview();
            return false;
          },
          (error) => {
            this.reprocessButton.disabled = false;
            announce(`Lost track of reprocessing: ${describeError(error)}`, 'error');
          },
        ),
      );
    } catch (error) {
      this.reprocessButton.disabled = false;
      announce(`Could not start reprocessing: ${describeError(error)}`, 'error');
    }
  }

  /** The models again (stored-article counts change as pages are reprocessed), without moving focus. */
  private async refreshOverview(): Promise<void> {
    try {
      this.data = await this.context.api.models();
      this.renderOverview();
    } catch {
      // The overview is refreshed on the next action; the run itself is done.
    }
  }

  /** Fetch the models again, show a comparison (or none), and put focus somewhere sensible. */
  private async reload(compare: string | null, focusId: string): Promise<void> {
    this.compare = compare;
    this.data = await this.context.api.models();
    this.renderOverview();
    if (compare) await this.showComparison(compare);
    else {
      this.comparison.hidden = true;
      this.comparison.replaceChildren();
    }
    const wanted = compare ? viewHref('models', { compare }) : viewHref('models');
    // Keep the address in step without re-rendering the view.
    if (location.hash !== wanted) history.replaceState(null, '', wanted);
    document.getElementById(focusId)?.focus();
  }
}

/**
 * The model a rollback would restore: each promotion pushes the model it replaced, each
 * rollback pops one (the server decides the same way; this only names it on the button).
 */
function rollbackTarget(history: PromotionRecord[]): string | null {
  const replaced: (string | null)[] = [];
  for (const record of history) {
    if (record.action === 'promote') replaced.push(record.previous);
    else replaced.pop();
  }
  return replaced.at(-1) ?? null;
}

/** How long a reprocess run may show no progress after its job completed before the page stops waiting. */
const STALL_MS = 5 * 60 * 1000;

/**
 * Whether a reprocess run is over. The reprocess job only queues a moderate job per page and
 * completes long before they run, so its `completed` state alone is not the end: the run is
 * over when every page is stored with its model, or the job failed.
 */
export function reprocessFinished(job: ReprocessJob): boolean {
  if (job.finished !== undefined) return job.finished;
  if (job.state === 'failed' || job.state === 'unknown') return true;
  return job.state === 'completed' && job.progress.done >= job.progress.total;
}

/** The progress line: the job's state and how many pages carry the model. */
export function reprocessText(job: ReprocessJob): string {
  const { done, total, model } = job.progress;
  const stage = reprocessFinished(job) ? (job.state === 'failed' ? 'failed' : 'done') : job.state === 'completed' ? 'moderating' : job.state;
  return `${stage}: ${done} of ${total} pages stored with ${model}`;
}

/** Notices a count that stopped moving for STALL_MS. */
class StallWatch {
  private last = -1;
  private since = Date.now();

  stuck(done: number): boolean {
    if (done !== this.last) {
      this.last = done;
      this.since = Date.now();
      return false;
    }
    return Date.now() - this.since > STALL_MS;
  }
}

/** Stored articles labelled by a model other than the current one. */
function staleCount(data: ModelsOverview): number {
  return Object.entries(data.articlesByModel ?? {}).reduce((sum, [model, n]) => (model === data.current ? sum : sum + n), 0);
}

function staleArticles(data: ModelsOverview): string {
  if (!data.articlesByModel) return '';
  const total = Object.values(data.articlesByModel).reduce((sum, n) => sum + n, 0);
  if (total === 0) return 'No stored articles yet.';
  const stale = staleCount(data);
  if (stale === 0) return `All ${total} stored articles carry the current model.`;
  const others = Object.entries(data.articlesByModel)
    .filter(([model, n]) => model !== data.current && n > 0)
    .map(([model, n]) => `${n} by ${model}`)
    .join(', ');
  return `${stale} of ${total} stored articles carry another model's labels (${others}). Reprocess to apply ${data.current ?? 'the current model'}.`;
}

/** Why there is nothing to roll back to, in the history's terms. */
function noRollbackReason(history: PromotionRecord[]): string {
  if (history.length === 0) return 'No earlier model to roll back to: this model was never replaced by a promotion here.';
  const last = history.at(-1)!;
  return last.action === 'rollback'
    ? `Nothing left to roll back: the promotions in the history below were already rolled back (the latest returned to ${last.version}). Promote a model from Other models to serve it again.`
    : 'No earlier model to roll back to: the promotions in the history started from no model.';
}

function panel(id: string, title: string, content: (Node | null)[]): HTMLElement {
  return el('section', { className: 'panel', attrs: { 'aria-labelledby': id } }, el('h3', { text: title, attrs: { id, tabindex: -1 } }), ...content);
}

function exportList(result: ExportResult): HTMLElement {
  return el(
    'div',
    {},
    result.written.length === 0
      ? el('p', { text: 'Nothing written: no reviewed page yet.' })
      : el(
          'ul',
          { className: 'written', attrs: { 'aria-label': 'Fixtures written' } },
          ...result.written.map((entry) =>
            el(
              'li',
              {},
              el('span', { className: 'mono', text: entry.slug }),
              ` · ${entry.blocks} blocks, ${entry.corrected} corrected`,
              entry.warnings && entry.warnings.length > 0
                ? el(
                    'details',
                    { className: 'warnings' },
                    el('summary', { text: `${entry.warnings.length} warning${entry.warnings.length === 1 ? '' : 's'}` }),
                    el('ul', {}, ...entry.warnings.map((warning) => el('li', { className: 'warning', text: warning }))),
                  )
                : null,
            ),
          ),
        ),
    result.skipped.length > 0
      ? el(
          'ul',
          { className: 'skipped', attrs: { 'aria-label': 'Pages skipped' } },
          ...result.skipped.map((entry) => el('li', {}, el('span', { className: 'mono', text: entry.pageId }), ` skipped: ${entry.reason}`)),
        )
      : null,
  );
}

function historyList(data: ModelsOverview): HTMLElement {
  return el(
    'ol',
    { className: 'history', attrs: { 'aria-label': 'Promotions and rollbacks, newest first', reversed: true } },
    ...[...data.history].reverse().map((record) =>
      el(
        'li',
        {},
        el('span', { className: 'when', text: when(record.at) }),
        el('br'),
        record.action === 'promote' ? 'Promoted ' : 'Rolled back to ',
        el('span', { className: 'mono', text: record.version }),
        record.previous ? ' (from ' : '',
        record.previous ? el('span', { className: 'mono', text: record.previous }) : '',
        record.previous ? ')' : '',
        ` by ${record.by}`,
      ),
    ),
  );
}
