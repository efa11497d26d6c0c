import type * as ort from 'onnxruntime-node';
import type { TensorSpec } from '../contract/card.js';
import type { TensorJson, TensorMapJson, TypedArray } from '../contract/tensors.js';
import { AirlockError } from '../errors.js';
import { toFeeds } from '../inference/tensors.js';
import type { WorkerRun } from './model-worker.js';

export interface BatchingOptions {
  /** Most rows (items along the first axis) merged into one run. */
  readonly maxBatchSize: number;
  /** Longest a request waits for others before its batch runs anyway (Triton's max_queue_delay). */
  readonly maxQueueDelayMs: number;
}

export const DEFAULT_BATCHING: BatchingOptions = { maxBatchSize: 32, maxQueueDelayMs: 2 };

/** Runs merged feeds; `owned` says the buffers were made for this run and may be transferred. */
export type BatchRunner = (feeds: TensorMapJson, owned: boolean) => Promise<WorkerRun>;

export interface BatchedOutcome {
  readonly outputs: TensorMapJson;
  /** Rows in the merged run this request was part of. */
  readonly batchRows: number;
  /** Requests in that run. */
  readonly batchRequests: number;
  readonly queueMs: number;
  readonly runMs: number;
}

interface Pending {
  readonly feeds: Record<string, ort.Tensor>;
  readonly rows: number;
  readonly signature: string;
  readonly enqueued: number;
  readonly resolve: (o: BatchedOutcome) => void;
  readonly reject: (e: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
  settled: boolean;
}

export interface BatcherStats {
  requests: number;
  batches: number;
  largestBatch: number;
  /** How many runs had each number of rows. */
  readonly rowsHistogram: Record<number, number>;
}

function cancelled(): AirlockError {
  return new AirlockError(
    'CANCELLED',
    'The inference request was cancelled before its result was used; nothing was changed.',
  );
}

/** Concatenates same-typed tensors along the first axis (one copy per request, as the merge needs). */
function concat(parts: readonly ort.Tensor[], rows: number): TensorJson {
  const first = parts[0]!;
  const dims = [rows, ...first.dims.slice(1)];
  if (first.type === 'string')
    return { type: 'string', dims, data: parts.flatMap((p) => p.data as string[]) };
  const total = parts.reduce((n, p) => n + (p.data as TypedArray).length, 0);
  const Ctor = (first.data as TypedArray).constructor as new (n: number) => TypedArray;
  const out = new Ctor(total);
  let offset = 0;
  for (const p of parts) {
    const d = p.data as TypedArray;
    (out as unknown as { set(a: ArrayLike<number | bigint>, o: number): void }).set(d, offset);
    offset += d.length;
  }
  return { type: first.type as TensorJson['type'], dims, data: out };
}

/** The rows [from, from + rows) of an output whose first axis is the merged batch: views, no copy. */
function slice(t: TensorJson, from: number, rows: number, total: number): TensorJson {
  if (t.dims[0] !== total) return t; // no batch axis: every request gets the whole output
  const per = t.dims.slice(1).reduce((a, b) => a * b, 1);
  const data = ArrayBuffer.isView(t.data)
    ? t.data.subarray(from * per, (from + rows) * per)
    : t.data.slice(from * per, (from + rows) * per);
  return { type: t.type, dims: [rows, ...t.dims.slice(1)], data: data as TensorJson['data'] };
}

/**
 * Dynamic batching as Triton does it: requests for one model queue up; when the runner is free
 * and either max batch rows are waiting or the oldest has waited max queue delay, requests with
 * the same non-batch shape are merged along the first axis (up to max rows), run once, and each
 * caller gets back exactly its own rows. A request that fails validation is refused alone; when a
 * merged run fails, its requests are retried one by one so one bad request cannot fail the others.
 */
export class DynamicBatcher {
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  readonly batchable: boolean;
  readonly stats: BatcherStats = { requests: 0, batches: 0, largestBatch: 0, rowsHistogram: {} };

  constructor(
    private readonly specs: readonly TensorSpec[],
    private readonly runner: BatchRunner,
    readonly options: BatchingOptions = DEFAULT_BATCHING,
    private readonly maxInFlight = 1,
  ) {
    // Merging needs every input to have a symbolic first dimension (the batch axis).
    this.batchable =
      specs.length > 0 &&
      specs.every((s) => s.shape.length > 0 && typeof s.shape[0] === 'string') &&
      options.maxBatchSize > 1;
  }

