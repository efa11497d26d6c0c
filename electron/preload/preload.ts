/**
 * The only bridge between the sandboxed page and main: `invoke` and `on` for the contract's
 * channels and events, nothing else (no generic IPC, no Node). Built to CommonJS (sandboxed
 * preloads cannot be ES modules).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { CHANNEL_NAMES, EVENT_NAMES, SHELL_CHANNEL_NAMES } from '../../runtime/contract/index.js';

const channels = new Set<string>([...CHANNEL_NAMES, ...SHELL_CHANNEL_NAMES]);
const events = new Set<string>(EVENT_NAMES);

contextBridge.exposeInMainWorld('airlock', {
  invoke(channel: unknown, request: unknown): Promise<unknown> {
    if (typeof channel !== 'string' || !channels.has(channel)) {
      return Promise.resolve({
        ok: false,
        error: { code: 'USAGE', message: `Unknown channel "${String(channel)}".` },
      });
    }
    return ipcRenderer.invoke('airlock:invoke', channel, request);
  },
  on(event: unknown, listener: unknown): () => void {
    if (typeof event !== 'string' || !events.has(event) || typeof listener !== 'function') return () => {};
    const wrapped = (_e: IpcRendererEvent, name: string, payload: unknown) => {
      if (name === event) (listener as (payload: unknown) => void)(payload);
    };
    ipcRenderer.on('airlock:event', wrapped);
    return () => {
      ipcRenderer.removeListener('airlock:event', wrapped);
    };
  },
});
