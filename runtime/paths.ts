import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The data directory: `--data-dir`, else AIRLOCK_HOME, else the place Electron's
 * `app.getPath('userData')` gives for an app named "Airlock", so the app and the CLI share one
 * store and one database.
 */
export function resolveDataDir(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  homeDir: string | (() => string) = homedir,
): string {
  if (flag) return resolve(flag);
  if (env['AIRLOCK_HOME']) return resolve(env['AIRLOCK_HOME']);
  // Asked only when needed: an account without a home folder may still name its data directory.
  const home = typeof homeDir === 'string' ? homeDir : homeDir();
  if (platform === 'win32') return join(env['APPDATA'] ?? join(home, 'AppData', 'Roaming'), 'Airlock');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Airlock');
  return join(env['XDG_CONFIG_HOME'] ?? join(home, '.config'), 'Airlock');
}

/**
 * The data directory of the account this process runs as, from its home folder in the user
 * database alone: what "the configured one" is when Airlock runs through sudo for someone else,
 * who controls the environment (AIRLOCK_HOME, XDG_CONFIG_HOME, APPDATA) and the arguments.
 */
export function ownDataDir(home: string, platform: NodeJS.Platform = process.platform): string {
  return resolveDataDir(undefined, {}, platform, home);
}

/** Where things live inside a data directory. */
export function dataPaths(dataDir: string) {
  return {
    root: dataDir,
    database: join(dataDir, 'airlock.db'),
    /** Content-addressed blobs: store/sha256/<hex>. */
    blobs: join(dataDir, 'store', 'sha256'),
    /** Temporary files of imports in progress; emptied at every start. */
    staging: join(dataDir, 'staging'),
    /** Files outside the database that must survive it (installation key, last checkpoint). */
    keys: join(dataDir, 'keys'),
  } as const;
}
export type DataPaths = ReturnType<typeof dataPaths>;

/**
 * Every entry of a data directory that Airlock opens, writes or deletes in, parents before their
 * children. Each is checked before the directory is used (not a link, owned by the account Airlock
 * runs as, not writable by others; runtime/db/data-dir.ts), and the private ones lose any group and
 * other permissions on every open.
 */
export const DATA_DIR_ENTRIES: readonly {
  readonly path: string;
  readonly kind: 'dir' | 'file';
  /** Secret (the audit log, account hashes, the installation key): mode 0700 or 0600. */
  readonly private: boolean;
  /** A database file: SQLite's locks do not cover a second name (hard link) of the same file. */
  readonly database?: true;
}[] = [
  { path: '', kind: 'dir', private: true },
  { path: 'airlock.db', kind: 'file', private: true, database: true },
  { path: 'airlock.db-wal', kind: 'file', private: true, database: true },
  { path: 'airlock.db-shm', kind: 'file', private: true, database: true },
  { path: 'airlock.db-journal', kind: 'file', private: true, database: true },
  { path: 'keys', kind: 'dir', private: true },
  { path: 'keys/installation.key', kind: 'file', private: true },
  { path: 'keys/installation.pub', kind: 'file', private: false },
  { path: 'keys/audit-checkpoint.json', kind: 'file', private: true },
  { path: 'store', kind: 'dir', private: true },
  { path: 'store/sha256', kind: 'dir', private: true },
  { path: 'staging', kind: 'dir', private: true },
  { path: 'audit-archive', kind: 'dir', private: true },
];
