import { z } from 'zod';
import { runConfigSchema, type AppliedConfig, type RunConfigRequest } from '../contract/bench.js';
import { UsageError } from '../errors.js';
import { describeConfig } from '../tuning/choose.js';

/** `--config latency|throughput|default|JSON` as a request value (undefined: the engine decides). */
export function parseRunConfig(value: string | undefined): RunConfigRequest | undefined {
  if (value === undefined) return undefined;
  let raw: unknown = value;
  if (value.trim().startsWith('{')) {
    try {
      raw = JSON.parse(value);
    } catch (cause) {
      throw new UsageError(
        `--config is not valid JSON (${(cause as Error).message}). Example: --config '{"executionProvider":"cpu","intraOpNumThreads":2}'.`,
        { cause },
      );
    }
  }
  const parsed = runConfigSchema.safeParse(raw);
  if (!parsed.success)
    throw new UsageError(
      `--config takes latency, throughput, default or a JSON config object: ${z.prettifyError(parsed.error)}`,
    );
  return parsed.data;
}

/** "tuned-latency: cpu t=1 all sequential b=1" and friends, with STALE when a choice was set aside. */
export function describeApplied(c: AppliedConfig): string {
  return `${c.source}${c.stale ? ' (tuned choice STALE: other hardware)' : ''}: ${describeConfig(c.config)}`;
}
