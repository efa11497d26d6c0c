import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { AdmissionGate } from '../admission/gate.js';
import type { Actor, AuditLog } from '../audit/audit-log.js';
import { DEFAULT_BATCHING, type BatchingOptions } from '../batching/batcher.js';
import type { BatchingPool } from '../batching/pool.js';
import type { RunConfigRequest } from '../contract/bench.js';
import type { InferenceResult } from '../contract/inference.js';
import type { InstalledModel } from '../contract/models.js';
import type { ProcessedResult } from '../contract/processing.js';
import type { TensorMapJson } from '../contract/tensors.js';
import { AirlockError, toErrorInfo } from '../errors.js';
import { toSessionConfig, type InferenceEngine, type SessionConfig } from '../inference/engine.js';
import { digestTensors } from '../inference/tensors.js';
import { runOcr, type StageRun } from '../pipeline/ocr.js';
import { canonicalDigest } from '../processing/digest.js';
import { decodeImage, type RawImage } from '../processing/image.js';
import { modelLabels } from '../processing/model-files.js';
import { knownPostSteps, postprocess } from '../processing/postprocess.js';
import { knownSteps, prepareImage } from '../processing/preprocess.js';
import type { ModelStore } from '../store/model-store.js';
import type { ModelRegistry } from '../store/model-registry.js';
import type { RunConfigs } from '../tuning/resolve.js';
import { inputFileKind, readInputFile, tensorsFromFile, type InputFileKind } from './input-file.js';

/** An input file as the user gave it: its kind follows its name unless the caller says. */
export interface RunFile {
  readonly bytes: Uint8Array;
  readonly name: string;
  readonly kind?: InputFileKind | undefined;
}

/** What a model runs on: tensors, or an input file (image, .npy or .json). */
export type RunInput = { readonly tensors: TensorMapJson } | { readonly file: RunFile };

const kindOf = (file: RunFile) => file.kind ?? inputFileKind(file.name);

/** How a run executes. */
export interface RunHow {
  readonly config: SessionConfig;
  /**
   * Through the model's dynamic batcher and worker thread, merged with other calls waiting for
   * the same model and config; absent: the engine's session cache on this thread.
   */
  readonly batching?: BatchingOptions | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** A run's outputs, readable result and measurements; its evidence is computed on request. */
export interface Inferred {
  readonly outputs: TensorMapJson;
  readonly result?: ProcessedResult;
  readonly results?: readonly ProcessedResult[];
  readonly latencyMs: number;
  readonly provider: string;
  /** SHA-256 over the canonical encoding of what went in and came out (the audit record's digests). */
  readonly evidence: () => { readonly inputDigest: string; readonly outputDigest: string };
}

export interface RunnerServices {
  readonly registry: Pick<ModelRegistry, 'resolve'>;
  readonly admission: Pick<AdmissionGate, 'checkModel'>;
  readonly inference: InferenceEngine;
  readonly batching: Pick<BatchingPool, 'run'>;
  readonly store: ModelStore;
  readonly audit: Pick<AuditLog, 'append'>;
  readonly configs: Pick<RunConfigs, 'forRun'>;
}

/** What `inference:run` asks for. */
export interface RunRequest {
  readonly model: string;
  readonly input:
    | RunInput
    | {
        readonly path: string;
        readonly name?: string | undefined;
        readonly kind?: InputFileKind | undefined;
      };
  readonly config?: RunConfigRequest | undefined;
  readonly batched?: boolean | undefined;
}

const label = (m: Pick<InstalledModel, 'name' | 'version'>) => `${m.name}@${m.version}`;

/**
 * The one run path: resolve the model and the config, ask admission whether it may run, prepare
 * the input, run it (session cache or dynamic batcher), post-process, and record the evidence.
 * Single runs (tensors, files, images), batched runs, pipelines and every input of a batch job go
 * through here; the job runner only schedules and records.
 */
export class ModelRunner {
  constructor(private readonly services: RunnerServices) {}

  /** Resolves NAME[@VERSION] and asks admission whether it may run now (throws the refusal). */
  admitted(ref: string): InstalledModel {
    const model = this.services.registry.resolve(ref);
    this.services.admission.checkModel(model, 'run');
    return model;
  }

  /** `inference:run`: the whole path, answered only once its audit record is durable. */
  async run(actor: Actor, request: RunRequest): Promise<InferenceResult> {
    let target = request.model;
    let file: { name: string; sha256: string } | null = null;
    let isImage = false;
    try {
      const model = this.admitted(request.model);
      target = label(model);
      const applied = await this.services.configs.forRun(model, request.config);
      const input = await readRunInput(request.input);
      if ('file' in input) {
        file = { name: input.file.name, sha256: createHash('sha256').update(input.file.bytes).digest('hex') };
        isImage = kindOf(input.file) === 'image';
      }
      const tunedBatch = applied.source === 'tuned-throughput' ? applied.config.batchSize : undefined;
      const outcome = await this.infer(model, input, {
        config: toSessionConfig(applied.config),
        // The throughput choice measured where merged batches stop paying: stay within it.
        ...(request.batched
          ? { batching: tunedBatch ? { ...DEFAULT_BATCHING, maxBatchSize: tunedBatch } : DEFAULT_BATCHING }
          : {}),
      });
      const { evidence, ...result } = outcome;
      const digests = evidence();
      this.services.audit.append(actor, {
        action: 'inference.run',
        target,
        outcome: 'success',
        details: {
          ...(file ? { [isImage ? 'image' : 'file']: file } : {}),
          ...digests,
          latencyMs: Math.round(outcome.latencyMs * 1000) / 1000,
          provider: outcome.provider,
          ...(model.card.pipeline && isImage ? { pipeline: model.card.pipeline.kind } : {}),
          config: applied,
        },
      });
      return { model: model.name, version: model.version, ...result, ...digests, config: applied };
    } catch (error) {
      const info = toErrorInfo(error);
      if (info.code !== 'AUDIT_WRITE_FAILED')
        this.services.audit.append(actor, {
          action: 'inference.run',
          target,
          outcome: 'failure',
          details: { error: info, ...(file ? { [isImage ? 'image' : 'file']: file } : {}) },
        });
      throw error;
    }
  }

