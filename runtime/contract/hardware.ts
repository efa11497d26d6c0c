import { z } from 'zod';
import { channel } from './channel.js';

export interface CpuInfo {
  readonly manufacturer: string;
  readonly brand: string;
  /** Vendor family/model/stepping as the OS reports them (e.g. "25/17/1"). */
  readonly model: string;
  /** Logical cores (hardware threads). */
  readonly cores: number;
  readonly physicalCores: number;
  readonly speedGHz: number | null;
  /** Instruction-set features that matter for inference, normalised: avx, avx2, fma, avx512f, avx512_vnni, avx512_bf16, amx, neon, sve, ... */
  readonly features: readonly string[];
}

export interface GpuInfo {
  readonly vendor: string;
  readonly model: string;
  readonly vramMiB: number | null;
  readonly driver: string | null;
  readonly bus: string | null;
}

export interface OsInfo {
  readonly platform: string;
  readonly distro: string;
  readonly release: string;
  readonly kernel: string;
  readonly arch: string;
}

/** One execution provider: does onnxruntime-node list it, and does a real session open and run on it here? */
export interface ProviderStatus {
  readonly name: string;
  /** Listed by onnxruntime-node's listSupportedBackends() for this platform. */
  readonly listed: boolean;
  /** Whether onnxruntime-node ships its library in the npm package (false: downloaded by its install script, if at all). */
  readonly bundled: boolean | null;
  /** A session opened on it and produced the right answer on the probe model. */
  readonly works: boolean;
  /** Why it does not work (the real error, with what to do), null when it works. */
  readonly reason: string | null;
  /** Session creation time on the probe model, when it opened. */
  readonly loadMs: number | null;
  /** Where onnxruntime placed the probe model's nodes (from its verbose log), when known. */
  readonly placement: string | null;
  /** Opened, but onnxruntime placed the work on the CPU anyway. */
  readonly fellBackToCpu: boolean;
}

export interface HardwareProfile {
  /** SHA-256 over the stable facts (CPU model and cores, memory, GPU models, OS and architecture). */
  readonly fingerprint: string;
  readonly probedAt: string;
  readonly cpu: CpuInfo;
  readonly memory: { readonly totalBytes: number };
  readonly os: OsInfo;
  readonly gpus: readonly GpuInfo[];
  readonly onnxruntime: { readonly version: string; readonly binaryDir: string | null };
  readonly providers: readonly ProviderStatus[];
  /** Things a user should know: a GPU present but no GPU provider working, a silent fallback to CPU. */
  readonly warnings: readonly string[];
}

export const hardwareChannels = {
  /** Probes this machine (CPU, memory, OS, GPUs, execution providers), stores and returns the profile. */
  'hardware:probe': channel<HardwareProfile>()(
    z.object({ operationId: z.string().min(1).max(100).optional() }),
  ),
  /** The latest stored profile, or null when the machine was never probed. */
  'hardware:get': channel<HardwareProfile | null>()(z.object({})),
};
