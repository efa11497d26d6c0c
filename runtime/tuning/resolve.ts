import type { AppliedConfig, BenchConfig, RunConfigRequest } from '../contract/bench.js';
import type { JobConfig } from '../contract/jobs.js';
import type { InstalledModel } from '../contract/models.js';
import type { HardwareStore } from '../hardware/hardware-store.js';
import type { MachineFacts } from '../hardware/probe.js';
import { describeConfig } from './choose.js';
import type { TunedStore } from './tuned-store.js';

const DEFAULTS: BenchConfig = { executionProvider: 'cpu' };

/** Largest merged batch of a job when neither the caller nor a benchmark chose one. */
export const DEFAULT_JOB_BATCH = 16;

export interface ConfigSources {
  readonly tuned: Pick<TunedStore, 'list' | 'get'>;
  readonly hardware: Pick<HardwareStore, 'get'>;
  /** This machine's facts (read once per process). */
  readonly machine: () => Promise<Pick<MachineFacts, 'fingerprint'>>;
}

type ModelRef = Pick<InstalledModel, 'name' | 'version'>;

/**
 * Decides the session configuration of a run or a batch job from what the benchmark tuned for
 * this model on this machine; the one home of that choice.
 */
export class RunConfigs {
  constructor(private readonly sources: ConfigSources) {}

  /**
   * A run's config. Without a request: the tuned latency choice when there is one for this model
   * made on this machine, else onnxruntime's defaults. "latency" / "throughput": that tuned choice
   * (defaults, with a note, when there is none). "default": the defaults. A config object: exactly
   * that. A tuned choice made on other hardware (another fingerprint) is stale: the defaults are
   * used and the note says to benchmark again. A tuned choice naming a provider the hardware probe
   * found not working here falls back to the CPU with a note, rather than failing or falling back
   * silently.
   */
  async forRun(model: ModelRef, request: RunConfigRequest | undefined): Promise<AppliedConfig> {
    if (request === 'default')
      return { source: 'default', config: DEFAULTS, stale: false, note: null, benchRunId: null };
    if (typeof request === 'object')
      return { source: 'explicit', config: request, stale: false, note: null, benchRunId: null };
    const objective = request ?? 'latency';
    const { tuned: store, hardware } = this.sources;
    // Fast path: no tuned rows for this model at all (no need to read the machine's facts).
    if (store.list({ name: model.name, version: model.version }, '').length === 0) {
      return {
        source: 'default',
        config: DEFAULTS,
        stale: false,
        note: request
          ? `${model.name}@${model.version} has no tuned ${objective} config yet; using onnxruntime defaults. Run "airlock bench ${model.name}" to tune it.`
          : null,
        benchRunId: null,
      };
    }
    const machine = await this.sources.machine();
    const tuned = store.get(model.name, model.version, objective, machine.fingerprint);
    if (!tuned) {
      return {
        source: 'default',
        config: DEFAULTS,
        stale: false,
        note: request
          ? `${model.name}@${model.version} has no tuned ${objective} config; using onnxruntime defaults.`
          : null,
        benchRunId: null,
      };
    }
    if (tuned.stale) {
      return {
        source: 'default',
        config: DEFAULTS,
        stale: true,
        note: `The tuned ${objective} config of ${model.name}@${model.version} (${describeConfig(tuned.config)}) was chosen on other hardware (machine ${tuned.fingerprint.slice(0, 12)}, this is ${machine.fingerprint.slice(0, 12)}); using onnxruntime defaults. Run "airlock bench ${model.name}" to tune it for this machine.`,
        benchRunId: tuned.benchRunId,
      };
    }
    const source = objective === 'latency' ? 'tuned-latency' : 'tuned-throughput';
    if (tuned.config.executionProvider !== 'cpu') {
      const provider = hardware
        .get(machine.fingerprint)
        ?.providers.find((p) => p.name === tuned.config.executionProvider);
      if (provider && (!provider.works || provider.fellBackToCpu)) {
        return {
          source: 'default',
          config: DEFAULTS,
          stale: false,
          note: `The tuned config of ${model.name}@${model.version} uses the ${provider.name} provider, which does not work here now (${provider.reason ?? 'it falls back to the CPU'}); running on the CPU with onnxruntime defaults.`,
          benchRunId: tuned.benchRunId,
        };
      }
    }
    return { source, config: tuned.config, stale: false, note: null, benchRunId: tuned.benchRunId };
  }

  /**
   * A batch job's config. Session settings given with the job are used as they are; without them,
   * the model's tuned throughput choice for this machine, else onnxruntime's defaults (also when
   * the model did not resolve: its lines carry that error). The tuned batch size caps the dynamic
   * batcher unless the caller set one: on CPUs, larger batches of some models cost more per row,
   * and the benchmark measured where throughput peaks.
   */
  async forJob(model: ModelRef | null, config: JobConfig): Promise<JobConfig> {
    const batch = config.maxBatchSize;
    const explicit =
      config.executionProvider !== undefined ||
      config.intraOpNumThreads !== undefined ||
      config.interOpNumThreads !== undefined ||
      config.executionMode !== undefined ||
      config.graphOptimizationLevel !== undefined;
    if (explicit || model === null)
      return {
        ...config,
        executionProvider: config.executionProvider ?? 'cpu',
        maxBatchSize: batch ?? DEFAULT_JOB_BATCH,
        source: explicit ? 'explicit' : 'default',
      };
    const applied = await this.forRun(model, 'throughput');
    const { batchSize, ...session } = applied.config;
    const tunedBatch = applied.source === 'tuned-throughput' ? batchSize : undefined;
    return {
      ...config,
      ...session,
      maxBatchSize: batch ?? tunedBatch ?? DEFAULT_JOB_BATCH,
      source: applied.source,
    };
  }
}
