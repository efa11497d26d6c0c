import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
import type { TensorJson, TensorMapJson } from '../contract/tensors.js';
import { AirlockError } from '../errors.js';
import { sessionArgs, type ModelBytes } from '../inference/model-bytes.js';

/**
 * The worker's code. It is plain JavaScript evaluated in the worker (`eval: true`) so the same
 * code runs from the compiled dist/ and from TypeScript sources under vitest. It holds one
 * onnxruntime session and runs one batch at a time; tensor buffers move by transfer, not copy.
 */
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const transferable = (data) => (ArrayBuffer.isView(data) && data.buffer instanceof ArrayBuffer ? data.buffer : null);
(async () => {
  let session;
  try {
    session = await ort.InferenceSession.create(workerData.model, workerData.options);
  } catch (error) {
    parentPort.postMessage({ kind: 'failed', message: String((error && error.message) || error) });
    return;
  }
  parentPort.postMessage({ kind: 'ready' });
  parentPort.on('message', async (message) => {
    if (message.kind === 'close') {
      await session.release().catch(() => undefined);
      parentPort.close();
      return;
    }
    const started = performance.now();
    try {
      const feeds = {};
      for (const [name, t] of Object.entries(message.feeds)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      const results = await session.run(feeds);
      const outputs = {};
      const buffers = new Set();
      for (const [name, t] of Object.entries(results)) {
        outputs[name] = { type: t.type, dims: Array.from(t.dims), data: t.data };
        const b = transferable(t.data);
        if (b) buffers.add(b);
      }
      parentPort.postMessage({ kind: 'result', id: message.id, outputs, runMs: performance.now() - started }, [...buffers]);
    } catch (error) {
      parentPort.postMessage({ kind: 'error', id: message.id, message: String((error && error.message) || error) });
    }
  });
})();
`;

const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');

/** The distinct ArrayBuffers wholly covered by these views (safe to transfer). */
function ownedBuffers(views: readonly Uint8Array[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of views)
    if (v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength)
      out.add(v.buffer);
  return [...out];
}

type WorkerReply =
  | { kind: 'ready' }
  | { kind: 'failed'; message: string }
  | { kind: 'result'; id: number; outputs: TensorMapJson; runMs: number }
  | { kind: 'error'; id: number; message: string };

export interface WorkerRun {
  readonly outputs: TensorMapJson;
  /** Time onnxruntime spent inside the worker. */
  readonly runMs: number;
}

/**
 * One onnxruntime session in its own worker thread, so inference never blocks the event loop that
 * serves the UI and writes the audit log. Requests run one after another in the worker.
 */
export class ModelWorker {
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private readonly pending = new Map<
    number,
    { resolve: (r: WorkerRun) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;
  private closed = false;

  /**
   * `bytes` are a graph's verified bytes (and its external data files'); they move to the worker
   * by transfer where they own their buffer, so the caller must not use them afterwards.
   */
  constructor(
    bytes: ModelBytes,
    options: ort.InferenceSession.SessionOptions,
    private readonly label = bytes.path,
  ) {
    const [model, opts] = sessionArgs(bytes, options);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ortPath, model, options: opts },
      transferList: ownedBuffers([model, ...bytes.externalData.map((e) => e.data)]),
    });
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: WorkerReply) => {
        if (m.kind === 'ready') resolve();
        else if (m.kind === 'failed')
          reject(
            new AirlockError(
              'PROVIDER_UNAVAILABLE',
              `onnxruntime could not open ${this.label} in a worker: ${m.message.split('\n')[0]}`,
            ),
          );
      };
      this.worker.on('message', onMessage);
    });
    this.ready.catch(() => undefined);
    this.worker.on('message', (m: WorkerReply) => {
      if (m.kind !== 'result' && m.kind !== 'error') return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.kind === 'result') p.resolve({ outputs: m.outputs, runMs: m.runMs });
      else
        p.reject(
          new AirlockError(
            'INFERENCE_FAILED',
            `onnxruntime failed to run ${this.label}: ${m.message.split('\n')[0]}`,
          ),
        );
    });
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', () => this.failAll(new Error('the inference worker stopped')));
  }

  private failAll(error: Error): void {
    for (const p of this.pending.values())
      p.reject(
        new AirlockError('INFERENCE_FAILED', `Inference of ${this.label} failed: ${error.message}.`, {
          cause: error,
        }),
      );
    this.pending.clear();
  }

  /** Runs one (possibly merged) request. Input buffers are transferred when `transfer` is set. */
  async run(feeds: TensorMapJson, transfer = false): Promise<WorkerRun> {
    await this.ready;
    if (this.closed) throw new AirlockError('CANCELLED', `The worker for ${this.label} was closed.`);
    const id = this.nextId++;
    return new Promise<WorkerRun>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const buffers = transfer
        ? [
            ...new Set(
              Object.values(feeds).flatMap((t: TensorJson) =>
                ArrayBuffer.isView(t.data) && t.data.buffer instanceof ArrayBuffer ? [t.data.buffer] : [],
              ),
            ),
          ]
        : [];
      this.worker.postMessage({ kind: 'run', id, feeds }, buffers);
    });
  }

  /** Waits for the session to open (throws PROVIDER_UNAVAILABLE when it cannot). */
  async opened(): Promise<void> {
    await this.ready;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('the worker was closed'));
    await this.worker.terminate();
  }
}
