import type { Airlock } from '../airlock.js';
import type { InstalledModel } from '../contract/models.js';
import type { TensorMapJson } from '../contract/tensors.js';
import type { RunOutcome, SessionConfig } from '../inference/engine.js';
import { digestTensors } from '../inference/tensors.js';
import { DEFAULT_BATCHING } from './batcher.js';

/**
 * One call through the model's dynamic batcher and worker thread: merged with whatever other
 * calls for the same model and config are waiting, and answered with exactly its own rows.
 */
export async function runBatched(
  airlock: Airlock,
  model: InstalledModel,
  inputs: TensorMapJson,
  config: SessionConfig,
  /** The tuned batch size, where the benchmark measured one: merged runs stay within it. */
  maxBatchSize?: number,
  signal?: AbortSignal,
): Promise<RunOutcome> {
  const started = performance.now();
  const batching = maxBatchSize ? { ...DEFAULT_BATCHING, maxBatchSize } : DEFAULT_BATCHING;
  const outcome = await airlock.batching.run(model, inputs, { config, batching, signal });
  return {
    outputs: outcome.outputs,
    latencyMs: performance.now() - started,
    provider: config.executionProvider,
    inputDigest: digestTensors(inputs),
    outputDigest: digestTensors(outcome.outputs),
  };
}
