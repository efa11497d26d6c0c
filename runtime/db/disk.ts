import { statfsSync } from 'node:fs';
import { AirlockError } from '../errors.js';

/** Below this much free space an I/O error on a write is taken for a full disk. */
export const NEARLY_FULL_BYTES = 1024 * 1024;

/** Free bytes (for this account) on the file system holding `path`, or null when unknown. */
export function freeBytes(path: string): number | null {
  try {
    const s = statfsSync(path);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/**
 * Is this failure a full disk? ENOSPC and SQLITE_FULL say so themselves. SQLite reports most
 * failed writes as a plain "disk I/O error" (SQLITE_IOERR_WRITE, _SHMSIZE when it cannot grow the
 * -shm file, ...) without the errno, so an I/O error counts when the file system has (almost) no
 * space left.
 */
export function isDiskFull(error: unknown, free: () => number | null): boolean {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  if (code === 'ENOSPC' || code === 'EDQUOT' || code.startsWith('SQLITE_FULL')) return true;
  if (!code.startsWith('SQLITE_IOERR') && !code.startsWith('SQLITE_CANTOPEN')) return false;
  const bytes = free();
  return bytes !== null && bytes < NEARLY_FULL_BYTES;
}

/**
 * DISK_FULL for `path` (the data directory, an output file). `what` says what could not be done
 * and what became of it: "the database cannot be opened; nothing was changed".
 */
export function diskFullError(path: string, cause: unknown, what: string): AirlockError {
  const bytes = freeBytes(path);
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new AirlockError(
    'DISK_FULL',
    `The disk holding ${path} is full${bytes === null ? '' : ` (${Math.floor(bytes / 1024)} KiB free)`}: ${what} (${reason}). Free some space and try again.`,
    { cause, details: { path, ...(bytes === null ? {} : { freeBytes: bytes }) } },
  );
}
