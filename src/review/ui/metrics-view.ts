import { button, el, fixed } from './dom.js';
import { LABELS, type BlockChange, type ComparisonReport, type ModelMetrics } from './types.js';

type Pair = { candidate: ModelMetrics; current: ModelMetrics };

/**
 * Candidate against current model on the same held-out folds of the same pages: per-class
 * precision, recall and F1, then the two confusion matrices as heat maps. With reviewed pages,
 * a switch shows the figures on those pages only. Below: the blocks reviewers decided that the
 * candidate labels differently (fixed, broke), and the current model's in-sample figure for
 * reference, never as the other side of a delta.
 */
export function comparisonView(report: ComparisonReport): HTMLElement {
  const body = el('div', { className: 'comparison-body' });
  const scopes: { name: string; pair: Pair }[] = [{ name: `All pages${report.pages ? ` (${report.pages})` : ''}`, pair: report.all }];
  if (report.reviewed) scopes.push({ name: `Reviewed pages${report.reviewedPages ? ` (${report.reviewedPages})` : ''}`, pair: report.reviewed });
  const switches = scopes.map((scope, i) =>
    button(scope.name, () => choose(i), { className: 'scope-button', attrs: { 'aria-pressed': i === 0 ? 'true' : 'false' } }),
  );
  const choose = (index: number): void => {
    switches.forEach((control, i) => control.setAttribute('aria-pressed', String(i === index)));
    body.replaceChildren(...scopeFigures(report, scopes[index].pair));
  };
  choose(0);
  return el(
    'div',
    { className: 'comparison' },
    el('p', { className: 'note', text: report.method ?? 'Both models scored on the same held-out pages.' }),
    scopes.length > 1 ? el('div', { className: 'scope-switch', attrs: { role: 'group', 'aria-label': 'Pages scored' } }, ...switches) : null,
    body,
    report.changes ? changesView(report.changes) : null,
    report.deployed
      ? el('p', {
          className: 'note deployed',
          text:
            `For reference: the current model file as deployed scores macro F1 ${fixed(report.deployed.all.macroF1)} on these pages, ` +
            `but it was trained on most of them (in-sample), so that figure is not comparable with the candidate's.`,
        })
      : null,
  );
}

/** "Fixed 6, broke 1" on the reviewed pages, then the blocks, broken ones first. */
function changesView(changes: NonNullable<ComparisonReport['changes']>): HTMLElement {
  const summary = `On the reviewed pages the candidate fixes ${changes.fixed} block${changes.fixed === 1 ? '' : 's'} and breaks ${changes.broke}` +
    (changes.stillWrong > 0 ? `; ${changes.stillWrong} change${changes.stillWrong === 1 ? 's' : ''} but stay${changes.stillWrong === 1 ? 's' : ''} wrong` : '') + '.';
  const rows = changes.blocks.map((change: BlockChange) =>
    el(
      'tr',
      { className: `change change-${change.verdict.replace(' ', '-')}` },
      el('td', { text: change.verdict }),
      el('td', { className: 'change-text', text: change.text, attrs: { title: `${change.slug} · ${change.path}` } }),
      el('td', { text: change.truth, className: `label-${change.truth}` }),
      el('td', { text: `${change.current} → ${change.candidate}` }),
    ),
  );
  return el(
    'section',
    { className: 'changes', attrs: { 'aria-label': 'Changed blocks on reviewed pages' } },
    el('h4', { text: summary, className: 'changes-summary' }),
    rows.length === 0
      ? el('p', { className: 'note', text: 'No reviewed block changes label.' })
      : el(
          'div',
          { className: 'table-scroll', attrs: { tabindex: 0, role: 'region', 'aria-label': 'Changed blocks' } },
          el(
            'table',
            { className: 'changes-table' },
            el('thead', {}, el('tr', {}, ...['Change', 'Block', 'Reviewers say', 'Current → candidate'].map((text) => el('th', { text, attrs: { scope: 'col' } })))),
            el('tbody', {}, ...rows),
          ),
        ),
  );
}

function scopeFigures(report: ComparisonReport, pair: Pair): HTMLElement[] {
  return [
    metricsTable(pair),
    el(
      'div',
      { className: 'heatmaps' },
      heatMap(`Current model`, report.current, pair.current),
      heatMap(`Candidate`, report.candidate, pair.candidate),
    ),
  ];
}

