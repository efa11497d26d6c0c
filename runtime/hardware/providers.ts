import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ProviderStatus } from '../contract/hardware.js';
import { PROBE_EXPECTED, PROBE_INPUT, PROBE_MODEL_BASE64 } from './probe-model.js';

/** onnxruntime's class name for each provider, as its placement log prints it. */
const EP_CLASS: Readonly<Record<string, string>> = {
  cpu: 'CPUExecutionProvider',
  cuda: 'CUDAExecutionProvider',
  tensorrt: 'TensorrtExecutionProvider',
  dml: 'DmlExecutionProvider',
  coreml: 'CoreMLExecutionProvider',
  webgpu: 'WebGpuExecutionProvider',
  qnn: 'QNNExecutionProvider',
};

/** Providers whose library onnxruntime loads from a separate shared library beside the binding. */
const PROVIDER_LIBRARY: Readonly<Record<string, string>> = {
  cuda: 'onnxruntime_providers_cuda',
  tensorrt: 'onnxruntime_providers_tensorrt',
};

export interface ListedBackend {
  readonly name: string;
  readonly bundled: boolean;
}

/** What onnxruntime-node says it supports on this platform (its listSupportedBackends()). */
export function listedBackends(): ListedBackend[] {
  return ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
}

/**
 * The providers worth probing: every one onnxruntime-node lists, plus those the platform could
 * have (CUDA and TensorRT on Linux and Windows x64, DirectML on Windows, CoreML on macOS) so a
 * missing one is reported with its reason instead of silently absent.
 */
export function candidateProviders(
  platform: string,
  arch: string,
  listed: readonly ListedBackend[],
): string[] {
  const names = new Set<string>(['cpu']);
  if ((platform === 'linux' || platform === 'win32') && arch === 'x64') {
    names.add('cuda');
    names.add('tensorrt');
  }
  if (platform === 'win32') names.add('dml');
  if (platform === 'darwin') names.add('coreml');
  for (const b of listed) names.add(b.name);
  const order = ['cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu'];
  return [...names].sort(
    (a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b),
  );
}

/** The folder holding onnxruntime-node's native binding and libraries for this platform. */
export function ortBinaryDir(): string | null {
  try {
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    const root = dirname(dirname(entry));
    const bin = join(root, 'bin');
    if (!existsSync(bin)) return null;
    for (const napi of readdirSync(bin)
      .filter((d) => d.startsWith('napi-v'))
      .sort()
      .reverse()) {
      const dir = join(bin, napi, process.platform, process.arch);
      if (existsSync(dir)) return dir;
    }
    return null;
  } catch {
    return null;
  }
}

function libraryFile(base: string, platform: string): string {
  return platform === 'win32' ? `${base}.dll` : platform === 'darwin' ? `lib${base}.dylib` : `lib${base}.so`;
}

/** What the child process reports on stdout (one JSON line). */
interface ChildResult {
  readonly ok: boolean;
  readonly loadMs?: number;
  readonly output?: number[];
  readonly error?: string;
}

/**
 * The probe itself, run in a child Node process so a provider that crashes or hangs the process
 * (a broken GPU driver) cannot take Airlock down, and so onnxruntime's native log (which goes to
 * the process's stderr, out of reach of JavaScript in the same process) can be read: it holds the
 * real reason a provider library failed to load and where each node was placed.
 */
const CHILD_SCRIPT = `
const ort = require(process.env.AIRLOCK_ORT);
const ep = process.env.AIRLOCK_EP;
const input = JSON.parse(process.env.AIRLOCK_INPUT);
(async () => {
  const t0 = performance.now();
  let session;
  try {
    session = await ort.InferenceSession.create(Buffer.from(process.env.AIRLOCK_MODEL, 'base64'), { executionProviders: [ep], logSeverityLevel: 0, logVerbosityLevel: 0 });
  } catch (e) {
    process.stdout.write(JSON.stringify({ ok: false, error: String(e && e.message || e) }) + '\\n');
    return;
  }
  const loadMs = performance.now() - t0;
  try {
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(input), [1, input.length]) });
    process.stdout.write(JSON.stringify({ ok: true, loadMs, output: Array.from(out.y.data) }) + '\\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ ok: false, loadMs, error: 'the session opened but failed to run: ' + String(e && e.message || e) }) + '\\n');
  }
  await session.release();
})();
`;

export interface ProbeOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Runs the probe child for one provider; resolves with its JSON line and its stderr. */
function runChild(
  provider: string,
  options: ProbeOptions,
): Promise<{ result: ChildResult | null; stderr: string; exit: string | null }> {
  const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-e', CHILD_SCRIPT],
      {
        // ELECTRON_RUN_AS_NODE makes Electron's binary behave as Node; plain Node ignores it.
        env: {
          ...process.env,
          ELECTRON_RUN_AS_NODE: '1',
          AIRLOCK_ORT: ortPath,
          AIRLOCK_EP: provider,
          AIRLOCK_MODEL: PROBE_MODEL_BASE64,
          AIRLOCK_INPUT: JSON.stringify(PROBE_INPUT),
        },
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 32 * 1024 * 1024,
        windowsHide: true,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (error, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith('{'));
        let result: ChildResult | null;
        try {
          result = line ? (JSON.parse(line) as ChildResult) : null;
        } catch {
          result = null;
        }
        const exit = error
          ? error.killed
            ? `the probe was stopped after ${(options.timeoutMs ?? 120_000) / 1000} s (it hung)`
            : error.signal
              ? `the probe process died (${error.signal})`
              : `the probe process exited with code ${String(error.code)}`
          : null;
        resolve({ result, stderr, exit });
      },
    );
  });
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** onnxruntime's error lines ("[E:onnxruntime:...]"), without colour codes and timestamps. */
export function ortErrorLines(log: string): string[] {
  return log
    .replace(ANSI, '')
    .split('\n')
    .filter((l) => /\[E:onnxruntime/.test(l))
    .map((l) => l.replace(/^.*?\[E:onnxruntime:[^\]]*\]\s*/, '').trim())
    .filter((l, i, all) => l !== '' && all.indexOf(l) === i);
}

