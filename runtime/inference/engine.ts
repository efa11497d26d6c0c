import type * as ort from 'onnxruntime-node';
import type { InstalledModel } from '../contract/models.js';
import type { TensorMapJson } from '../contract/tensors.js';
import { AirlockError } from '../errors.js';
import type { ModelStore } from '../store/model-store.js';
import { openSession, readGraph, type ModelBytes } from './model-bytes.js';
import { digestTensors, fromOrt, toFeeds } from './tensors.js';

/** How a session is opened: the search space the benchmark explores. */
export interface SessionConfig {
  readonly executionProvider: string;
  readonly intraOpNumThreads?: number;
  readonly interOpNumThreads?: number;
  readonly executionMode?: 'sequential' | 'parallel';
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

export const DEFAULT_CONFIG: SessionConfig = { executionProvider: 'cpu' };

/**
 * The session settings among a config's fields (a benchmark config, a job config, a run request):
 * the one mapping from any of them to what a session is opened with. The provider defaults to the
 * CPU; zero or unset thread counts leave onnxruntime's choice.
 */
export function toSessionConfig(c: {
  readonly executionProvider?: string | undefined;
  readonly intraOpNumThreads?: number | undefined;
  readonly interOpNumThreads?: number | undefined;
  readonly executionMode?: SessionConfig['executionMode'] | undefined;
  readonly graphOptimizationLevel?: SessionConfig['graphOptimizationLevel'] | undefined;
}): SessionConfig {
  return {
    executionProvider: c.executionProvider ?? 'cpu',
    ...(c.intraOpNumThreads ? { intraOpNumThreads: c.intraOpNumThreads } : {}),
    ...(c.interOpNumThreads ? { interOpNumThreads: c.interOpNumThreads } : {}),
    ...(c.executionMode ? { executionMode: c.executionMode } : {}),
    ...(c.graphOptimizationLevel ? { graphOptimizationLevel: c.graphOptimizationLevel } : {}),
  };
}

export function configKey(config: SessionConfig): string {
  return JSON.stringify([
    config.executionProvider,
    config.intraOpNumThreads ?? 0,
    config.interOpNumThreads ?? 0,
    config.executionMode ?? '',
    config.graphOptimizationLevel ?? '',
  ]);
}

/** onnxruntime's options for a session config. */
export function sessionOptions(config: SessionConfig): ort.InferenceSession.SessionOptions {
  const { executionProvider, ...rest } = toSessionConfig(config);
  return { executionProviders: [executionProvider], ...rest };
}

export interface RunOutcome {
  readonly outputs: TensorMapJson;
  readonly latencyMs: number;
  readonly provider: string;
  readonly inputDigest: string;
  readonly outputDigest: string;
}

interface CachedSession {
  readonly session: ort.InferenceSession;
  readonly provider: string;
}

/**
 * The installed bytes of one graph of a model (its card's model, or a pipeline stage's) and of the
 * external data files it names, read from the store and hashed against their signed digests: a
 * file changed, replaced or removed after install is MODEL_TAMPERED. A session is opened from
 * exactly these bytes, so nothing on disk can change between the check and the load.
 */
export async function installedGraph(
  store: Pick<ModelStore, 'read'>,
  model: InstalledModel,
  graph: string = model.card.model,
): Promise<ModelBytes> {
  if (!model.files.some((f) => f.path === graph))
    throw new AirlockError(
      'MODEL_TAMPERED',
      `${model.name}@${model.version} has no file ${JSON.stringify(graph)} recorded; re-import its bundle.`,
      { details: { file: graph } },
    );
  return readGraph(
    graph,
    model.files,
    (f) => store.read(f.sha256),
    (f) =>
      new AirlockError(
        'MODEL_TAMPERED',
        `The installed file ${f.path} of ${model.name}@${model.version} no longer matches its signed digest: it was changed on disk after install. It will not run; re-import the bundle from the original medium and check who had access to the data directory.`,
        { details: { sha256: f.sha256, file: f.path } },
      ),
  );
}

/**
 * Runs installed models through onnxruntime-node with a session cache (keyed by model, version and
 * session config, least recently used first out). A model's files are read and re-hashed when its
 * session is opened, and the session is opened from those very bytes, so a blob changed on disk
 * after install is refused rather than run.
 */
export class InferenceEngine {
  private readonly sessions = new Map<string, Promise<CachedSession>>();

  constructor(
    private readonly store: ModelStore,
    private readonly maxSessions = 8,
  ) {}

  async session(model: InstalledModel, config: SessionConfig = DEFAULT_CONFIG): Promise<CachedSession> {
    const key = `${model.bundleSha256}|${configKey(config)}`;
    let entry = this.sessions.get(key);
    if (entry) {
      // Refresh its place in the LRU order.
      this.sessions.delete(key);
      this.sessions.set(key, entry);
      return entry;
    }
    entry = this.load(model, config);
    this.sessions.set(key, entry);
    entry.catch(() => this.sessions.delete(key));
    while (this.sessions.size > this.maxSessions) {
      const oldest = this.sessions.keys().next().value as string;
      const evicted = this.sessions.get(oldest)!;
      this.sessions.delete(oldest);
      evicted.then((s) => s.session.release()).catch(() => undefined);
    }
    return entry;
  }

  private async load(model: InstalledModel, config: SessionConfig): Promise<CachedSession> {
    const bytes = await installedGraph(this.store, model);
    try {
      const session = await openSession(bytes, sessionOptions(config));
      return { session, provider: config.executionProvider };
    } catch (cause) {
      throw new AirlockError(
        'PROVIDER_UNAVAILABLE',
        `onnxruntime could not open ${model.name}@${model.version} with the ${config.executionProvider} provider: ${(cause as Error).message.split('\n')[0]}`,
        { cause },
      );
    }
  }

  async run(
    model: InstalledModel,
    inputs: TensorMapJson,
    config: SessionConfig = DEFAULT_CONFIG,
  ): Promise<RunOutcome> {
    const feeds = toFeeds(model.card.inputs, inputs);
    const { session, provider } = await this.session(model, config);
    const started = performance.now();
    let results: ort.InferenceSession.OnnxValueMapType;
    try {
      results = await session.run(feeds);
    } catch (cause) {
      throw new AirlockError(
        'INFERENCE_FAILED',
        `onnxruntime failed to run ${model.name}@${model.version}: ${(cause as Error).message.split('\n')[0]}`,
        { cause },
      );
    }
    const latencyMs = performance.now() - started;
    const outputs: TensorMapJson = {};
    for (const [name, value] of Object.entries(results)) outputs[name] = fromOrt(value as ort.Tensor);
    return {
      outputs,
      latencyMs,
      provider,
      inputDigest: digestTensors(feeds),
      outputDigest: digestTensors(outputs),
    };
  }

  /** Releases the sessions of one installed bundle (after its model was disabled or removed). */
  async forget(bundleSha256: string): Promise<void> {
    const gone: Promise<CachedSession>[] = [];
    for (const [key, entry] of this.sessions) {
      if (key.startsWith(`${bundleSha256}|`)) {
        this.sessions.delete(key);
        gone.push(entry);
      }
    }
    await Promise.allSettled(gone.map(async (s) => (await s).session.release()));
  }

  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(all.map(async (s) => (await s).session.release()));
  }
}
