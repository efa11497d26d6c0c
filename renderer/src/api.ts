/**
 * The renderer's one way to the engine: the preload bridge (`window.airlock`) inside the desktop
 * app, or the loopback test transport when the page is served from 127.0.0.1. Both carry the
 * same contract; every call resolves to a Result (never throws across the boundary).
 */
import {
  EVENT_NAMES,
  type Channels,
  type ErrorInfo,
  type EventName,
  type Events,
  type RequestOf,
  type ResponseOf,
  type Result,
  type shellChannels,
} from '../../runtime/contract/index.js';

export interface Bridge {
  invoke(channel: string, request: unknown): Promise<unknown>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    airlock?: Bridge;
  }
}

type AllChannels = Channels & typeof shellChannels;
export type AnyChannelName = keyof AllChannels;
export type Req<K extends AnyChannelName> = RequestOf<AllChannels[K]>;
export type Res<K extends AnyChannelName> = ResponseOf<AllChannels[K]>;

function noTransport(): ErrorInfo {
  return {
    code: 'INTERNAL',
    message: 'The window is not connected to the Airlock engine. Close it and start Airlock again.',
  };
}

function isLoopback(): boolean {
  return location.protocol === 'http:' && location.hostname === '127.0.0.1';
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * JSON for the loopback transport: Uint8Array (file bytes) as {"$bytes": base64}, which the
 * transport turns back into bytes; other typed arrays as arrays; bigints as decimal strings.
 */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return { $bytes: base64(v) };
    if (ArrayBuffer.isView(v) && !(v instanceof DataView))
      return Array.from(v as unknown as ArrayLike<number>);
    return v;
  });
}

const authListeners = new Set<() => void>();
/** Called whenever the engine answers AUTH_REQUIRED (no session, or it expired). */
export function onAuthRequired(listener: () => void): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

async function send(name: string, request: unknown): Promise<Result<unknown>> {
  const result = await sendRaw(name, request);
  if (!result.ok && result.error.code === 'AUTH_REQUIRED') for (const l of authListeners) l();
  return result;
}

async function sendRaw(name: string, request: unknown): Promise<Result<unknown>> {
  try {
    if (window.airlock) return (await window.airlock.invoke(name, request)) as Result<unknown>;
    if (isLoopback()) {
      const response = await fetch(`/invoke/${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: toJson(request ?? {}),
      });
      return (await response.json()) as Result<unknown>;
    }
    return { ok: false, error: noTransport() };
  } catch {
    return { ok: false, error: noTransport() };
  }
}

/** Calls a channel of the contract. */
export function invoke<K extends AnyChannelName>(name: K, request: Req<K>): Promise<Result<Res<K>>> {
  return send(name, request) as Promise<Result<Res<K>>>;
}

let source: EventSource | null = null;
const listeners = new Map<string, Set<(payload: unknown) => void>>();

/** Subscribes to an engine event; returns the unsubscribe function. */
export function on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
  const cb = listener as (payload: unknown) => void;
  if (!EVENT_NAMES.includes(event)) return () => {};
  if (window.airlock) return window.airlock.on(event, cb);
  if (!isLoopback()) return () => {};
  if (!source) {
    source = new EventSource('/events');
    source.onmessage = (message: MessageEvent<string>) => {
      const { event: name, payload } = JSON.parse(message.data) as { event: string; payload: unknown };
      for (const l of listeners.get(name) ?? []) l(payload);
    };
  }
  const set = listeners.get(event) ?? new Set();
  set.add(cb);
  listeners.set(event, set);
  return () => set.delete(cb);
}

let counter = 0;
/** An id for long work, so its progress events can be followed and it can be cancelled. */
export function operationId(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}
