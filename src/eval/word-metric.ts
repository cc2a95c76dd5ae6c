/**
 * The WCXB benchmark's metric (its evaluate.py): bag-of-words precision, recall and F1 per page,
 * averaged over pages, plus the share of `with` snippets a prediction contains and of `without`
 * snippets it wrongly contains.
 *
 * Tokens are `re.findall(r'\w+', text.lower())` in Python; here `[\p{L}\p{N}_]+` on the
 * lowercased text. Python's `\w` also takes combining marks (\p{M}), so a word with a combining
 * accent is one token there and two here; on precomposed text (nearly all pages) they agree.
 */
import { wordTokens } from '../corpus/align.js';

/** One page's scores. */
export interface WordPageScore {
  precision: number;
  recall: number;
  f1: number;
  /** The prediction had no tokens. */
  empty: boolean;
  /** Share of `with` snippets found (null when the page has none). */
  withRate: number | null;
  /** Share of `without` snippets found (null when the page has none). */
  withoutRate: number | null;
}

function bag(tokens: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
  return counts;
}

/**
 * Precision, recall and F1 of a prediction against the truth on bags of words. Empty truth: 1
 * when the prediction is empty too, else 0; empty prediction (non-empty truth): 0.
 */
export function wordScore(predicted: string, truth: string): { precision: number; recall: number; f1: number } {
  const p = wordTokens(predicted);
  const t = wordTokens(truth);
  if (t.length === 0) return p.length === 0 ? { precision: 1, recall: 1, f1: 1 } : { precision: 0, recall: 0, f1: 0 };
  if (p.length === 0) return { precision: 0, recall: 0, f1: 0 };
  const truthBag = bag(t);
  let overlap = 0;
  for (const [word, count] of bag(p)) overlap += Math.min(count, truthBag.get(word) ?? 0);
  const precision = overlap / p.length;
  const recall = overlap / t.length;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

/** Share of snippets found in the prediction as lowercased substrings; null without snippets. */
export function snippetRate(predicted: string, snippets: readonly string[]): number | null {
  if (snippets.length === 0) return null;
  const text = predicted.toLowerCase();
  return snippets.filter((snippet) => text.includes(snippet.toLowerCase())).length / snippets.length;
}

/** Score one page: word P/R/F1 plus the `with` / `without` snippet rates. */
export function scoreWordPage(predicted: string, truth: { text: string; with?: readonly string[]; without?: readonly string[] }): WordPageScore {
  return {
    ...wordScore(predicted, truth.text),
    empty: wordTokens(predicted).length === 0,
    withRate: snippetRate(predicted, truth.with ?? []),
    withoutRate: snippetRate(predicted, truth.without ?? []),
  };
}

/** Means over pages (F1 is the mean of page F1s), the snippet rates over pages that have snippets, empty answers. */
export interface WordAggregate {
  pages: number;
  precision: number;
  recall: number;
  f1: number;
  withRate: number | null;
  withoutRate: number | null;
  empty: number;
}

export function aggregateWords(scores: readonly WordPageScore[]): WordAggregate {
  const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);
  const rates = (pick: (s: WordPageScore) => number | null) => {
    const values = scores.map(pick).filter((v): v is number => v !== null);
    return values.length === 0 ? null : mean(values);
  };
  return {
    pages: scores.length,
    precision: mean(scores.map((s) => s.precision)),
    recall: mean(scores.map((s) => s.recall)),
    f1: mean(scores.map((s) => s.f1)),
    withRate: rates((s) => s.withRate),
    withoutRate: rates((s) => s.withoutRate),
    empty: scores.filter((s) => s.empty).length,
  };
}
