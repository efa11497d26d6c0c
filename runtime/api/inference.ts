import type { Actor } from '../audit/audit-log.js';
import type { Airlock } from '../airlock.js';
import type { RunConfigRequest } from '../contract/bench.js';
import type { InferenceResult } from '../contract/inference.js';
import type { TensorMapJson } from '../contract/tensors.js';
import { AirlockError, toErrorInfo } from '../errors.js';
import { postprocessTensors } from '../processing/run-image.js';
import { runBatched } from '../batching/run-batched.js';
import { resolveRunConfig, toSessionConfig } from '../tuning/resolve.js';

/**
 * Runs a model and records it. The output is returned only after its audit record is durable:
 * if the log cannot be written, the caller gets AUDIT_WRITE_FAILED and no result.
 */
export async function runModel(
  airlock: Airlock,
  actor: Actor,
  ref: string,
  inputs: TensorMapJson,
  configRequest?: RunConfigRequest,
  batched = false,
): Promise<InferenceResult> {
  let target = ref;
  try {
    const model = airlock.registry.resolve(ref);
    target = `${model.name}@${model.version}`;
    if (!model.enabled) {
      throw new AirlockError(
        'MODEL_DISABLED',
        `${target} is disabled (${model.disabledReason ?? 'by an admin'}); it cannot run.`,
      );
    }
    // The session config: tuned for this machine unless the caller says otherwise (runtime/tuning).
    const config = await resolveRunConfig(airlock, model, configRequest);
    const outcome = batched
      ? await runBatched(
          airlock,
          model,
          inputs,
          toSessionConfig(config.config),
          // The throughput choice measured where merged batches stop paying: stay within it.
          config.source === 'tuned-throughput' ? config.config.batchSize : undefined,
        )
      : await airlock.inference.run(model, inputs, toSessionConfig(config.config));
    // Post-processing only where the card declares it: the plain tensor path does no extra work.
    const processed = model.card.postprocess?.length
      ? await postprocessTensors(airlock, model, outcome.outputs)
      : null;
    airlock.audit.append(actor, {
      action: 'inference.run',
      target,
      outcome: 'success',
      details: {
        inputDigest: outcome.inputDigest,
        outputDigest: outcome.outputDigest,
        latencyMs: Math.round(outcome.latencyMs * 1000) / 1000,
        provider: outcome.provider,
        config,
      },
    });
    return { model: model.name, version: model.version, ...outcome, ...processed, config };
  } catch (error) {
    const info = toErrorInfo(error);
    if (info.code !== 'AUDIT_WRITE_FAILED') {
      airlock.audit.append(actor, {
        action: 'inference.run',
        target,
        outcome: 'failure',
        details: { error: info },
      });
    }
    throw error;
  }
}
