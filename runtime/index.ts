/** The engine's public surface: what electron/main and other embedders may import. */
export { Airlock, type AirlockOptions } from './airlock.js';
export { createHandlers, dispatch, call, type Handlers, type Handler } from './api/handlers.js';
export type { CallContext } from './api/context.js';
export { SessionTransport } from './api/transport.js';
export type { Actor } from './audit/audit-log.js';
export { SessionManager } from './auth/sessions.js';
export { resolveDataDir } from './paths.js';
export { MediaWatcher } from './media/watcher.js';
export { listMedia } from './media/drives.js';
export { AirlockError, toErrorInfo } from './errors.js';
