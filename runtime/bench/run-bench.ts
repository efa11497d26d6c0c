import { randomUUID } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import type { Actor, AuditLog } from '../audit/audit-log.js';
import type { BenchReport } from '../contract/bench.js';
import type { ProgressEvent } from '../contract/channel.js';
import type { InstalledModel } from '../contract/models.js';
import type { z } from 'zod';
import { AirlockError, toErrorInfo } from '../errors.js';
import type { HardwareStore } from '../hardware/hardware-store.js';
import type { MachineFacts } from '../hardware/probe.js';
import { installedGraph } from '../inference/engine.js';
import type { ModelBytes } from '../inference/model-bytes.js';
import { toFeeds } from '../inference/tensors.js';
import { readPayloadFile } from '../processing/model-files.js';
import { tensorsFromFile } from '../run/input-file.js';
import type { ModelRunner } from '../run/runner.js';
import type { ModelStore } from '../store/model-store.js';
import { chooseConfigs, describeConfig } from '../tuning/choose.js';
import type { TunedStore } from '../tuning/tuned-store.js';
import type { benchRunRequestSchema } from '../contract/bench.js';
import type { BenchStore } from './bench-store.js';
import { imageHints } from './inputs.js';
import { benchmark } from './search.js';
import type { TrialBudget } from './trial.js';

export type BenchRequest = z.output<typeof benchRunRequestSchema>;

/** What a benchmark run uses. */
export interface BenchServices {
  readonly runner: Pick<ModelRunner, 'admitted'>;
  readonly store: Pick<ModelStore, 'read'>;
  readonly hardware: Pick<HardwareStore, 'get'>;
  readonly benchResults: Pick<BenchStore, 'save'>;
  readonly tuned: Pick<TunedStore, 'saveFrom'>;
  readonly audit: Pick<AuditLog, 'append' | 'recorded'>;
  readonly machine: () => Promise<MachineFacts>;
  readonly now: () => Date;
}

/**
 * The graph of an installed model as it is benchmarked: its bytes and its external data files',
 * checked against their signed digests (MODEL_TAMPERED otherwise). Every trial session opens
 * these bytes.
 */
export function checkedModel(store: BenchServices['store'], model: InstalledModel): Promise<ModelBytes> {
  return installedGraph(store, model);
}

/**
 * The first sample input a card lists (a .json tensor map or a .npy for a one-input model), as
 * feeds: read with the run path's input-file reader, checked against the model's inputs.
 */
export async function sampleFeeds(
  store: BenchServices['store'],
  model: InstalledModel,
): Promise<Record<string, ort.Tensor> | undefined> {
  const path = model.card.samples?.[0];
  if (!path) return undefined;
  const file = model.files.find((f) => f.path === path);
  if (!file)
    throw new AirlockError(
      'INPUT_INVALID',
      `The sample input ${path} of ${model.name}@${model.version} is listed in the card but not in the bundle. Ask the publisher for a corrected bundle.`,
    );
  // Read once, checked against its signed digest on the bytes that are used (MODEL_TAMPERED).
  const bytes = await readPayloadFile(store, model, path);
  return toFeeds(
    model.card.inputs,
    tensorsFromFile(bytes, path, model.card.inputs, `${model.name}@${model.version}`),
  );
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
  services: BenchServices,
  actor: Actor,
  req: BenchRequest,
  options: BenchRunOptions = {},
): Promise<BenchReport> {
  // Only a model admission lets run is benchmarked (disabled or revoked: refused here).
  const model = services.runner.admitted(req.model);
  const target = `${model.name}@${model.version}`;
  for (const name of Object.keys(req.shapes ?? {})) {
    if (!model.card.inputs.some((i) => i.name === name)) {
      throw new AirlockError(
        'INPUT_NAME_MISMATCH',
        `--shape names "${name}", but ${target} has inputs ${model.card.inputs.map((i) => i.name).join(', ')}.`,
      );
    }
  }
  const graph = await checkedModel(services.store, model);
  const machine = await services.machine();
  const profile = services.hardware.get(machine.fingerprint);
  const providers =
    req.providers ??
    (profile ? profile.providers.filter((p) => p.works && !p.fellBackToCpu).map((p) => p.name) : ['cpu']);
  const sample = await sampleFeeds(services.store, model);
  const startedAt = services.now().toISOString();
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
      model: graph,
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
      services.audit.append(actor, {
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
    services.audit.append(actor, {
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
    finishedAt: services.now().toISOString(),
    inputs: { source: sample ? 'samples' : 'synthesized', shapes: result.shapes },
    trials: result.trials,
    best: chooseConfigs(result.trials),
  };
  return services.audit.recorded(actor, () => {
    services.benchResults.save(report);
    if (req.keepTuned !== false) services.tuned.saveFrom(report);
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
