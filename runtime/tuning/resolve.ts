import type { Airlock } from '../airlock.js';
import type { AppliedConfig, BenchConfig, RunConfigRequest } from '../contract/bench.js';
import type { InstalledModel } from '../contract/models.js';
import { currentMachine, HardwareStore } from '../hardware/hardware-store.js';
import type { SessionConfig } from '../inference/engine.js';
import { describeConfig } from './choose.js';
import { TunedStore } from './tuned-store.js';

const DEFAULTS: BenchConfig = { executionProvider: 'cpu' };

/** The engine's SessionConfig for a benchmark config (the batch size is the caller's business). */
export function toSessionConfig(c: BenchConfig): SessionConfig {
  return {
    executionProvider: c.executionProvider,
    ...(c.intraOpNumThreads ? { intraOpNumThreads: c.intraOpNumThreads } : {}),
    ...(c.interOpNumThreads ? { interOpNumThreads: c.interOpNumThreads } : {}),
    ...(c.executionMode ? { executionMode: c.executionMode } : {}),
    ...(c.graphOptimizationLevel ? { graphOptimizationLevel: c.graphOptimizationLevel } : {}),
  };
}

/**
 * Decides the session configuration of a run. Without a request: the tuned latency choice when
 * there is one for this model made on this machine, else onnxruntime's defaults. "latency" /
 * "throughput": that tuned choice (defaults, with a note, when there is none). "default": the
 * defaults. A config object: exactly that. A tuned choice made on other hardware (another
 * fingerprint) is stale: the defaults are used and the note says to benchmark again. A tuned
 * choice naming a provider the hardware probe found not working here falls back to the CPU
 * with a note, rather than failing or falling back silently.
 */
export async function resolveRunConfig(
  airlock: Airlock,
  model: Pick<InstalledModel, 'name' | 'version'>,
  request: RunConfigRequest | undefined,
): Promise<AppliedConfig> {
  if (request === 'default')
    return { source: 'default', config: DEFAULTS, stale: false, note: null, benchRunId: null };
  if (typeof request === 'object')
    return { source: 'explicit', config: request, stale: false, note: null, benchRunId: null };
  const objective = request ?? 'latency';
  const store = new TunedStore(airlock.db);
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
  const machine = await currentMachine();
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
    const provider = new HardwareStore(airlock.db)
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
