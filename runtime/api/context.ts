import type { Actor } from '../audit/audit-log.js';
import type { ProgressEvent } from '../contract/channel.js';

/** What a transport knows about a call besides its request: who, and how to report and cancel. */
export interface CallContext {
  readonly actor: Actor;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((event: ProgressEvent) => void) | undefined;
}
