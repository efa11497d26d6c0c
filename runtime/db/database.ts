import { closeSync, constants, lstatSync, openSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { AirlockError } from '../errors.js';
import { diskFullError, freeBytes, isDiskFull } from './disk.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  /** Milliseconds to wait for another process's write lock before failing. */
  readonly busyTimeoutMs?: number;
  readonly readonly?: boolean;
  /** For tests of the migration runner itself. */
  readonly migrations?: readonly Migration[];
}

/**
 * Opens (creating if needed) the Airlock database: WAL, durable commits (synchronous=FULL, so an
 * acknowledged audit event survives a crash or power cut), foreign keys, a busy timeout, then the
 * numbered migrations in one transaction. A database written by a newer Airlock is refused.
 *
 * better-sqlite3 cannot pass SQLITE_OPEN_NOFOLLOW (nor URI filenames), so the caller checks the
 * file with lstat first (runtime/db/data-dir.ts); a new database file is made here, mode 0600,
 * without following a link (O_EXCL), and SQLite gives its -wal and -shm files the same mode.
 * Failures say what they are: DISK_FULL, DB_CORRUPT (damaged, or not a database), IO_ERROR.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Db {
  let db: Db;
  let created = false;
  try {
    created = !options.readonly && createPrivate(file);
    db = new Database(file, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
    });
  } catch (cause) {
    // Made empty just now and not opened: nothing in it.
    throw leaveNoHalfMade(file, created, openFailure(file, cause, 'Cannot open'));
  }
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
    }
    db.pragma('foreign_keys = ON');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') {
      throw new AirlockError(
        'DB_CORRUPT',
        `The database ${file} failed its integrity check (${String(check)}). Restore it from a backup; do not delete it, it holds the audit log.`,
      );
    }
    migrate(db, options.migrations ?? MIGRATIONS, file);
    return db;
  } catch (error) {
    const empty = created && holdsNothing(db);
    db.close();
    throw leaveNoHalfMade(
      file,
      empty,
      error instanceof AirlockError ? error : openFailure(file, error, 'Cannot use'),
    );
  }
}

/**
 * A database file that does not exist yet is made empty with mode 0600 (SQLite takes it as new).
 * Returns whether this call made it.
 */
function createPrivate(file: string): boolean {
  try {
    closeSync(
      openSync(
        file,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
        0o600,
      ),
    );
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  }
}

/** No schema committed: the migrations rolled back (or never ran). */
function holdsNothing(db: Db): boolean {
  try {
    return (
      db.pragma('user_version', { simple: true }) === 0 &&
      db.prepare('SELECT count(*) FROM sqlite_master').pluck().get() === 0
    );
  } catch {
    return false;
  }
}

/**
 * A database this call made and could not set up because the disk is full is removed again, with
 * SQLite's files beside it: nothing half-made is left to be taken for a data directory. Only while
 * it holds nothing: another process that set it up meanwhile has committed a schema to it.
 */
function leaveNoHalfMade(file: string, empty: boolean, error: AirlockError): AirlockError {
  if (!empty || error.code !== 'DISK_FULL') return error;
  for (const f of [`${file}-shm`, `${file}-wal`, `${file}-journal`, file]) {
    if (lstatSync(f, { throwIfNoEntry: false })?.isFile()) rmSync(f, { force: true });
  }
  return error;
}

/** What a failure to open or set up the database is: a full disk, a damaged file, or an I/O error. */
export function openFailure(file: string, cause: unknown, verb: 'Cannot open' | 'Cannot use'): AirlockError {
  const message = (cause as Error)?.message ?? String(cause);
  const code = String((cause as { code?: unknown } | null)?.code ?? '');
  if (isDiskFull(cause, () => freeBytes(dirname(file))))
    return diskFullError(dirname(file), cause, `the database ${file} cannot be opened; nothing was changed`);
  if (/^SQLITE_(BUSY|LOCKED)/.test(code))
    return new AirlockError(
      'IO_ERROR',
      `${verb} the database ${file}: another process holds it locked (${message}). Close other Airlock processes and try again.`,
      { cause },
    );
  if (/^SQLITE_(CANTOPEN|PERM|READONLY|AUTH)|^E(ACCES|PERM|ROFS)$/.test(code))
    return new AirlockError(
      'IO_ERROR',
      `${verb} the database ${file}: ${message}. Check that the account Airlock runs as may read and write the data directory.`,
      { cause },
    );
  if (/^SQLITE_IOERR|^E[A-Z]+$/.test(code))
    return new AirlockError(
      'IO_ERROR',
      `${verb} the database ${file}: ${message} (${code}). The disk or file system reported an error; check it (dmesg) and try again.`,
      { cause },
    );
  // SQLITE_CORRUPT, SQLITE_NOTADB, a schema the migrations cannot read.
  return new AirlockError(
    'DB_CORRUPT',
    `${verb} the database ${file}: ${message}. It is damaged or not an Airlock database; restore it from a backup (do not delete it, it holds the audit log).`,
    { cause },
  );
}

export function migrate(db: Db, migrations: readonly Migration[], file = 'the database'): void {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  const latest = sorted.at(-1)?.version ?? 0;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latest) {
    throw new AirlockError(
      'DB_TOO_NEW',
      `${file} was written by a newer Airlock (schema ${current}, this one knows up to ${latest}). Use that newer Airlock, or restore a backup made by this version; the file was not changed.`,
      { details: { schema: current, supported: latest } },
    );
  }
  const pending = sorted.filter((m) => m.version > current);
  if (pending.length === 0) return;
  db.transaction(() => {
    // Another process may have migrated while this one waited for the write lock: re-read.
    const now = db.pragma('user_version', { simple: true }) as number;
    if (now >= latest) return;
    for (const migration of pending) if (migration.version > now) migration.up(db);
    db.pragma(`user_version = ${latest}`);
  }).immediate();
}
