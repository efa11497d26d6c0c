import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import type { Actor } from '../audit/audit-log.js';
import type { Airlock } from '../airlock.js';
import type { BenchReport } from '../contract/bench.js';
import type { ProgressEvent } from '../contract/channel.js';
import type { InstalledModel } from '../contract/models.js';
import { tensorMapSchema, type TensorMapJson } from '../contract/tensors.js';
import type { z } from 'zod';
import { AirlockError, toErrorInfo } from '../errors.js';
import { HardwareStore, currentMachine } from '../hardware/hardware-store.js';
import { parseNpy } from '../inference/npy.js';
import { toFeeds } from '../inference/tensors.js';
import { chooseConfigs, describeConfig } from '../tuning/choose.js';
import { TunedStore } from '../tuning/tuned-store.js';
import type { benchRunRequestSchema } from '../contract/bench.js';
import { BenchStore } from './bench-store.js';
import { imageHints } from './inputs.js';
import { benchmark } from './search.js';
import type { TrialBudget } from './trial.js';

export type BenchRequest = z.output<typeof benchRunRequestSchema>;

/** The model file of an installed model, checked against its signed digest before it is benchmarked. */
export async function checkedModelFile(airlock: Airlock, model: InstalledModel): Promise<string> {
  const file = model.files.find((f) => f.path === model.card.model);
  if (!file || !(await airlock.store.check(file.sha256))) {
    throw new AirlockError(
      'MODEL_TAMPERED',
      `The installed file of ${model.name}@${model.version} no longer matches its signed digest. It will not be benchmarked or run; re-import the bundle from the original medium.`,
    );
  }
  return airlock.store.blobPath(file.sha256);
}

/** The first sample input a card lists (a .json tensor map or a .npy for a one-input model), as feeds. */
export async function sampleFeeds(
  airlock: Airlock,
  model: InstalledModel,
): Promise<Record<string, ort.Tensor> | undefined> {
  const path = model.card.samples?.[0];
  if (!path) return undefined;
  const file = model.files.find((f) => f.path === path);
  const fail = (why: string, cause?: unknown) =>
    new AirlockError(
      'INPUT_INVALID',
      `The sample input ${path} of ${model.name}@${model.version} ${why}. Ask the publisher for a corrected bundle, or benchmark with synthesised inputs after removing it.`,
      cause === undefined ? {} : { cause },
    );
  if (!file) throw fail('is listed in the card but not in the bundle');
  const bytes = await readFile(airlock.store.blobPath(file.sha256));
  let map: TensorMapJson;
  if (path.toLowerCase().endsWith('.npy')) {
    if (model.card.inputs.length !== 1) throw fail('is a .npy file but the model has more than one input');
    map = { [model.card.inputs[0]!.name]: parseNpy(bytes) };
  } else {
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch (cause) {
      throw fail('is not JSON', cause);
    }
    const parsed = tensorMapSchema.safeParse(json);
    if (!parsed.success) throw fail('is not a tensor map');
    map = parsed.data;
  }
  return toFeeds(model.card.inputs, map);
}

export interface BenchRunOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Trial length override (tests and scripts); the default follows `quick`. */
  readonly budget?: TrialBudget;
}

/**
 * Benchmarks an installed model on this machine, stores the report and the tuned configs with an
 * audit record (one transaction), and returns the report. Cancelled: nothing is stored.
 */
