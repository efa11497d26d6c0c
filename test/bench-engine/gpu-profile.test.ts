import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatHardware } from '../../runtime/cli/commands/hardware.js';
import type { HardwareProfile } from '../../runtime/contract/hardware.js';
import { machineFingerprint } from '../../runtime/hardware/facts.js';
import { hardwareWarnings } from '../../runtime/hardware/probe.js';

// Real output of `airlock hardware --json` on the lent NVIDIA H100 machine (16-core Xeon,
// Ubuntu 24.04, driver 580.159.04, onnxruntime-node 1.30.0 installed without its CUDA files).
const profile = JSON.parse(
  readFileSync(new URL('./fixtures/h100-probe.json', import.meta.url), 'utf8'),
) as HardwareProfile;

describe('a real probe of a GPU machine', () => {
  it('recomputes to the same fingerprint from its facts', () => {
    expect(
      machineFingerprint({
        cpu: profile.cpu,
        memoryTotalBytes: profile.memory.totalBytes,
        gpus: profile.gpus,
        os: profile.os,
      }),
    ).toBe(profile.fingerprint);
  });

  it('found the GPU with its memory and driver, and says why CUDA and TensorRT do not load', () => {
    expect(profile.gpus).toEqual([
      expect.objectContaining({ model: 'NVIDIA H100 80GB HBM3', driver: '580.159.04' }),
    ]);
    const cuda = profile.providers.find((p) => p.name === 'cuda')!;
    expect(cuda).toMatchObject({ listed: true, bundled: false, works: false });
    expect(cuda.reason).toMatch(
      /libonnxruntime_providers_cuda\.so is not in .*--onnxruntime-node-install=cuda12/,
    );
    expect(profile.providers.find((p) => p.name === 'cpu')).toMatchObject({
      works: true,
      placement: 'CPUExecutionProvider: 2 nodes',
    });
  });

  it('warns that the GPU will not be used, as the warnings rule says', () => {
    expect(hardwareWarnings(profile.gpus, profile.providers)).toEqual(profile.warnings);
    expect(profile.warnings[0]).toMatch(
      /^An NVIDIA GPU is present \(NVIDIA H100 80GB HBM3\) but neither the CUDA nor the TensorRT provider works/,
    );
  });

  it('prints for a person', () => {
    const text = formatHardware(profile);
    expect(text).toContain(
      'GPUs       NVIDIA Corporation NVIDIA H100 80GB HBM3, 79.2 GiB, driver 580.159.04',
    );
    expect(text).toMatch(/\n {2}cuda {6}unavailable\n {12}libonnxruntime_providers_cuda\.so is not in/);
    expect(text).toMatch(/WARNING: An NVIDIA GPU is present/);
    expect(text).toContain('Features   amx amx_bf16 amx_int8 avx avx2');
  });
});
