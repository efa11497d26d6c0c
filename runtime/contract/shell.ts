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

const dialogFilters = z
  .array(
    z.object({
      name: z.string().min(1).max(80),
      extensions: z.array(z.string().regex(/^[A-Za-z0-9*]{1,16}$/)).max(10),
    }),
  )
  .max(10)
  .default([]);

/** What a native dialog answered: the path chosen, or null when the person cancelled. */
export interface DialogAnswer {
  readonly path: string | null;
}

export const shellChannels = {
  'system:network': channel<NetworkStatus>()(z.object({})),
  /**
   * A native open dialog (Electron's dialog.showOpenDialog in main): a file or a folder. The
   * renderer gets only the path the person chose, never file contents: reading stays with the
   * engine's checked readers. The loopback test transport answers from what the test queued.
   */
  'dialog:open': channel<DialogAnswer>()(
    z.object({
      kind: z.enum(['file', 'folder']),
      title: z.string().min(1).max(120),
      filters: dialogFilters,
    }),
  ),
  /** A native save dialog: where to write a new file or folder (results file, export folder). */
  'dialog:save': channel<DialogAnswer>()(
    z.object({
      title: z.string().min(1).max(120),
      defaultName: z.string().min(1).max(255).optional(),
      filters: dialogFilters,
    }),
  ),
};

export type ShellChannelName = keyof typeof shellChannels;
export const SHELL_CHANNEL_NAMES = Object.keys(shellChannels) as ShellChannelName[];

export function isShellChannelName(value: unknown): value is ShellChannelName {
  return typeof value === 'string' && Object.hasOwn(shellChannels, value);
}
