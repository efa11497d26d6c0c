import { closeSync, constants, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { AirlockError } from '../errors.js';
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
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Db {
  let db: Db;
  try {
    if (!options.readonly) createPrivate(file);
    db = new Database(file, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
    });
  } catch (cause) {
    throw new AirlockError(
      'DB_CORRUPT',
      `Cannot open the database ${file}: ${(cause as Error).message}. Check the data directory's permissions and free space.`,
      { cause },
    );
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
    db.close();
    if (error instanceof AirlockError) throw error;
    throw new AirlockError('DB_CORRUPT', `Cannot use the database ${file}: ${(error as Error).message}.`, {
      cause: error,
    });
  }
}

/** A database file that does not exist yet is made empty with mode 0600 (SQLite takes it as new). */
function createPrivate(file: string): void {
  try {
    closeSync(
      openSync(
        file,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
        0o600,
      ),
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
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
