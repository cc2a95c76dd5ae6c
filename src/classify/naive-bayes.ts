/**
 * Multinomial Naive Bayes over weighted feature tokens, kept in log space throughout. Sparse:
 * only tokens seen in training are stored, and a block is scored by summing the log
 * likelihoods of its own tokens, so scoring costs O(tokens in the block). Hand-written on
 * purpose (a few dozen lines): natural's BayesClassifier multiplies probabilities out of log
 * space and underflows on paragraph-length texts, and keeps every training document.
 */

/** Trained parameters; plain JSON. */
export interface NaiveBayesParameters {
  /** Class names, in the order of every per-class array. */
  classes: string[];
  /** log P(class). */
  logPriors: number[];
  /** token → log P(token | class), one entry per class. */
  logLikelihoods: Record<string, number[]>;
  /** Additive (Laplace/Lidstone) smoothing used in training. */
  alpha: number;
}

export interface TrainingExample {
  features: Map<string, number>;
  label: string;
  /** Weight of the example's counts. @defaultValue 1 */
  weight?: number;
}

export interface TrainOptions {
  /** Lidstone smoothing added to every token count (0.2 won cross-validation over 0.1, 0.5, 1). @defaultValue 0.2 */
  alpha?: number;
  /** Tokens with a smaller total weight across all classes are dropped. @defaultValue 2 */
  minCount?: number;
}

/** Count weighted tokens per class and turn them into smoothed log probabilities. */
export function trainNaiveBayes(classes: readonly string[], examples: TrainingExample[], options: TrainOptions = {}): NaiveBayesParameters {
  const alpha = options.alpha ?? 0.2;
  const minCount = options.minCount ?? 2;
  const classIndex = new Map(classes.map((name, i) => [name, i]));
  const docCounts = new Array<number>(classes.length).fill(0);
  const counts = new Map<string, number[]>();

  for (const example of examples) {
    const c = classIndex.get(example.label);
    if (c === undefined) throw new Error(`unknown class "${example.label}"`);
    const scale = example.weight ?? 1;
    // Priors count examples by their weight too: a down-weighted source must not move them by its numbers alone.
    docCounts[c] += scale;
    for (const [token, weight] of example.features) {
      let row = counts.get(token);
      if (!row) counts.set(token, (row = new Array<number>(classes.length).fill(0)));
      row[c] += weight * scale;
    }
  }

  const vocabulary = [...counts.entries()].filter(([, row]) => row.reduce((a, b) => a + b, 0) >= minCount);
  const totals = new Array<number>(classes.length).fill(0);
  for (const [, row] of vocabulary) row.forEach((count, c) => (totals[c] += count));

  const size = vocabulary.length;
  const logLikelihoods: Record<string, number[]> = {};
  for (const [token, row] of vocabulary) {
    logLikelihoods[token] = row.map((count, c) => round(Math.log((count + alpha) / (totals[c] + alpha * size))));
  }
  const documents = docCounts.reduce((a, b) => a + b, 0);
  // A class never seen still gets a finite prior, so scores stay comparable.
  const logPriors = docCounts.map((n) => round(Math.log((n + 1) / (documents + classes.length))));
  return { classes: [...classes], logPriors, logLikelihoods, alpha };
}

/** Joint log score per class: log P(class) + Σ weight · log P(token | class); unknown tokens are skipped. */
export function scoreNaiveBayes(model: NaiveBayesParameters, features: Map<string, number>): number[] {
  const scores = [...model.logPriors];
  for (const [token, weight] of features) {
    const row = model.logLikelihoods[token];
    if (!row) continue;
    for (let c = 0; c < scores.length; c++) scores[c] += weight * row[c];
  }
  return scores;
}

/**
 * Scores to probabilities by softmax (max subtracted first, so no overflow or underflow).
 * `temperature` > 1 softens Naive Bayes' overconfidence.
 */
export function softmax(scores: number[], temperature = 1): number[] {
  const scaled = scores.map((s) => s / temperature);
  const max = Math.max(...scaled);
  const exps = scaled.map((s) => Math.exp(s - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/**
 * Tokens that pushed hardest toward `classIndex` over the best other class, as
 * `token (+margin)`, strongest first.
 */
export function topFeatures(model: NaiveBayesParameters, features: Map<string, number>, classIndex: number, limit = 5): string[] {
  const top = new TopContributions(classIndex, limit);
  for (const [token, weight] of features) {
    const row = model.logLikelihoods[token];
    if (row) top.add(token, weight, row);
  }
  return top.format();
}

/**
 * The strongest positive contributions toward one class, kept while tokens stream past: the
 * same list as sorting every contribution by margin (ties in arrival order) and keeping the
 * first `limit`, without sorting them all.
 */
export class TopContributions {
  private readonly tokens: string[] = [];
  private readonly margins: number[] = [];

  constructor(
    private readonly classIndex: number,
    private readonly limit: number,
  ) {}

  /** One token's weight and log-likelihood row (in class order). */
  add(token: string, weight: number, row: readonly number[]): void {
    let other = -Infinity;
    for (let c = 0; c < row.length; c++) if (c !== this.classIndex && row[c] > other) other = row[c];
    const margin = weight * (row[this.classIndex] - other);
    if (!(margin > 0)) return;
    // After every kept margin at least as large: a tie goes to the earlier token.
    let at = this.margins.length;
    while (at > 0 && this.margins[at - 1] < margin) at--;
    if (at >= this.limit) return;
    // Shift the weaker ones down one place; the last falls off once `limit` are kept.
    for (let j = Math.min(this.tokens.length, this.limit - 1); j > at; j--) {
      this.tokens[j] = this.tokens[j - 1];
      this.margins[j] = this.margins[j - 1];
    }
    this.tokens[at] = token;
    this.margins[at] = margin;
  }

  /** `token (+margin)`, strongest first. */
  format(): string[] {
    return this.tokens.map((token, i) => `${token} (+${this.margins[i].toFixed(1)})`);
  }
}

const rowIndexes = new WeakMap<Record<string, number[]>, Map<string, number[]>>();

/**
 * The model's log-likelihood rows as a Map, built once per parameters object: a Map lookup by
 * a freshly built token string is cheaper than a lookup in a large plain object. A model is
 * data and is not changed after training.
 */
export function likelihoodRows(model: NaiveBayesParameters): Map<string, number[]> {
  let rows = rowIndexes.get(model.logLikelihoods);
  if (!rows) {
    rows = new Map(Object.entries(model.logLikelihoods));
    rowIndexes.set(model.logLikelihoods, rows);
  }
  return rows;
}

/** Six decimals: enough for log probabilities, and the model file stays small and diffable. */
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
