import { readFile } from 'node:fs/promises';
import * as si from 'systeminformation';
import * as ort from 'onnxruntime-node';
import type { CpuInfo, HardwareProfile, OsInfo, ProviderStatus } from '../contract/hardware.js';
import type { GpuInfo } from '../contract/hardware.js';
import { cpuFeatures, gpusFrom, machineFingerprint } from './facts.js';
import {
  candidateProviders,
  listedBackends,
  ortBinaryDir,
  probeProvider,
  type ProbeOptions,
} from './providers.js';

export interface MachineFacts {
  readonly cpu: CpuInfo;
  readonly memory: { readonly totalBytes: number };
  readonly os: OsInfo;
  readonly gpus: readonly GpuInfo[];
  readonly fingerprint: string;
}

/** CPU, memory, OS and GPUs through systeminformation (no hand-parsed files), and their fingerprint. */
export async function machineFacts(): Promise<MachineFacts> {
  const [cpu, flags, mem, os, graphics] = await Promise.all([
    si.cpu(),
    si.cpuFlags(),
    si.mem(),
    si.osInfo(),
    si.graphics().catch(() => ({ controllers: [], displays: [] })),
  ]);
  const arch = os.arch || process.arch;
  const cpuInfo: CpuInfo = {
    manufacturer: cpu.manufacturer,
    brand: cpu.brand,
    model: [cpu.family, cpu.model, cpu.stepping].filter((v) => v !== '').join('/'),
    cores: cpu.cores,
    physicalCores: cpu.physicalCores,
    speedGHz: cpu.speedMax || cpu.speed || null,
    features: cpuFeatures(flags || cpu.flags, arch),
  };
  const osInfo: OsInfo = {
    platform: os.platform || process.platform,
    distro: os.distro,
    release: os.release,
    kernel: os.kernel,
    arch,
  };
  const gpus = await withNvidiaDriver(gpusFrom(graphics.controllers));
  const fingerprint = machineFingerprint({ cpu: cpuInfo, memoryTotalBytes: mem.total, gpus, os: osInfo });
  return { cpu: cpuInfo, memory: { totalBytes: mem.total }, os: osInfo, gpus, fingerprint };
}

/**
 * systeminformation takes the NVIDIA driver version from nvidia-smi, matched to lspci by PCI bus
 * address; in VMs whose two tools disagree on the address it is left out. The kernel module's
 * own version line (/proc/driver/nvidia/version, Linux) fills the gap.
 */
export async function withNvidiaDriver(gpus: GpuInfo[]): Promise<GpuInfo[]> {
  if (
    process.platform !== 'linux' ||
    !gpus.some((g) => g.driver === null && /nvidia/i.test(`${g.vendor} ${g.model}`))
  )
    return gpus;
  const text = await readFile('/proc/driver/nvidia/version', 'utf8').catch(() => '');
  const version = /Kernel Module(?:\s+for\s+\S+)?\s+(\d+(?:\.\d+)+)/.exec(text)?.[1] ?? null;
  return gpus.map((g) =>
    g.driver === null && /nvidia/i.test(`${g.vendor} ${g.model}`) ? { ...g, driver: version } : g,
  );
}

/**
 * What a user should hear about: a GPU is present but no GPU provider works (everything would run
 * on the CPU), or a provider opened but onnxruntime quietly placed the work on the CPU.
 */
export function hardwareWarnings(gpus: readonly GpuInfo[], providers: readonly ProviderStatus[]): string[] {
  const warnings: string[] = [];
  for (const p of providers) {
    if (p.fellBackToCpu)
      warnings.push(
        `The ${p.name} provider opened, but onnxruntime placed every node on the CPU (${p.placement}): requesting ${p.name} would silently run on the CPU.`,
      );
  }
  const gpuProviders = providers.filter((p) => p.name !== 'cpu');
  const nvidia = gpus.filter((g) => /nvidia/i.test(g.vendor) || /nvidia/i.test(g.model));
  if (
    nvidia.length > 0 &&
    !gpuProviders.some((p) => (p.name === 'cuda' || p.name === 'tensorrt') && p.works && !p.fellBackToCpu)
  ) {
    const cuda = providers.find((p) => p.name === 'cuda');
    warnings.push(
      `An NVIDIA GPU is present (${nvidia.map((g) => g.model).join(', ')}) but neither the CUDA nor the TensorRT provider works, so models will run on the CPU${cuda?.reason ? `. CUDA: ${cuda.reason}` : ''}.`,
    );
  } else if (
    gpus.length > 0 &&
    gpuProviders.length > 0 &&
    !gpuProviders.some((p) => p.works && !p.fellBackToCpu)
  ) {
    warnings.push(
      `A GPU is present (${gpus.map((g) => g.model).join(', ')}) but no GPU execution provider works here, so models will run on the CPU.`,
    );
  }
  return warnings;
}

/** Probes this machine: facts, then a real session on each candidate execution provider (in parallel child processes). */
export async function probeHardware(
  options: ProbeOptions & { now?: () => Date } = {},
): Promise<HardwareProfile> {
  const facts = await machineFacts();
  const listed = listedBackends();
  const candidates = candidateProviders(process.platform, process.arch, listed);
  const providers = await Promise.all(candidates.map((name) => probeProvider(name, listed, options)));
  return {
    fingerprint: facts.fingerprint,
    probedAt: (options.now?.() ?? new Date()).toISOString(),
    cpu: facts.cpu,
    memory: facts.memory,
    os: facts.os,
    gpus: facts.gpus,
    onnxruntime: { version: ort.env.versions.node ?? ort.env.versions.common, binaryDir: ortBinaryDir() },
    providers,
    warnings: hardwareWarnings(facts.gpus, providers),
  };
}
