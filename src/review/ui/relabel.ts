import { ApiRequestError, type ReviewApi } from './api.js';
import { announce, describeError } from './status.js';
import { isLabel, type BlockReview, type Correction, type Label } from './types.js';

/** A block's label as the page should show it now. */
export interface LabelChange {
  articleId: string;
  blockIndex: number;
  label: Label;
  /** The stored decision once the server has it; undefined while pending or after a rollback. */
  review?: BlockReview | null;
  /** True between the optimistic update and the server's answer. */
  pending: boolean;
}

/** A block as the page currently shows it: what a correction's `expected` must say. */
export interface ShownBlock {
  blockIndex: number;
  label: Label;
}

/** One stored batch, kept so `u` can take it back. */
interface StoredBatch {
  articleId: string;
  items: { blockIndex: number; from: Label; to: Label; correctionId: number }[];
}

type Listener = (changes: LabelChange[]) => void;

/** Most corrections the API takes in one request. */
const MAX_BATCH = 500;

/**
 * Relabelling with optimistic updates: views show the new label at once, the request follows,
 * and a refusal puts back what the server holds (a 409 names the label someone else set).
 * Requests run one after another, so a quick `p` then `e` on the same block reaches the server
 * in that order and each `expected` matches what the one before stored.
 */
export class Relabeler {
  /** Label of the last relabel, for `l` (relabel the whole listing the same way). */
  lastLabel: Label | null = null;
  private readonly stored: StoredBatch[] = [];
  private readonly listeners = new Set<Listener>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly api: ReviewApi,
    private readonly reviewer: () => string,
    /** Called after every stored batch (e.g. to refresh the reviewed counts). */
    private readonly onStored: () => void = () => undefined,
  ) {}

  /** Follow label changes; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Give blocks of one article the label `to`, in one request. Resolves true once stored. */
  apply(articleId: string, blocks: ShownBlock[], to: Label, what = describeBlocks(blocks)): Promise<boolean> {
    if (blocks.length === 0) return Promise.resolve(false);
    this.lastLabel = to;
    this.emit(blocks.map((block) => ({ articleId, blockIndex: block.blockIndex, label: to, pending: true })));
    return this.serial(async () => {
      try {
        const { corrections } = await this.api.correct(
          articleId,
          this.reviewer(),
          blocks.map((block) => ({ blockIndex: block.blockIndex, label: to, expected: block.label })),
        );
        this.settle(articleId, corrections);
        this.stored.push(batchOf(articleId, corrections));
        announce(`${capitalize(what)} labelled ${to}.`, 'ok');
        this.onStored();
        return true;
      } catch (error) {
        this.rollBack(articleId, blocks, error, `Could not label ${what}`);
        return false;
      }
    });
  }

  /**
   * Confirm blocks as they are shown: each keeps its label, and the confirmation is a person's
   * decision that the export trains on. One request per `MAX_BATCH` blocks; `u` takes back the last.
   */
  confirm(articleId: string, blocks: ShownBlock[], what = describeBlocks(blocks)): Promise<boolean> {
    if (blocks.length === 0) return Promise.resolve(false);
    return this.serial(async () => {
      try {
        for (let start = 0; start < blocks.length; start += MAX_BATCH) {
          const chunk = blocks.slice(start, start + MAX_BATCH);
          const { corrections } = await this.api.correct(
            articleId,
            this.reviewer(),
            chunk.map((block) => ({ blockIndex: block.blockIndex, label: block.label, expected: block.label })),
          );
          this.settle(articleId, corrections);
          this.stored.push(batchOf(articleId, corrections));
        }
        announce(`${capitalize(what)} confirmed.`, 'ok');
        this.onStored();
        return true;
      } catch (error) {
        this.rollBack(articleId, blocks, error, `Could not confirm ${what}`);
        this.onStored();
        return false;
      }
    });
  }

  /** Take back the last stored batch: new corrections restoring the labels it replaced. */
  undo(): Promise<boolean> {
    return this.serial(async () => {
      const batch = this.stored.pop();
      if (!batch) {
        announce('Nothing to undo.');
        return false;
      }
      const { articleId, items } = batch;
      const shown = items.map((item) => ({ blockIndex: item.blockIndex, label: item.to }));
      const what = describeBlocks(shown);
      this.emit(items.map((item) => ({ articleId, blockIndex: item.blockIndex, label: item.from, pending: true })));
      try {
        const { corrections } = await this.api.correct(
          articleId,
          this.reviewer(),
          items.map((item) => ({ blockIndex: item.blockIndex, label: item.from, expected: item.to, undoes: item.correctionId })),
        );
        // An undo takes the decision back: the blocks are unreviewed again.
        this.emit(corrections.map((correction) => ({ articleId, blockIndex: correction.blockIndex, label: correction.label, review: null, pending: false })));
        announce(`Undone: ${what} back to ${items.map((item) => item.from).filter(unique).join('/')}.`, 'ok');
        this.onStored();
        return true;
      } catch (error) {
        // A conflict means someone else moved on from this batch: undoing it is no longer ours to do.
        if (!(error instanceof ApiRequestError && error.status === 409)) this.stored.push(batch);
        this.rollBack(articleId, shown, error, `Could not undo ${what}`);
        return false;
      }
    });
  }

  private settle(articleId: string, corrections: Correction[]): void {
    this.emit(
      corrections.map((correction) => ({
        articleId,
        blockIndex: correction.blockIndex,
        label: correction.label,
        review: { label: correction.label, correctionId: correction.id, reviewer: correction.reviewer, createdAt: correction.createdAt },
        pending: false,
      })),
    );
  }

  /** Show the server's truth again after a refused request, and say why. */
  private rollBack(articleId: string, shown: ShownBlock[], error: unknown, prefix: string): void {
    const current = error instanceof ApiRequestError && error.status === 409 ? conflictLabels(error.body) : new Map<number, ConflictingBlock>();
    this.emit(shown.map((block) => ({ articleId, blockIndex: block.blockIndex, label: current.get(block.blockIndex)?.label ?? block.label, pending: false })));
    if (current.size > 0) {
      const now = [...current]
        .map(([index, block]) => `block ${index + 1} is now ${block.label}${block.reviewer ? ` (set by ${block.reviewer})` : ''}`)
        .join(', ');
      announce(`${prefix}: someone changed it first; ${now}.`, 'error');
    } else {
      announce(`${prefix}: ${describeError(error)}`, 'error');
    }
  }

  private emit(changes: LabelChange[]): void {
    for (const listener of this.listeners) listener(changes);
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

function batchOf(articleId: string, corrections: Correction[]): StoredBatch {
  return {
    articleId,
    items: corrections.map((correction) => ({ blockIndex: correction.blockIndex, from: correction.previousLabel, to: correction.label, correctionId: correction.id })),
  };
}

/** What a 409 says a block holds now. */
export interface ConflictingBlock {
  label: Label;
  /** Who set it, or null when it is still the model's label. */
  reviewer: string | null;
}

/**
 * The labels a 409 says blocks have now: its `current` lists every conflicting block as
 * `{blockIndex, label, reviewer}`. Read leniently, so an odd body only loses the detail.
 */
export function conflictLabels(body: Record<string, unknown>): Map<number, ConflictingBlock> {
  const labels = new Map<number, ConflictingBlock>();
  const entries = Array.isArray(body.current) ? body.current : [body.current];
  for (const entry of entries) {
    if (entry === null || typeof entry !== 'object') continue;
    const { blockIndex, label, reviewer } = entry as { blockIndex?: unknown; label?: unknown; reviewer?: unknown };
    if (typeof blockIndex === 'number' && isLabel(label)) labels.set(blockIndex, { label, reviewer: typeof reviewer === 'string' ? reviewer : null });
  }
  return labels;
}

function describeBlocks(blocks: ShownBlock[]): string {
  return blocks.length === 1 ? `block ${blocks[0].blockIndex + 1}` : `${blocks.length} blocks`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function unique<T>(value: T, index: number, all: T[]): boolean {
  return all.indexOf(value) === index;
}
