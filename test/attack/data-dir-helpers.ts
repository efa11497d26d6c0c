/**
 * Helpers for the data-directory attacks (issue 10, items 1 and 9): a real data directory with an
 * admin, a trusted key, an installed model and leftovers that recovery would remove (a stale
 * staging folder, an unreferenced blob), copied per test; and the state of a folder as lstat sees
 * it (type, mode, owner, link target, SHA-256 of every file, the database files included), so a
 * test can prove that nothing at all changed.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { Airlock } from '../../runtime/airlock.js';
import { createHandlers } from '../../runtime/api/handlers.js';
import { publisher, signedBundle } from '../core/helpers.js';

/** A staging folder of a process that is gone (no pid is this large), and an unreferenced blob. */
export const STALE_STAGING = 'staging/2000000000-00000000-0000-4000-8000-000000000000';
export const ORPHAN_BLOB = `store/sha256/${'a'.repeat(64)}`;
export const STALE_CHECKPOINT_TEMP = 'keys/audit-checkpoint.json.tmp-2000000000';

export const ADMIN_OS_USER = 'facility-admin';

export interface EntryState {
  readonly type: 'dir' | 'file' | 'link' | 'other';
  readonly mode: string;
  readonly uid: number;
  readonly sha256?: string;
  readonly target?: string;
}

/** Every entry under `dir` (itself as "."), never following a link. */
export function diskState(dir: string): Record<string, EntryState> {
  const out: Record<string, EntryState> = {};
  const visit = (path: string) => {
    const st = lstatSync(path);
    const rel = relative(dir, path) || '.';
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out[rel] = { type: 'link', mode, uid: st.uid, target: readlinkSync(path) };
    else if (st.isDirectory()) {
      out[rel] = { type: 'dir', mode, uid: st.uid };
      for (const name of readdirSync(path).sort()) visit(join(path, name));
    } else if (st.isFile())
      out[rel] = {
        type: 'file',
        mode,
        uid: st.uid,
        sha256: createHash('sha256').update(readFileSync(path)).digest('hex'),
      };
    else out[rel] = { type: 'other', mode, uid: st.uid };
  };
  visit(dir);
  return out;
}

/**
 * A closed data directory made the way a facility makes one (its first OS user is admin), with a
 * trusted publisher, one installed model, an archive folder, and leftovers recovery would delete.
 */
export async function makeDataDir(dataDir: string): Promise<void> {
  const airlock = Airlock.open({ dataDir });
  try {
    const admin = airlock.signIn.authenticateOsUser({ name: ADMIN_OS_USER, source: 'test:setup' });
    const handlers = createHandlers(airlock);
    const pub = publisher();
    await handlers['trust:add'](
      { name: 'acme', publicKeyPem: pub.publicKeyPem, role: 'publisher' },
      { actor: admin },
    );
    const bundle = await signedBundle(join(dataDir, '..'), pub);
    const report = await handlers['models:import']({ path: bundle }, { actor: admin });
    if (report.installed !== 1)
      throw new Error(`setup: the model was not installed: ${JSON.stringify(report)}`);
  } finally {
    await airlock.close();
  }
  plantLeftovers(dataDir);
}

/** What an interrupted import or checkpoint leaves: recovery removes these after authentication. */
export function plantLeftovers(dataDir: string): void {
  mkdirSync(join(dataDir, STALE_STAGING), { recursive: true });
  writeFileSync(join(dataDir, STALE_STAGING, '0000'), 'half an import');
  writeFileSync(join(dataDir, ORPHAN_BLOB), 'a blob no model references');
  writeFileSync(join(dataDir, STALE_CHECKPOINT_TEMP), '{"half":');
  mkdirSync(join(dataDir, 'audit-archive'), { recursive: true, mode: 0o700 });
}

/** A copy of a template data directory, with the modes Airlock gives (0700 folders, 0600 secrets). */
export function copyDataDir(template: string, to: string): void {
  cpSync(template, to, { recursive: true });
  normalizeModes(to);
}

export function normalizeModes(dataDir: string): void {
  const walk = (path: string) => {
    const st = lstatSync(path);
    const rel = relative(dataDir, path);
    if (st.isDirectory()) {
      chmodSync(path, 0o700);
      for (const name of readdirSync(path)) walk(join(path, name));
    } else if (st.isFile()) chmodSync(path, rel.endsWith('.pub') || rel.startsWith('store') ? 0o644 : 0o600);
  };
  walk(dataDir);
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}
