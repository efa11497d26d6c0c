import { z } from 'zod';
import { channel } from './channel.js';

/**
 * Channels answered by the transport itself (the Electron shell, or the loopback test server), not
 * by the engine: they describe the host the UI runs in. They are kept out of `channels` so the
 * engine's `Handlers` does not have to implement them.
 */
export interface NetworkStatus {
  /** Which host answers: the desktop shell, or the loopback test transport used by tests. */
  readonly transport: 'electron' | 'loopback';
  /** True when every request that is not app:// is cancelled and DNS resolution is disabled. */
  readonly locked: boolean;
  /** Requests the session refused since start (anything that was not app://). */
  readonly blockedRequests: number;
  /** How name resolution is disabled (the host-resolver-rules switch), or null when it is not. */
  readonly dnsRule: string | null;
  /** The checks behind `locked`, each with its outcome, in the words the UI shows. */
  readonly checks: readonly { readonly name: string; readonly ok: boolean; readonly detail: string }[];
  /** When the checks were last run (UTC, ISO 8601). */
  readonly checkedAt: string;
}

export const shellChannels = {
  'system:network': channel<NetworkStatus>()(z.object({})),
};

export type ShellChannelName = keyof typeof shellChannels;
export const SHELL_CHANNEL_NAMES = Object.keys(shellChannels) as ShellChannelName[];

export function isShellChannelName(value: unknown): value is ShellChannelName {
  return typeof value === 'string' && Object.hasOwn(shellChannels, value);
}
