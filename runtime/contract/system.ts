import { z } from 'zod';
import { channel } from './channel.js';

export interface SystemInfo {
  readonly version: string;
  readonly dataDir: string;
  readonly installationId: string;
  readonly platform: string;
  readonly node: string;
  /** Free bytes (for the engine's account) on the disk that holds the data directory; null when unknown. */
  readonly dataDirFreeBytes: number | null;
}

export const systemChannels = {
  'system:info': channel<SystemInfo>()(z.object({})),
  /** Cancels long work started with this operationId (import, benchmark, job, export). */
  'operation:cancel': channel<{ cancelled: boolean }>()(
    z.object({ operationId: z.string().min(1).max(100) }),
  ),
};