export async function runBench(
  airlock: Airlock,
  actor: Actor,
  req: BenchRequest,
  options: BenchRunOptions = {},
): Promise<BenchReport> {
  const model = airlock.registry.resolve(req.model);
  const target = `${model.name}@${model.version}`;
  if (!model.enabled)
    throw new AirlockError(
      'MODEL_DISABLED',
      `${target} is disabled (${model.disabledReason ?? 'by an admin'}); it cannot be benchmarked.`,
    );
  for (const name of Object.keys(req.shapes ?? {})) {
    if (!model.card.inputs.some((i) => i.name === name)) {
      throw new AirlockError(
        'INPUT_NAME_MISMATCH',
        `--shape names "${name}", but ${target} has inputs ${model.card.inputs.map((i) => i.name).join(', ')}.`,
      );
    }
  }
  const modelPath = await checkedModelFile(airlock, model);
  const machine = await currentMachine();
  const profile = new HardwareStore(airlock.db).get(machine.fingerprint);
  const providers =
    req.providers ??
    (profile ? profile.providers.filter((p) => p.works && !p.fellBackToCpu).map((p) => p.name) : ['cpu']);
  const sample = await sampleFeeds(airlock, model);
  const startedAt = airlock.now().toISOString();
  const operationId = req.operationId ?? 'bench';
  options.onProgress?.({
    operationId,
    phase: 'bench',
    done: 0,
    total: null,
    rate: null,
    unit: 'steps',
    message: `benchmarking ${target}`,
  });
  let result: Awaited<ReturnType<typeof benchmark>>;
  try {
    result = await benchmark({
      modelPath,
      specs: model.card.inputs,
      scenario: req.scenario,
      quick: req.quick,
      providers,
      cores: machine.cpu.cores,
      sample,
      shapes: req.shapes,
      hints: imageHints(model.card.preprocess),
      maxBatchSize: req.maxBatchSize,
      targetQps: req.targetQps,
      latencyBoundMs: req.latencyBoundMs,
      budget: options.budget,
      signal: options.signal,
      what: `The benchmark of ${target}`,
      onTrial: (trial, done, total) =>
        options.onProgress?.({
          operationId,
          phase: 'bench',
          done,
          total,
          rate: null,
          unit: 'steps',
          message: `${trial.stage}: ${describeConfig(trial.config)}${trial.ok ? '' : ' (failed)'}`,
        }),
    });
  } catch (error) {
    const info = toErrorInfo(error);
    if (info.code !== 'CANCELLED')
      airlock.audit.append(actor, {
        action: 'bench.run',
        target,
        outcome: 'failure',
        details: { scenario: req.scenario, error: info },
      });
    throw error;
  }
  const ran = result.trials.filter((t) => t.ok && t.scenario !== 'server');
  if (ran.length === 0) {
    const first = result.trials.find((t) => t.error)?.error;
    const code = first?.code === 'INFERENCE_FAILED' ? 'INFERENCE_FAILED' : 'PROVIDER_UNAVAILABLE';
    const error = new AirlockError(
      code,
      `No configuration of ${target} could run here, so nothing was stored. ${first ? `First failure: ${first.message}` : ''} Check --provider and --shape, or run "airlock hardware" to see which providers work.`,
      { details: { trials: result.trials.length } },
    );
    airlock.audit.append(actor, {
      action: 'bench.run',
      target,
      outcome: 'failure',
      details: { scenario: req.scenario, error: error.toInfo() },
    });
    throw error;
  }
  const report: BenchReport = {
    format: 'airlock-bench-report/1',
    id: randomUUID(),
    model: { name: model.name, version: model.version, bundleSha256: model.bundleSha256 },
    machine: {
      fingerprint: machine.fingerprint,
      cpu: `${machine.cpu.manufacturer} ${machine.cpu.brand}`.trim(),
      cores: machine.cpu.cores,
      memoryBytes: machine.memory.totalBytes,
      gpus: machine.gpus.map((g) => g.model),
      os: `${machine.os.distro} ${machine.os.release} ${machine.os.platform}-${machine.os.arch}`,
    },
    onnxruntime: ort.env.versions.node ?? ort.env.versions.common,
    scenario: req.scenario,
    quick: req.quick,
    startedAt,
    finishedAt: airlock.now().toISOString(),
    inputs: { source: sample ? 'samples' : 'synthesized', shapes: result.shapes },
    trials: result.trials,
    best: chooseConfigs(result.trials),
  };
  return airlock.recorded(actor, () => {
    new BenchStore(airlock.db).save(report);
    new TunedStore(airlock.db).saveFrom(report);
    return {
      result: report,
      event: {
        action: 'bench.run',
        target,
        outcome: 'success',
        details: {
          id: report.id,
          scenario: report.scenario,
          quick: report.quick,
          fingerprint: machine.fingerprint,
          trials: report.trials.length,
          latency: report.best.latency
            ? { config: report.best.latency.config, p90Ms: report.best.latency.metric }
            : null,
          throughput: report.best.throughput
            ? { config: report.best.throughput.config, samplesPerSecond: report.best.throughput.metric }
            : null,
        },
      },
    };
  });
}
