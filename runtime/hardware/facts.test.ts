import * as si from 'systeminformation';
import { describe, expect, it } from 'vitest';
import { cpuFeatures, gpusFrom, machineFingerprint, type StableFacts } from './facts.js';
import { machineFacts } from './probe.js';

describe('cpuFeatures', () => {
  it('reads the real flags of this machine', async () => {
    const flags = await si.cpuFlags();
    const features = cpuFeatures(flags, process.arch);
    const raw = new Set(flags.split(/\s+/));
    if (process.arch === 'x64') {
      expect(features.includes('avx2')).toBe(raw.has('avx2'));
      expect(features.includes('avx512f')).toBe(raw.has('avx512f'));
      expect(features.includes('fma')).toBe(raw.has('fma'));
    } else if (process.arch === 'arm64') {
      expect(features).toContain('neon');
    }
    expect(features).toEqual([...features].sort());
  });

  it('normalises x86 and Arm flag names', () => {
    expect(
      cpuFeatures('fpu sse4_2 avx avx2 fma avx512f avx512_vnni amx_tile amx_bf16 avx512_bf16 rdrand', 'x64'),
    ).toEqual(['amx', 'amx_bf16', 'avx', 'avx2', 'avx512_bf16', 'avx512_vnni', 'avx512f', 'fma', 'sse4.2']);
    expect(cpuFeatures('fp asimd evtstrm aes asimddp sve i8mm bf16', 'arm64')).toEqual([
      'bf16',
      'dotprod',
      'i8mm',
      'neon',
      'sve',
    ]);
    // 64-bit Arm always has NEON, listed or not (macOS lists none of these names).
    expect(cpuFeatures('', 'arm64')).toEqual(['neon']);
    expect(cpuFeatures('', 'x64')).toEqual([]);
  });
});

describe('gpusFrom', () => {
  it('maps systeminformation controllers (nvidia-smi fields first) and drops empty ones', () => {
    const gpus = gpusFrom([
      {
        vendor: 'NVIDIA',
        model: 'H100 80GB HBM3',
        name: 'NVIDIA H100 80GB HBM3',
        vram: 81559,
        memoryTotal: 81559,
        driverVersion: '580.159.04',
        pciBus: '00000000:00:07.0',
        bus: 'PCI',
      },
      { vendor: 'Intel Corporation', model: 'UHD Graphics 630', vram: 0, bus: 'Onboard' },
      { vendor: '', model: '' },
    ]);
    expect(gpus).toEqual([
      {
        vendor: 'NVIDIA',
        model: 'NVIDIA H100 80GB HBM3',
        vramMiB: 81559,
        driver: '580.159.04',
        bus: '00000000:00:07.0',
      },
      { vendor: 'Intel Corporation', model: 'UHD Graphics 630', vramMiB: null, driver: null, bus: 'Onboard' },
    ]);
  });

  it('accepts what systeminformation reports here', async () => {
    const graphics = await si.graphics();
    const gpus = gpusFrom(graphics.controllers);
    expect(gpus.length).toBeLessThanOrEqual(graphics.controllers.length);
    for (const g of gpus) expect(g.model.length).toBeGreaterThan(0);
  });
});

describe('machineFingerprint', () => {
  const base: StableFacts = {
    cpu: { manufacturer: 'AMD', brand: 'EPYC', model: '25/17/1', cores: 2, physicalCores: 2 },
    memoryTotalBytes: 25_276_502_016,
    gpus: [],
    os: { platform: 'linux', distro: 'Debian GNU/Linux', arch: 'x64' },
  };

  it('is stable for the same machine and changes when hardware changes', () => {
    const fp = machineFingerprint(base);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    // A few MiB of memory more (kernel reservations differ between boots) is the same machine.
    expect(machineFingerprint({ ...base, memoryTotalBytes: base.memoryTotalBytes + 3 * 2 ** 20 })).toBe(fp);
    expect(machineFingerprint({ ...base, cpu: { ...base.cpu, cores: 4, physicalCores: 4 } })).not.toBe(fp);
    expect(machineFingerprint({ ...base, memoryTotalBytes: base.memoryTotalBytes * 2 })).not.toBe(fp);
    const gpu = { vendor: 'NVIDIA', model: 'NVIDIA H100 80GB HBM3', vramMiB: 81559 };
    const withGpu = machineFingerprint({ ...base, gpus: [gpu] });
    expect(withGpu).not.toBe(fp);
    // GPU order does not matter.
    const other = { vendor: 'NVIDIA', model: 'NVIDIA A100', vramMiB: 40960 };
    expect(machineFingerprint({ ...base, gpus: [gpu, other] })).toBe(
      machineFingerprint({ ...base, gpus: [other, gpu] }),
    );
  });

  it('is the same for two probes of this machine', async () => {
    const [a, b] = [await machineFacts(), await machineFacts()];
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.cpu.cores).toBeGreaterThan(0);
    expect(a.memory.totalBytes).toBeGreaterThan(0);
    expect(a.os.arch).toBe(process.arch);
  });
});
