import type { ModelMetrics } from '../classify/model.js';
import { LABELS, type Label } from '../types.js';

/** Confusion matrix over LABELS: rows true label, columns predicted label. */
export function emptyConfusion(): number[][] {
  return LABELS.map(() => LABELS.map(() => 0));
}

export function addToConfusion(confusion: number[][], truth: Label, predicted: Label): void {
  confusion[LABELS.indexOf(truth)][LABELS.indexOf(predicted)]++;
}

/** Per-class precision/recall/F1 (0 when undefined), macro F1 and accuracy from a confusion matrix. */
export function metricsFromConfusion(confusion: number[][], method: string): ModelMetrics {
  const perClass = {} as ModelMetrics['perClass'];
  let correct = 0;
  let total = 0;
  LABELS.forEach((label, c) => {
    const tp = confusion[c][c];
    const predicted = confusion.reduce((sum, row) => sum + row[c], 0);
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[label] = { precision: round(precision), recall: round(recall), f1: round(f1), support };
    correct += tp;
    total += support;
  });
  const macroF1 = LABELS.reduce((sum, label) => sum + perClass[label].f1, 0) / LABELS.length;
  return {
    perClass,
    macroF1: round(macroF1),
    accuracy: round(total > 0 ? correct / total : 0),
    confusion: confusion.map((row) => [...row]),
    method,
  };
}

/** A readable report: per-class table, macro F1, accuracy and the confusion matrix. */
export function formatMetrics(metrics: ModelMetrics): string {
  const pad = (value: string, width: number) => value.padStart(width);
  const lines = [
    `${metrics.method}`,
    '',
    `${'label'.padEnd(12)}${pad('precision', 10)}${pad('recall', 10)}${pad('F1', 10)}${pad('blocks', 10)}`,
  ];
  for (const label of LABELS) {
    const m = metrics.perClass[label];
    lines.push(`${label.padEnd(12)}${pad(m.precision.toFixed(3), 10)}${pad(m.recall.toFixed(3), 10)}${pad(m.f1.toFixed(3), 10)}${pad(String(m.support), 10)}`);
  }
  lines.push('', `macro F1  ${metrics.macroF1.toFixed(3)}    accuracy  ${metrics.accuracy.toFixed(3)}`, '');
  lines.push(`confusion (rows: true, columns: predicted)`);
  lines.push(`${''.padEnd(12)}${LABELS.map((l) => pad(l, 13)).join('')}`);
  LABELS.forEach((label, r) => lines.push(`${label.padEnd(12)}${metrics.confusion[r].map((n) => pad(String(n), 13)).join('')}`));
  return lines.join('\n');
}

function round(value: number): number {
  return Math.round(value * 10000) / 10000;
}