/**
 * Where onnxruntime placed the nodes, from its verbose log ("All nodes placed on [X]",
 * "Node(s) placed on [X]. Number of nodes: N"): provider class → node count.
 */
export function placementsFrom(log: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of log
    .replace(ANSI, '')
    .matchAll(/(?:All nodes|Node\(s\)) placed on \[(\w+)\]\. Number of nodes: (\d+)/g)) {
    out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  }
  return out;
}

/**
 * Why a provider failed, in words a user can act on: onnxruntime's own message and log lines, plus
 * what is missing on disk for the providers onnxruntime-node does not ship in its npm package.
 */
export function diagnose(
  provider: string,
  message: string,
  errorLog: readonly string[],
  context: {
    listed: boolean;
    platform: string;
    arch: string;
    binaryDir: string | null;
    files: readonly string[];
  },
): string {
  const parts: string[] = [];
  if (!context.listed) {
    parts.push(
      `onnxruntime-node ${ort.env.versions.node ?? ''} for ${context.platform}-${context.arch} does not include the ${provider} provider`.replace(
        '  ',
        ' ',
      ),
    );
  }
  const library = PROVIDER_LIBRARY[provider];
  if (library && context.binaryDir) {
    const file = libraryFile(library, context.platform);
    if (!context.files.includes(file)) {
      parts.push(
        `${file} is not in ${context.binaryDir}: the onnxruntime-node npm package does not bundle the ${provider === 'cuda' ? 'CUDA' : 'TensorRT'} provider library; its install script downloads it only when told to (npm install with --onnxruntime-node-install=cuda12 or ONNXRUNTIME_NODE_INSTALL=cuda12, on a connected machine), and this installation skipped it. Install it there and carry node_modules/onnxruntime-node over; the provider also needs the NVIDIA driver, CUDA 12 and cuDNN 9 libraries${provider === 'tensorrt' ? ' and TensorRT 10' : ''} on the library path`,
      );
    }
  }
  const first = message.split('\n')[0]!.trim();
  if (first) parts.push(`onnxruntime: ${first}`);
  for (const line of errorLog.slice(0, 2)) if (!first.includes(line)) parts.push(`log: ${line}`);
  return parts.join('; ') || `the ${provider} provider did not open`;
}

/** Opens a real session on the probe model with one provider and checks its answer. */
export async function probeProvider(
  provider: string,
  listed: readonly ListedBackend[],
  options: ProbeOptions = {},
): Promise<ProviderStatus> {
  const entry = listed.find((b) => b.name === provider);
  const binaryDir = ortBinaryDir();
  const files = binaryDir ? readdirSync(binaryDir) : [];
  const context = {
    listed: entry !== undefined,
    platform: process.platform,
    arch: process.arch,
    binaryDir,
    files,
  };
  const base = { name: provider, listed: entry !== undefined, bundled: entry?.bundled ?? null };
  if (!entry) {
    return {
      ...base,
      works: false,
      reason: diagnose(provider, '', [], context),
      loadMs: null,
      placement: null,
      fellBackToCpu: false,
    };
  }
  const { result, stderr, exit } = await runChild(provider, options);
  const errors = ortErrorLines(stderr);
  const placements = placementsFrom(stderr);
  const placement =
    Object.keys(placements).length > 0
      ? Object.entries(placements)
          .map(([ep, n]) => `${ep}: ${n} node${n === 1 ? '' : 's'}`)
          .join(', ')
      : null;
  if (!result?.ok) {
    const message = result?.error ?? exit ?? 'the probe gave no answer';
    return {
      ...base,
      works: false,
      reason: diagnose(provider, message, errors, context),
      loadMs: result?.loadMs ?? null,
      placement,
      fellBackToCpu: false,
    };
  }
  const correct =
    result.output?.length === PROBE_EXPECTED.length &&
    result.output.every((v, i) => Math.abs(v - PROBE_EXPECTED[i]!) < 1e-5);
  const own = EP_CLASS[provider];
  const placedOn = Object.keys(placements);
  const fellBackToCpu =
    provider !== 'cpu' &&
    placedOn.length > 0 &&
    placedOn.every((ep) => ep === 'CPUExecutionProvider') &&
    own !== 'CPUExecutionProvider';
  return {
    ...base,
    works: correct,
    reason: correct
      ? null
      : `the session opened but gave a wrong answer (${JSON.stringify(result.output)} for ${JSON.stringify(PROBE_EXPECTED)})`,
    loadMs: Math.round(result.loadMs! * 100) / 100,
    placement,
    fellBackToCpu,
  };
}