function metricsTable(pair: Pair): HTMLElement {
  const rows = LABELS.map((label) =>
    el(
      'tr',
      {},
      el('th', { text: label, className: `label-${label}`, attrs: { scope: 'row' } }),
      change(pair.current.perClass[label].precision, pair.candidate.perClass[label].precision),
      change(pair.current.perClass[label].recall, pair.candidate.perClass[label].recall),
      change(pair.current.perClass[label].f1, pair.candidate.perClass[label].f1),
      el('td', { className: 'num', text: String(pair.candidate.perClass[label].support) }),
    ),
  );
  const mean = (metrics: ModelMetrics, key: 'precision' | 'recall') => LABELS.reduce((sum, label) => sum + metrics.perClass[label][key], 0) / LABELS.length;
  const summary = el(
    'tr',
    { className: 'summary-row' },
    el('th', { text: 'macro average', attrs: { scope: 'row' } }),
    change(mean(pair.current, 'precision'), mean(pair.candidate, 'precision')),
    change(mean(pair.current, 'recall'), mean(pair.candidate, 'recall')),
    change(pair.current.macroF1, pair.candidate.macroF1),
    el('td', { className: 'num', text: String(LABELS.reduce((sum, label) => sum + pair.candidate.perClass[label].support, 0)) }),
  );
  const accuracy = el('tr', { className: 'summary-row' }, el('th', { text: 'accuracy', attrs: { scope: 'row' } }), el('td', { attrs: { colspan: 2 } }), change(pair.current.accuracy, pair.candidate.accuracy), el('td', {}));
  return el(
    'div',
    { className: 'table-scroll', attrs: { tabindex: 0, role: 'region', 'aria-label': 'Per-class metrics' } },
    el(
      'table',
      { className: 'metrics-table' },
      el('caption', { text: 'Per class: current → candidate (change)' }),
      el('thead', {}, el('tr', {}, ...['Class', 'Precision', 'Recall', 'F1', 'Support'].map((text) => el('th', { text, attrs: { scope: 'col' } })))),
      el('tbody', {}, ...rows, summary, accuracy),
    ),
  );
}

/** A cell `current → candidate` with the signed change, coloured by direction. */
function change(current: number, candidate: number): HTMLElement {
  const delta = candidate - current;
  const direction = Math.abs(delta) < 0.0005 ? 'same' : delta > 0 ? 'up' : 'down';
  return el(
    'td',
    { className: 'num' },
    `${fixed(current)} → ${fixed(candidate)} `,
    el('span', { className: `delta delta-${direction}`, text: `(${delta >= 0 ? '+' : '−'}${fixed(Math.abs(delta))})` }),
  );
}

/**
 * A confusion matrix as a table whose cells are shaded by the share of the true class they
 * hold: the diagonal in one hue (right), the rest in another (wrong). The shade is set through
 * CSSOM (`--heat`), which the page's CSP allows where a style attribute would not be.
 */
export function heatMap(title: string, version: string, metrics: ModelMetrics): HTMLElement {
  const rows = LABELS.map((truth, i) => {
    const row = metrics.confusion[i] ?? [];
    const total = row.reduce((sum, n) => sum + n, 0);
    return el(
      'tr',
      {},
      el('th', { text: truth, attrs: { scope: 'row' } }),
      ...LABELS.map((predicted, j) => {
        const n = row[j] ?? 0;
        const share = total === 0 ? 0 : n / total;
        const cell = el('td', {
          className: `heat ${i === j ? 'heat-right' : 'heat-wrong'}${share > 0.55 ? ' heat-dark' : ''}`,
          text: String(n),
          attrs: { title: `${n} ${truth} blocks predicted ${predicted} (${Math.round(share * 100)}% of ${truth})` },
        });
        cell.style.setProperty('--heat', share.toFixed(3));
        return cell;
      }),
    );
  });
  return el(
    'figure',
    { className: 'heatmap' },
    el('figcaption', {}, el('strong', { text: title }), ' ', el('span', { className: 'mono', text: version }), ` · macro F1 ${fixed(metrics.macroF1)}`),
    el(
      'table',
      {},
      el('thead', {}, el('tr', {}, el('th', { text: 'true ↓ / predicted →', className: 'corner', attrs: { scope: 'col' } }), ...LABELS.map((label) => el('th', { text: label, attrs: { scope: 'col' } })))),
      el('tbody', {}, ...rows),
    ),
  );
}
