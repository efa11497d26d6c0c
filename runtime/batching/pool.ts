import type { InstalledModel } from '../contract/models.js';
import type { TensorMapJson } from '../contract/tensors.js';
import {
  configKey,
  DEFAULT_CONFIG,
  installedGraph,
  sessionOptions,
  type SessionConfig,
} from '../inference/engine.js';
import type { ModelStore } from '../store/model-store.js';
import { DEFAULT_BATCHING, DynamicBatcher, type BatchedOutcome, type BatchingOptions } from './batcher.js';
import { ModelWorker } from './model-worker.js';

interface Entry {
  readonly worker: ModelWorker;
  readonly batcher: DynamicBatcher;
}

export interface PooledRunOptions {
  readonly config?: SessionConfig;
  readonly batching?: BatchingOptions;
  readonly signal?: AbortSignal | undefined;
}

/**
 * One worker thread (holding the onnxruntime session) and one dynamic batcher per model graph,
 * session config and batching setting. The graph's file and its external data files are read and
 * hashed against their signed digests, and the worker opens its session from those very bytes. Least recently used entries are closed beyond `maxWorkers`.
 */
export class BatchingPool {
  private readonly entries = new Map<string, Promise<Entry>>();

  constructor(
    private readonly store: ModelStore,
    private readonly maxWorkers = 4,
  ) {}

  private async open(
    model: InstalledModel,
    config: SessionConfig,
    batching: BatchingOptions,
  ): Promise<Entry> {
    const bytes = await installedGraph(this.store, model);
    const worker = new ModelWorker(
      bytes,
      sessionOptions(config),
      `${model.name}@${model.version} (${model.card.model})`,
    );
    try {
      await worker.opened();
    } catch (error) {
      await worker.close();
      throw error;
    }
    const batcher = new DynamicBatcher(
      model.card.inputs,
      (feeds, owned) => worker.run(feeds, owned),
      batching,
    );
    return { worker, batcher };
  }

  private entry(model: InstalledModel, config: SessionConfig, batching: BatchingOptions): Promise<Entry> {
    const file = model.files.find((f) => f.path === model.card.model);
    const key = `${file?.sha256 ?? model.bundleSha256}|${model.card.model}|${configKey(config)}|${batching.maxBatchSize}|${batching.maxQueueDelayMs}`;
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry;
    }
    entry = this.open(model, config, batching);
    this.entries.set(key, entry);
    entry.catch(() => this.entries.delete(key));
    while (this.entries.size > this.maxWorkers) {
      const oldest = this.entries.keys().next().value as string;
      const evicted = this.entries.get(oldest)!;
      this.entries.delete(oldest);
      void evicted.then((e) => this.closeEntry(e)).catch(() => undefined);
    }
    return entry;
  }

  private async closeEntry(e: Entry): Promise<void> {
    e.batcher.drain();
    await e.worker.close();
  }

  /** The batcher serving a model (opened on first use): for statistics and tests. */
  async batcher(model: InstalledModel, options: PooledRunOptions = {}): Promise<DynamicBatcher> {
    return (await this.entry(model, options.config ?? DEFAULT_CONFIG, options.batching ?? DEFAULT_BATCHING))
      .batcher;
  }

  /** Runs one request through the model's batcher and worker. */
  async run(
    model: InstalledModel,
    inputs: TensorMapJson,
    options: PooledRunOptions = {},
  ): Promise<BatchedOutcome> {
    const { batcher } = await this.entry(
      model,
      options.config ?? DEFAULT_CONFIG,
      options.batching ?? DEFAULT_BATCHING,
    );
    return batcher.submit(inputs, options.signal);
  }

  /** Closes the workers serving a graph file (after its model was disabled or removed). */
  async forget(fileSha256: string): Promise<void> {
    const gone: Promise<Entry>[] = [];
    for (const [key, entry] of this.entries) {
      if (key.startsWith(`${fileSha256}|`)) {
        this.entries.delete(key);
        gone.push(entry);
      }
    }
    await Promise.allSettled(gone.map(async (e) => this.closeEntry(await e)));
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.allSettled(all.map(async (e) => this.closeEntry(await e)));
  }
}
