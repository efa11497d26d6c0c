import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  candidateProviders,
  diagnose,
  listedBackends,
  ortBinaryDir,
  ortErrorLines,
  placementsFrom,
  probeProvider,
} from './providers.js';
import { hardwareWarnings } from './probe.js';

// A real (abridged) onnxruntime 1.30 log: verbose placement lines and a provider library load error.
const LOG = [
  '\u001b[1;31m2026-11-26 23:44:33.702867283 [E:onnxruntime:onnxruntime-node, provider_bridge_ort.cc:2146 Create] /onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:1988 onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library libonnxruntime_providers_shared.so with error: cannot open shared object file: No such file or directory\u001b[m',
  '2026-11-26 23:44:52.529596908 [V:onnxruntime:, session_state.cc:1377 VerifyEachNodeIsAssignedToAnEp] Node placements',
  '2026-11-26 23:44:52.529606593 [V:onnxruntime:, session_state.cc:1380 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [CUDAExecutionProvider]. Number of nodes: 3',
  '2026-11-26 23:44:52.529606593 [V:onnxruntime:, session_state.cc:1380 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 1',
].join('\n');

describe('onnxruntime log parsing', () => {
  it('finds error lines without colour codes or timestamps', () => {
    expect(ortErrorLines(LOG)).toEqual([
      expect.stringMatching(
        /^\/onnxruntime_src\/.*Failed to load library libonnxruntime_providers_shared\.so/,
      ),
    ]);
  });
  it('counts node placements per provider', () => {
    expect(placementsFrom(LOG)).toEqual({ CUDAExecutionProvider: 3, CPUExecutionProvider: 1 });
    expect(
      placementsFrom(
        '[V:onnxruntime:, session_state.cc:1380 x]  All nodes placed on [CPUExecutionProvider]. Number of nodes: 2',
      ),
    ).toEqual({ CPUExecutionProvider: 2 });
  });
});

describe('candidate providers', () => {
  it('includes what the platform could have, not only what is listed', () => {
    const listed = [{ name: 'cpu', bundled: true }];
    expect(candidateProviders('linux', 'x64', listed)).toEqual(['cpu', 'cuda', 'tensorrt']);
    expect(candidateProviders('win32', 'x64', [...listed, { name: 'webgpu', bundled: true }])).toEqual([
      'cpu',
      'cuda',
      'tensorrt',
      'dml',
      'webgpu',
    ]);
    expect(candidateProviders('darwin', 'arm64', listed)).toEqual(['cpu', 'coreml']);
    expect(candidateProviders('linux', 'arm64', listed)).toEqual(['cpu']);
  });
  it('covers every backend onnxruntime-node lists here', () => {
    const listed = listedBackends();
    expect(listed.map((b) => b.name)).toContain('cpu');
    const candidates = candidateProviders(process.platform, process.arch, listed);
    for (const b of listed) expect(candidates).toContain(b.name);
  });
});

describe('probeProvider (real sessions in a child process)', () => {
  const listed = listedBackends();

  it('opens the CPU provider, checks its answer and reads where the nodes went', async () => {
    const cpu = await probeProvider('cpu', listed);
    expect(cpu).toMatchObject({
      name: 'cpu',
      listed: true,
      bundled: true,
      works: true,
      reason: null,
      fellBackToCpu: false,
    });
    expect(cpu.loadMs).toBeGreaterThan(0);
    expect(cpu.placement).toBe('CPUExecutionProvider: 2 nodes');
  });

  it('reports the real reason when the CUDA provider library is absent', async (ctx) => {
    const dir = ortBinaryDir();
    if (
      !dir ||
      process.platform !== 'linux' ||
      process.arch !== 'x64' ||
      existsSync(join(dir, 'libonnxruntime_providers_cuda.so'))
    ) {
      ctx.skip('this installation of onnxruntime-node has the CUDA provider library (or is not linux-x64)');
    }
    const cuda = await probeProvider('cuda', listed);
    expect(cuda.works).toBe(false);
    expect(cuda.listed).toBe(true);
    expect(cuda.bundled).toBe(false);
    expect(cuda.reason).toContain(`libonnxruntime_providers_cuda.so is not in ${dir}`);
    expect(cuda.reason).toContain('--onnxruntime-node-install=cuda12');
    // onnxruntime's own words, from its native log, are kept.
    expect(cuda.reason).toMatch(/Failed to load (shared )?library/);
  });

  it('says a provider is not part of this build when onnxruntime-node does not list it', async () => {
    const name = process.platform === 'win32' ? 'coreml' : 'dml';
    const status = await probeProvider(name, listed);
    expect(status).toMatchObject({ name, listed: false, works: false, loadMs: null });
    expect(status.reason).toContain(`does not include the ${name} provider`);
  });
});

describe('diagnose and warnings', () => {
  it('names the missing library and what to do', () => {
    const reason = diagnose(
      'tensorrt',
      'OrtSessionOptionsAppendExecutionProvider_TensorRT: Failed to load shared library',
      ['Failed to load library x.so'],
      {
        listed: true,
        platform: 'win32',
        arch: 'x64',
        binaryDir: 'C:\\ort',
        files: ['onnxruntime.dll'],
      },
    );
    expect(reason).toContain('onnxruntime_providers_tensorrt.dll is not in C:\\ort');
    expect(reason).toContain('TensorRT 10');
    expect(reason).toContain('log: Failed to load library x.so');
  });

  it('warns when an NVIDIA GPU is present but no CUDA/TensorRT provider works, and on a silent CPU fallback', () => {
    const gpu = {
      vendor: 'NVIDIA',
      model: 'NVIDIA H100 80GB HBM3',
      vramMiB: 81559,
      driver: '580.159.04',
      bus: null,
    };
    const cpu = {
      name: 'cpu',
      listed: true,
      bundled: true,
      works: true,
      reason: null,
      loadMs: 5,
      placement: 'CPUExecutionProvider: 2 nodes',
      fellBackToCpu: false,
    };
    const cudaFails = {
      ...cpu,
      name: 'cuda',
      bundled: false,
      works: false,
      reason: 'libonnxruntime_providers_cuda.so is missing',
      placement: null,
    };
    expect(hardwareWarnings([gpu], [cpu, cudaFails])).toEqual([
      expect.stringMatching(
        /NVIDIA GPU is present \(NVIDIA H100 80GB HBM3\).*CUDA: libonnxruntime_providers_cuda\.so is missing/,
      ),
    ]);
    const cudaFallsBack = {
      ...cudaFails,
      works: true,
      reason: null,
      fellBackToCpu: true,
      placement: 'CPUExecutionProvider: 2 nodes',
    };
    const warnings = hardwareWarnings([gpu], [cpu, cudaFallsBack]);
    expect(warnings[0]).toMatch(/cuda provider opened, but onnxruntime placed every node on the CPU/);
    expect(warnings).toHaveLength(2);
    expect(
      hardwareWarnings(
        [gpu],
        [cpu, { ...cudaFails, works: true, reason: null, placement: 'CUDAExecutionProvider: 2 nodes' }],
      ),
    ).toEqual([]);
    expect(hardwareWarnings([], [cpu, cudaFails])).toEqual([]);
  });
});