  /**
   * Prepares the input, runs the model (or its pipeline), and applies the card's post-processing.
   * Pure of audit: callers record the run. Images are decoded and pre-processed as the card says;
   * tensor files are read as the model's inputs.
   */
  async infer(model: InstalledModel, input: RunInput, how: RunHow): Promise<Inferred> {
    const ref = label(model);
    const started = performance.now();
    if ('file' in input && kindOf(input.file) === 'image')
      return this.inferImage(model, await decodeImage(input.file.bytes, input.file.name), how, started);
    const tensors =
      'file' in input
        ? tensorsFromFile(input.file.bytes, input.file.name, model.card.inputs, ref)
        : input.tensors;
    if (model.card.pipeline)
      throw new AirlockError(
        'INPUT_INVALID',
        `${ref} is a pipeline that reads images; give it an image, not tensors.`,
      );
    const run = await this.execute(model, tensors, how, started);
    // Post-processing only where the card declares it: the plain tensor path does no extra work.
    const processed = model.card.postprocess?.length ? await this.postprocess(model, run.outputs) : {};
    return { ...run, ...processed };
  }

  private async inferImage(
    model: InstalledModel,
    image: RawImage,
    how: RunHow,
    started: number,
  ): Promise<Inferred> {
    const ref = label(model);
    const card = model.card;
    const provider = how.config.executionProvider;
    if (card.pipeline) {
      const stage: StageRun = async (m, inputs) => (await this.execute(m, inputs, how, started)).outputs;
      const result = await runOcr(
        this.services.inference,
        this.services.store,
        model,
        card.pipeline,
        image,
        stage,
        how.config,
      );
      return {
        outputs: {},
        result,
        results: [result],
        latencyMs: performance.now() - started,
        provider,
        evidence: () => ({ inputDigest: imageDigest(image), outputDigest: canonicalDigest(result) }),
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
    const run = await this.execute(model, { [spec.name]: prepared.tensor }, how, started);
    const labels = await modelLabels(this.services.store, model);
    const results = postprocess(
      knownPostSteps(card.postprocess, ref),
      run.outputs,
      card.outputs[0]!.name,
      labels,
      prepared.geometry,
    );
    return {
      ...run,
      latencyMs: performance.now() - started,
      ...(results ? { result: results[0]!, results } : {}),
    };
  }

  /**
   * One graph run. On the session cache, the engine times the run itself and digests its feeds;
   * through the batcher, the time includes waiting to be merged and digests are made on request.
   */
  private async execute(
    model: InstalledModel,
    inputs: TensorMapJson,
    how: RunHow,
    started: number,
  ): Promise<Omit<Inferred, 'result' | 'results'>> {
    if (!how.batching) {
      const outcome = await this.services.inference.run(model, inputs, how.config);
      const { inputDigest, outputDigest } = outcome;
      return {
        outputs: outcome.outputs,
        latencyMs: outcome.latencyMs,
        provider: outcome.provider,
        evidence: () => ({ inputDigest, outputDigest }),
      };
    }
    const { outputs } = await this.services.batching.run(model, inputs, {
      config: how.config,
      batching: how.batching,
      signal: how.signal,
    });
    return {
      outputs,
      latencyMs: performance.now() - started,
      provider: how.config.executionProvider,
      evidence: () => ({ inputDigest: digestTensors(inputs), outputDigest: digestTensors(outputs) }),
    };
  }

  /** The card's post-processing over tensor outputs. */
  private async postprocess(
    model: InstalledModel,
    outputs: TensorMapJson,
  ): Promise<Pick<Inferred, 'result' | 'results'>> {
    const labels = await modelLabels(this.services.store, model);
    const results = postprocess(
      knownPostSteps(model.card.postprocess, label(model)),
      outputs,
      model.card.outputs[0]!.name,
      labels,
    );
    return results && results.length > 0 ? { result: results[0]!, results } : {};
  }
}

/** An input given by path is read here, with the input-file reader's checks. */
async function readRunInput(input: RunRequest['input']): Promise<RunInput> {
  if (!('path' in input)) return input;
  return {
    file: {
      bytes: await readInputFile(input.path),
      name: input.name ?? basename(input.path),
      kind: input.kind,
    },
  };
}

function imageDigest(image: RawImage): string {
  return digestTensors({ image: { type: 'uint8', dims: [image.height, image.width, 3], data: image.data } });
}
