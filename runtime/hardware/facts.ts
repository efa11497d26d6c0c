import { createHash } from 'node:crypto';
import type { CpuInfo, GpuInfo, OsInfo } from '../contract/hardware.js';
import { canonicalJson } from '../util/canonical-json.js';

/** x86 /proc/cpuinfo-style flags that matter for inference, under the names Airlock reports. */
const X86_FEATURES: Readonly<Record<string, string>> = {
  sse4_1: 'sse4.1',
  sse4_2: 'sse4.2',
  avx: 'avx',
  avx2: 'avx2',
  fma: 'fma',
  f16c: 'f16c',
  avx512f: 'avx512f',
  avx512bw: 'avx512bw',
  avx512dq: 'avx512dq',
  avx512vl: 'avx512vl',
  avx512_vnni: 'avx512_vnni',
  avx512vnni: 'avx512_vnni',
  avx512_bf16: 'avx512_bf16',
  avx512_fp16: 'avx512_fp16',
  avx_vnni: 'avx_vnni',
  amx_tile: 'amx',
  amx_bf16: 'amx_bf16',
  amx_int8: 'amx_int8',
};

/** Arm flags (Linux `Features`, macOS sysctl names) under the names Airlock reports. */
const ARM_FEATURES: Readonly<Record<string, string>> = {
  asimd: 'neon',
  neon: 'neon',
  asimddp: 'dotprod',
  dotprod: 'dotprod',
  asimdhp: 'fp16',
  fphp: 'fp16',
  i8mm: 'i8mm',
  bf16: 'bf16',
  sve: 'sve',
  sve2: 'sve2',
  sme: 'sme',
};

/**
 * The instruction-set features of a CPU from the OS's flag list (systeminformation's cpuFlags),
 * normalised and sorted. 64-bit Arm always has NEON (Advanced SIMD), whether or not it is listed.
 */
export function cpuFeatures(flags: string, arch: string): string[] {
  const table = arch === 'arm64' || arch === 'arm' ? ARM_FEATURES : X86_FEATURES;
  const out = new Set<string>();
  for (const flag of flags.toLowerCase().split(/[\s,]+/)) {
    const name = table[flag] ?? table[flag.replace(/^feat_/, '')];
    if (name) out.add(name);
  }
  if (arch === 'arm64') out.add('neon');
  return [...out].sort();
}

/** The GPUs in systeminformation's graphics().controllers, with VRAM in MiB and the driver version when known. */
export function gpusFrom(
  controllers: readonly {
    vendor?: string;
    model?: string;
    name?: string;
    vram?: number | null;
    memoryTotal?: number;
    driverVersion?: string;
    bus?: string;
    pciBus?: string;
    busAddress?: string;
  }[],
): GpuInfo[] {
  return controllers
    .filter((c) => (c.model ?? c.name ?? '').trim() !== '' || (c.vendor ?? '').trim() !== '')
    .map((c) => {
      const vram = c.memoryTotal ?? c.vram ?? null;
      return {
        vendor: (c.vendor ?? '').trim() || 'unknown',
        model: (c.name ?? c.model ?? '').trim() || 'unknown',
        vramMiB: typeof vram === 'number' && vram > 0 ? Math.round(vram) : null,
        driver: c.driverVersion?.trim() || null,
        bus: (c.pciBus ?? c.busAddress ?? c.bus ?? '').trim() || null,
      };
    });
}

/** Facts that identify a machine and do not change from one boot or one OS patch to the next. */
export interface StableFacts {
  readonly cpu: Pick<CpuInfo, 'manufacturer' | 'brand' | 'model' | 'cores' | 'physicalCores'>;
  readonly memoryTotalBytes: number;
  readonly gpus: readonly Pick<GpuInfo, 'vendor' | 'model' | 'vramMiB'>[];
  readonly os: Pick<OsInfo, 'platform' | 'distro' | 'arch'>;
}

/**
 * The machine fingerprint: SHA-256 over the canonical JSON of the stable facts. Memory is rounded
 * to whole GiB (the kernel's reserved memory wobbles between boots) and GPUs are sorted, so the
 * same machine always gives the same value; a new CPU, GPU, memory size or OS gives a new one.
 */
export function machineFingerprint(facts: StableFacts): string {
  const stable = {
    cpu: {
      manufacturer: facts.cpu.manufacturer,
      brand: facts.cpu.brand,
      model: facts.cpu.model,
      cores: facts.cpu.cores,
      physicalCores: facts.cpu.physicalCores,
    },
    memoryGiB: Math.round(facts.memoryTotalBytes / 2 ** 30),
    gpus: facts.gpus.map((g) => `${g.vendor}|${g.model}|${g.vramMiB ?? ''}`).sort(),
    os: { platform: facts.os.platform, distro: facts.os.distro, arch: facts.os.arch },
  };
  return createHash('sha256').update(canonicalJson(stable)).digest('hex');
}
