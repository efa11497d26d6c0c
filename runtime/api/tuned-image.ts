import type { Actor } from '../audit/audit-log.js';
import type { Airlock } from '../airlock.js';
import type { RunConfigRequest } from '../contract/bench.js';
import type { ImageInput, InferenceResult } from '../contract/inference.js';
import { runImage } from '../processing/run-image.js';
import { resolveRunConfig, toSessionConfig } from '../tuning/resolve.js';

/**
 * An image run with the same config choice as a tensor run (tuned for this machine unless the
 * caller says otherwise). A model that does not resolve goes straight to runImage, which reports
 * and audits the failure.
 */
export async function runImageTuned(
  airlock: Airlock,
  actor: Actor,
  ref: string,
  image: ImageInput,
  request: RunConfigRequest | undefined,
): Promise<InferenceResult> {
  let model;
  try {
    model = airlock.registry.resolve(ref);
  } catch {
    return runImage(airlock, actor, ref, image);
  }
  const config = await resolveRunConfig(airlock, model, request);
  const result = await runImage(airlock, actor, ref, image, toSessionConfig(config.config), config);
  return { ...result, config };
}
