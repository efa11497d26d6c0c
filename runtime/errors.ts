import type { ErrorCode, ErrorInfo } from './contract/errors.js';

/**
 * Base of every error a user can meet. The message says what was wrong and what to do;
 * `code` is what callers match on across IPC and in `--json` output.
 */
export class AirlockError extends Error {
  override name = 'AirlockError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  toInfo(): ErrorInfo {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export class UsageError extends AirlockError {
  override name = 'UsageError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('USAGE', message, options);
  }
}

export class CancelledError extends AirlockError {
  override name = 'CancelledError';
  constructor(what: string, options: { cause?: unknown } = {}) {
    super('CANCELLED', `${what} was cancelled; nothing was changed.`, options);
  }
}

export class AuditWriteError extends AirlockError {
  override name = 'AuditWriteError';
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('AUDIT_WRITE_FAILED', message, options);
  }
}

/** Turns anything thrown into error data; unknown failures become INTERNAL with their message kept. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof AirlockError) return error.toInfo();
  if (error instanceof Error && error.name === 'AbortError') {
    return { code: 'CANCELLED', message: 'The operation was cancelled; nothing was changed.' };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: 'INTERNAL',
    message: `Unexpected internal error: ${message}. This is a bug in Airlock; please report it with the audit log.`,
  };
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new CancelledError(what, { cause: signal.reason });
}
