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
  home: string = homedir(),
): string {
  if (flag) return resolve(flag);
  if (env['AIRLOCK_HOME']) return resolve(env['AIRLOCK_HOME']);
  if (platform === 'win32') return join(env['APPDATA'] ?? join(home, 'AppData', 'Roaming'), 'Airlock');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Airlock');
  return join(env['XDG_CONFIG_HOME'] ?? join(home, '.config'), 'Airlock');
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
