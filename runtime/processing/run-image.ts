import type { AppliedConfig } from '../contract/bench.js';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Airlock } from '../airlock.js';
import type { Actor } from '../audit/audit-log.js';
import type { ImageInput, InferenceResult } from '../contract/inference.js';
import type { InstalledModel } from '../contract/models.js';
import type { TensorMapJson } from '../contract/tensors.js';
import { AirlockError, toErrorInfo } from '../errors.js';
import { DEFAULT_CONFIG, type SessionConfig } from '../inference/engine.js';
import { digestTensors } from '../inference/tensors.js';
import { runOcr, type StageRun } from '../pipeline/ocr.js';
import { canonicalDigest } from './digest.js';
import { decodeImage, type RawImage } from './image.js';
import { modelLabels } from './model-files.js';
import { knownPostSteps, postprocess } from './postprocess.js';
import { knownSteps, prepareImage } from './preprocess.js';

/** Reads an image input's bytes (the engine reads paths itself; a UI sends bytes). */
export async function imageBytes(image: ImageInput): Promise<{ bytes: Uint8Array; name: string }> {
  if (image.bytes) return { bytes: image.bytes, name: image.name ?? 'image' };
  const path = image.path!;
  try {
    return { bytes: await readFile(path), name: image.name ?? basename(path) };
  } catch (cause) {
    throw new AirlockError(
      'MEDIA_NOT_FOUND',
      `Cannot read the image ${path}: ${(cause as Error).message}. Check the path and that the medium is mounted.`,
      { cause, details: { file: path } },
    );
  }
}

export interface ImageRunOptions {
  readonly config?: SessionConfig;
  /** How stage graphs run (default: the engine's session cache on this thread). */
  readonly run?: StageRun;
}

/**
 * Runs a model (or a pipeline bundle) on one decoded image with the card's pre- and
 * post-processing. Pure of audit: callers record the run.
 */
export async function inferImage(
  airlock: Airlock,
  model: InstalledModel,
  image: RawImage,
  options: ImageRunOptions = {},
): Promise<Omit<InferenceResult, 'model' | 'version'>> {
  const config = options.config ?? DEFAULT_CONFIG;
  const run: StageRun =
    options.run ?? (async (m, inputs) => (await airlock.inference.run(m, inputs, config)).outputs);
  const ref = `${model.name}@${model.version}`;
  const started = performance.now();
  const card = model.card;
  if (card.pipeline) {
    const result = await runOcr(airlock.inference, airlock.store, model, card.pipeline, image, run, config);
    return {
      outputs: {},
      latencyMs: performance.now() - started,
      provider: config.executionProvider,
      inputDigest: imageDigest(image),
      outputDigest: canonicalDigest(result),
      result,
      results: [result],
    };
  }
  const images = card.inputs.filter((i) => i.shape.length === 4);
  if (card.inputs.length !== 1 || images.length !== 1) {
    throw new AirlockError(
      'INPUT_NAME_MISMATCH',
      `${ref} takes ${card.inputs.map((i) => `"${i.name}" ${i.type}[${i.shape.join(', ')}]`).join(', ')}; an image feeds a model with one 4-dimensional input. Give a JSON tensor map instead.`,
    );
  }
  if (!card.preprocess || card.preprocess.length === 0) {
    throw new AirlockError(
      'INPUT_INVALID',
      `${ref} declares no image pre-processing in its card, so Airlock cannot know how to turn an image into its input. Give a tensor (JSON or .npy), or ask the publisher for a card with "preprocess".`,
    );
  }
  const spec = images[0]!;
  const prepared = await prepareImage(image, knownSteps(card.preprocess, ref), spec);
  const inputs: TensorMapJson = { [spec.name]: prepared.tensor };
  const outcome = options.run
    ? {
        outputs: await options.run(model, inputs),
        provider: config.executionProvider,
        inputDigest: digestTensors(inputs),
        outputDigest: '',
      }
    : await airlock.inference.run(model, inputs, config);
  const labels = await modelLabels(airlock.store, model);
  const results = postprocess(
    knownPostSteps(card.postprocess, ref),
    outcome.outputs,
    card.outputs[0]!.name,
    labels,
    prepared.geometry,
  );
  return {
    outputs: outcome.outputs,
    provider: outcome.provider,
    inputDigest: outcome.inputDigest,
    outputDigest: outcome.outputDigest || digestTensors(outcome.outputs),
    latencyMs: performance.now() - started,
    ...(results ? { result: results[0]!, results } : {}),
  };
}

function imageDigest(image: RawImage): string {
  return digestTensors({ image: { type: 'uint8', dims: [image.height, image.width, 3], data: image.data } });
}

/**
 * `inference:run` with an image: decode, pre-process, run (or run the pipeline), post-process,
 * and record it. The audit record names the image's file name and digest (of the file bytes).
 */
export async function runImage(
  airlock: Airlock,
  actor: Actor,
  ref: string,
  input: ImageInput,
  config?: SessionConfig,
  /** The configuration choice behind `config` (tuned, default, explicit), recorded in the audit. */
  applied?: AppliedConfig,
): Promise<InferenceResult> {
  let target = ref;
  let file: { name: string; sha256: string } | null = null;
  try {
    const model = airlock.registry.resolve(ref);
    target = `${model.name}@${model.version}`;
    if (!model.enabled)
      throw new AirlockError(
        'MODEL_DISABLED',
        `${target} is disabled (${model.disabledReason ?? 'by an admin'}); it cannot run.`,
      );
    const { bytes, name } = await imageBytes(input);
    file = { name, sha256: createHash('sha256').update(bytes).digest('hex') };
    const image = await decodeImage(bytes, name);
    const outcome = await inferImage(airlock, model, image, config ? { config } : {});
    airlock.audit.append(actor, {
      action: 'inference.run',
      target,
      outcome: 'success',
      details: {
        image: file,
        inputDigest: outcome.inputDigest,
        outputDigest: outcome.outputDigest,
        latencyMs: Math.round(outcome.latencyMs * 1000) / 1000,
        provider: outcome.provider,
        ...(model.card.pipeline ? { pipeline: model.card.pipeline.kind } : {}),
        ...(applied ? { config: applied } : {}),
      },
    });
    return { model: model.name, version: model.version, ...outcome };
  } catch (error) {
    const info = toErrorInfo(error);
    if (info.code !== 'AUDIT_WRITE_FAILED')
      airlock.audit.append(actor, {
        action: 'inference.run',
        target,
        outcome: 'failure',
        details: { error: info, ...(file ? { image: file } : {}) },
      });
    throw error;
  }
}

/** The card's post-processing over tensor outputs (tensor runs of a model that declares it). */
export async function postprocessTensors(
  airlock: Airlock,
  model: InstalledModel,
  outputs: TensorMapJson,
): Promise<Pick<InferenceResult, 'result' | 'results'>> {
  const ref = `${model.name}@${model.version}`;
  const labels = await modelLabels(airlock.store, model);
  const results = postprocess(
    knownPostSteps(model.card.postprocess, ref),
    outputs,
    model.card.outputs[0]!.name,
    labels,
  );
  return results && results.length > 0 ? { result: results[0]!, results } : {};
}