  /** Queues one request; resolves with its own outputs. Validation errors reject at once. */
  submit(inputs: TensorMapJson, signal?: AbortSignal): Promise<BatchedOutcome> {
    if (signal?.aborted) return Promise.reject(cancelled());
    let feeds: Record<string, ort.Tensor>;
    try {
      feeds = toFeeds(this.specs, inputs);
    } catch (error) {
      return Promise.reject(error);
    }
    const tensors = Object.values(feeds);
    const rows = tensors[0]?.dims[0] ?? 1;
    const sameRows = tensors.every((t) => t.dims.length > 0 && t.dims[0] === rows);
    // Requests that cannot merge (no common batch axis) get a signature of their own.
    const signature =
      this.batchable && sameRows
        ? JSON.stringify(this.specs.map((s) => [feeds[s.name]!.type, feeds[s.name]!.dims.slice(1)]))
        : `solo:${this.stats.requests}`;
    this.stats.requests++;
    return new Promise<BatchedOutcome>((resolve, reject) => {
      const pending: Pending = {
        feeds,
        rows,
        signature,
        enqueued: performance.now(),
        resolve,
        reject,
        signal,
        settled: false,
        onAbort: () => {
          if (pending.settled) return;
          pending.settled = true;
          const at = this.queue.indexOf(pending);
          if (at >= 0) this.queue.splice(at, 1);
          reject(cancelled());
        },
      };
      signal?.addEventListener('abort', pending.onAbort, { once: true });
      this.queue.push(pending);
      this.schedule();
    });
  }

  /** Requests waiting (not yet running). */
  get queued(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    const head = this.queue[0]!;
    const waiting = this.queue.reduce((n, p) => (p.signature === head.signature ? n + p.rows : n), 0);
    const waited = performance.now() - head.enqueued;
    if (
      !this.batchable ||
      waiting >= this.options.maxBatchSize ||
      waited >= this.options.maxQueueDelayMs ||
      head.signature.startsWith('solo:')
    ) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      this.dispatch();
      this.schedule();
      return;
    }
    this.timer ??= setTimeout(
      () => {
        this.timer = null;
        this.schedule();
      },
      Math.max(0, this.options.maxQueueDelayMs - waited),
    );
  }

  /** Takes the head's group (same signature, in arrival order, up to max rows) and runs it. */
  private dispatch(): void {
    const head = this.queue[0]!;
    const group: Pending[] = [];
    let rows = 0;
    for (let i = 0; i < this.queue.length;) {
      const p = this.queue[i]!;
      const fits =
        group.length === 0 || (p.signature === head.signature && rows + p.rows <= this.options.maxBatchSize);
      if (fits && (group.length === 0 || !head.signature.startsWith('solo:'))) {
        group.push(p);
        rows += p.rows;
        this.queue.splice(i, 1);
        if (rows >= this.options.maxBatchSize) break;
      } else i++;
    }
    this.inFlight++;
    this.stats.batches++;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, rows);
    this.stats.rowsHistogram[rows] = (this.stats.rowsHistogram[rows] ?? 0) + 1;
    const started = performance.now();
    void this.execute(group, rows, started).finally(() => {
      this.inFlight--;
      this.schedule();
    });
  }

  private async execute(group: Pending[], rows: number, started: number): Promise<void> {
    const feeds: TensorMapJson = {};
    if (group.length === 1) {
      for (const [name, t] of Object.entries(group[0]!.feeds))
        feeds[name] = {
          type: t.type as TensorJson['type'],
          dims: [...t.dims],
          data: t.data as TensorJson['data'],
        };
    } else {
      for (const spec of this.specs)
        feeds[spec.name] = concat(
          group.map((p) => p.feeds[spec.name]!),
          rows,
        );
    }
    let run: WorkerRun;
    try {
      run = await this.runner(feeds, group.length > 1);
    } catch (error) {
      if (group.length === 1) return this.settle(group[0]!, error);
      // Isolate the failure: run each request alone so only the bad one fails.
      for (const p of group) {
        if (p.settled) continue;
        const single: TensorMapJson = {};
        for (const [name, t] of Object.entries(p.feeds))
          single[name] = {
            type: t.type as TensorJson['type'],
            dims: [...t.dims],
            data: t.data as TensorJson['data'],
          };
        try {
          const alone = await this.runner(single, false);
          this.settle(p, null, {
            outputs: alone.outputs,
            batchRows: p.rows,
            batchRequests: 1,
            queueMs: started - p.enqueued,
            runMs: alone.runMs,
          });
        } catch (e) {
          this.settle(p, e);
        }
      }
      return;
    }
    let offset = 0;
    for (const p of group) {
      const outputs: TensorMapJson = {};
      for (const [name, t] of Object.entries(run.outputs))
        outputs[name] = group.length === 1 ? t : slice(t, offset, p.rows, rows);
      offset += p.rows;
      this.settle(p, null, {
        outputs,
        batchRows: rows,
        batchRequests: group.length,
        queueMs: started - p.enqueued,
        runMs: run.runMs,
      });
    }
  }

  private settle(p: Pending, error: unknown, outcome?: BatchedOutcome): void {
    if (p.settled) return;
    p.settled = true;
    p.signal?.removeEventListener('abort', p.onAbort);
    if (outcome) p.resolve(outcome);
    else p.reject(error);
  }

  /** Refuses everything still queued (on close). */
  drain(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const p of this.queue.splice(0)) this.settle(p, cancelled());
  }
}
