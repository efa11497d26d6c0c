import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { AirlockError } from '../errors.js';
import { DATA_DIR_ENTRIES, dataPaths, type DataPaths } from '../paths.js';
import { osDetail, osProblem } from '../util/os-problem.js';

/**
 * The data directory on disk, checked before anything in it is opened. The invariant: once the
 * root is a real folder owned by the account Airlock runs as and writable by nobody else, only
 * that account (and root) can add, swap or remove its entries, so entries checked here stay what
 * they were checked to be. Every entry Airlock uses (DATA_DIR_ENTRIES) is then checked the same
 * way; a link, a foreign owner, a group- or world-writable entry is refused (DATA_DIR_UNSAFE) with
 * nothing opened or changed; readable-by-others secrets are made private (0700/0600).
 */

export type UnsafeReason =
  'link' | 'owner' | 'writable' | 'hard-link' | 'special' | 'ancestor' | 'not-configured' | 'mode';

export interface EntryFacts {
  readonly type: 'dir' | 'file' | 'link' | 'other';
  readonly uid: number;
  /** Permission bits (mode & 0o7777). */
  readonly mode: number;
  readonly nlink: number;
}

/** `chmod`: the mode to set (group and other bits taken away), or null to leave it. */
export type EntryVerdict =
  | { readonly ok: true; readonly chmod: number | null }
  | { readonly ok: false; readonly code: 'DATA_DIR_UNSAFE'; readonly reason: UnsafeReason }
  | { readonly ok: false; readonly code: 'DATA_DIR_INVALID'; readonly reason: 'not-a-folder' | 'not-a-file' };

/**
 * What to do with one entry, a pure decision over what lstat says. `euid` null: a platform without
 * POSIX owners and modes (Windows), where only links and types are judged.
 */
export function judgeEntry(
  spec: { readonly kind: 'dir' | 'file'; readonly private: boolean; readonly database?: true },
  facts: EntryFacts,
  euid: number | null,
): EntryVerdict {
  if (facts.type === 'link') return { ok: false, code: 'DATA_DIR_UNSAFE', reason: 'link' };
  if (facts.type === 'other') return { ok: false, code: 'DATA_DIR_UNSAFE', reason: 'special' };
  if (facts.type !== spec.kind)
    return {
      ok: false,
      code: 'DATA_DIR_INVALID',
      reason: spec.kind === 'dir' ? 'not-a-folder' : 'not-a-file',
    };
  if (euid === null) return { ok: true, chmod: null };
  if (facts.uid !== euid) return { ok: false, code: 'DATA_DIR_UNSAFE', reason: 'owner' };
  if ((facts.mode & 0o022) !== 0) return { ok: false, code: 'DATA_DIR_UNSAFE', reason: 'writable' };
  if (spec.database && facts.nlink > 1) return { ok: false, code: 'DATA_DIR_UNSAFE', reason: 'hard-link' };
  return { ok: true, chmod: spec.private && (facts.mode & 0o077) !== 0 ? facts.mode & 0o7700 : null };
}

/**
 * May a folder above the data directory be trusted? Owned by root or by this account, and
 * writable by nobody else (a sticky folder such as /tmp excepted: others cannot rename or remove
 * what they do not own in it). Otherwise another account could swap the data directory itself.
 */
export function ancestorSafe(facts: EntryFacts, euid: number): boolean {
  if (facts.type !== 'dir') return false;
  if (facts.uid !== 0 && facts.uid !== euid) return false;
  return (facts.mode & 0o022) === 0 || (facts.mode & 0o1000) !== 0;
}

export interface SecureDataDirOptions {
  /**
   * Opened on behalf of another person (through sudo): the folders above the data directory must
   * be safe too, and the directory is used through its real path from here on.
   */
  readonly deputy?: boolean;
  /** The account Airlock runs as (default: the process's effective uid; null on Windows). */
  readonly euid?: number | null;
}

/**
 * Checks a data directory before it is used, creating it (mode 0700) when it does not exist yet.
 * Nothing in it is created here but the root; entries that exist are checked (DATA_DIR_UNSAFE,
 * DATA_DIR_INVALID) and private ones made 0700/0600. Returns the paths to use from now on.
 */
export function secureDataDir(dataDir: string, options: SecureDataDirOptions = {}): DataPaths {
  const euid = options.euid === undefined ? currentEuid() : options.euid;
  let root = resolve(dataDir);
  if (options.deputy && euid !== null) root = checkAncestors(root, euid);
  if (lstatOrNull(root) === null) {
    try {
      mkdirSync(root, { recursive: true, mode: 0o700 });
    } catch (cause) {
      throw new AirlockError(
        'DATA_DIR_INVALID',
        `Cannot create the data directory ${root}: ${osProblem(cause)}. Choose another with --data-dir or AIRLOCK_HOME.`,
        { cause, details: { path: root, ...osDetail(cause) } },
      );
    }
  }
  secureEntries(root, DATA_DIR_ENTRIES, euid);
  return dataPaths(root);
}

/** The database's own files again, after SQLite made them (-wal, -shm): 0600 like the database. */
export function secureDatabaseFiles(paths: Pick<DataPaths, 'root'>, euid = currentEuid()): void {
  secureEntries(
    paths.root,
    DATA_DIR_ENTRIES.filter((e) => e.database),
    euid,
  );
}

/**
 * Through sudo the caller chooses no data directory: one requested with --data-dir or AIRLOCK_HOME
 * must be the configured one (the same folder), else DATA_DIR_UNSAFE and nothing is opened.
 */
export function requireConfiguredDataDir(requested: string | undefined, configured: string): void {
  if (requested === undefined || requested === '') return;
  const wanted = resolve(requested);
  if (wanted === configured || sameExisting(wanted, configured)) return;
  throw new AirlockError(
    'DATA_DIR_UNSAFE',
    `Through sudo, Airlock opens only the data directory of the account it runs as (${configured}); ${wanted} is another. A data directory named by the caller could hold links into the real one; run without --data-dir and AIRLOCK_HOME. Nothing was opened.`,
    { details: { path: wanted, reason: 'not-configured' satisfies UnsafeReason, configured } },
  );
}

function sameExisting(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

function currentEuid(): number | null {
  return typeof process.geteuid === 'function' ? process.geteuid() : null;
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new AirlockError(
      'DATA_DIR_INVALID',
      `Cannot examine ${path} in the data directory: ${osProblem(error)}. Check its permissions.`,
      { cause: error, details: { path, ...osDetail(error) } },
    );
  }
}

function factsOf(st: Stats): EntryFacts {
  return {
    type: st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other',
    uid: st.uid,
    mode: st.mode & 0o7777,
    nlink: st.nlink,
  };
}

const octal = (mode: number) => `0${mode.toString(8).padStart(3, '0')}`;

/** Judges every entry first and changes nothing unless all of them may be used. */
function secureEntries(root: string, entries: typeof DATA_DIR_ENTRIES, euid: number | null): void {
  const fixes: { path: string; st: Stats; mode: number }[] = [];
  for (const spec of entries) {
    const path = spec.path === '' ? root : join(root, ...spec.path.split('/'));
    const st = lstatOrNull(path);
    if (st === null) continue;
    const facts = factsOf(st);
    const verdict = judgeEntry(spec, facts, euid);
    if (!verdict.ok) throw refusal(root, path, verdict.reason, facts, euid);
    if (verdict.chmod !== null) fixes.push({ path, st, mode: verdict.chmod });
  }
  for (const fix of fixes) makePrivate(fix.path, fix.st, fix.mode);
}

/**
 * Takes group and other permissions away through a descriptor opened without following links,
 * after checking that it is the entry lstat saw: nothing is changed through a link.
 */
function makePrivate(path: string, seen: Stats, mode: number): void {
  const flags =
    constants.O_RDONLY |
    (constants.O_NOFOLLOW ?? 0) |
    (constants.O_NONBLOCK ?? 0) |
    (seen.isDirectory() ? (constants.O_DIRECTORY ?? 0) : 0);
  let fd: number;
  try {
    fd = openSync(path, flags);
  } catch (cause) {
    throw new AirlockError(
      'DATA_DIR_UNSAFE',
      `${path} is readable by other accounts (mode ${octal(seen.mode & 0o7777)}) and Airlock cannot open it to make it private (${osProblem(cause)}). Run "chmod go-rwx ${path}" as its owner.`,
      { cause, details: { path, reason: 'mode' satisfies UnsafeReason, mode: octal(seen.mode & 0o7777) } },
    );
  }
  try {
    const now = fstatSync(fd);
    if (now.ino !== seen.ino || now.dev !== seen.dev)
      throw new AirlockError(
        'DATA_DIR_UNSAFE',
        `${path} changed while Airlock was checking it; another process is changing the data directory. Nothing was changed; try again.`,
        { details: { path, reason: 'link' satisfies UnsafeReason } },
      );
    fchmodSync(fd, mode);
  } catch (cause) {
    if (cause instanceof AirlockError) throw cause;
    throw new AirlockError(
      'DATA_DIR_UNSAFE',
      `${path} is readable by other accounts (mode ${octal(seen.mode & 0o7777)}) and cannot be made private (${osProblem(cause)}). Run "chmod go-rwx ${path}" as its owner.`,
      { cause, details: { path, reason: 'mode' satisfies UnsafeReason, mode: octal(seen.mode & 0o7777) } },
    );
  } finally {
    closeSync(fd);
  }
}

/**
 * The folders above the data directory, resolved once to their real path: each owned by root or
 * this account and writable by nobody else. Returns the data directory under that real path.
 */
function checkAncestors(root: string, euid: number): string {
  // The nearest folder above the root that exists; the root itself is judged as an entry (a link
  // at the root is refused there, never resolved here).
  let existing = dirname(root);
  const missing: string[] = [basename(root)];
  while (lstatOrNull(existing) === null && dirname(existing) !== existing) {
    missing.unshift(basename(existing));
    existing = dirname(existing);
  }
  let real: string;
  try {
    real = realpathSync(existing);
  } catch (cause) {
    throw new AirlockError(
      'DATA_DIR_INVALID',
      `Cannot resolve ${existing}, above the data directory: ${osProblem(cause)}.`,
      { cause, details: { path: existing } },
    );
  }
  for (let dir = real; ; dir = dirname(dir)) {
    const st = lstatOrNull(dir);
    const facts = st ? factsOf(st) : null;
    if (!facts || !ancestorSafe(facts, euid)) {
      throw new AirlockError(
        'DATA_DIR_UNSAFE',
        `${dir}, a folder above the data directory, ${facts && facts.type === 'dir' ? `belongs to uid ${facts.uid} with mode ${octal(facts.mode)}` : 'is not a folder'}: through sudo every folder above the data directory must belong to root or to the account Airlock runs as and be writable by nobody else, or another account could swap the data directory. Fix it ("chown root ${dir}; chmod go-w ${dir}") or choose the service account's home elsewhere. Nothing was opened.`,
        {
          details: {
            path: dir,
            reason: 'ancestor' satisfies UnsafeReason,
            ...(facts ? { uid: facts.uid, mode: octal(facts.mode) } : {}),
          },
        },
      );
    }
    if (dirname(dir) === dir) break;
  }
  return join(real, ...missing);
}

function refusal(
  root: string,
  path: string,
  reason: UnsafeReason | 'not-a-folder' | 'not-a-file',
  facts: EntryFacts,
  euid: number | null,
): AirlockError {
  const what = path === root ? `The data directory ${root}` : `${path} in the data directory`;
  const untouched = 'Nothing was opened or changed.';
  const details = { path, reason, uid: facts.uid, mode: octal(facts.mode) };
  switch (reason) {
    case 'link':
      return new AirlockError(
        'DATA_DIR_UNSAFE',
        path === root
          ? `${what} is a symbolic link. Airlock does not follow links into a data directory; pass its real path (--data-dir "$(realpath ${root})"). ${untouched}`
          : `${what} is a symbolic link. Airlock never follows links inside its data directory (one could point into another installation's files); replace it with the real file or folder. ${untouched}`,
        { details },
      );
    case 'special':
      return new AirlockError(
        'DATA_DIR_UNSAFE',
        `${what} is not a regular file or folder (a FIFO, socket or device); move it away. ${untouched}`,
        { details },
      );
    case 'owner':
      return new AirlockError(
        'DATA_DIR_UNSAFE',
        `${what} belongs to uid ${facts.uid}, not to the account Airlock runs as (uid ${euid}). Run Airlock as the data directory's owner (through sudo -u OWNER on a shared server), or have an administrator give it to this account (chown -R). ${untouched}`,
        { details },
      );
    case 'writable':
      return new AirlockError(
        'DATA_DIR_UNSAFE',
        `${what} can be written by other accounts (mode ${octal(facts.mode)}), so its contents may have been replaced. Check it, then take the write permission away ("chmod go-w ${path}"). ${untouched}`,
        { details },
      );
    case 'hard-link':
      return new AirlockError(
        'DATA_DIR_UNSAFE',
        `${what} has ${facts.nlink} names (hard links). SQLite's locks do not cover another name of the same file, and the other name may sit where other accounts can reach it; copy the database to a file of its own instead ("cp --no-preserve=links"). ${untouched}`,
        { details: { ...details, nlink: facts.nlink } },
      );
    case 'not-a-folder':
    case 'not-a-file':
      return new AirlockError(
        'DATA_DIR_INVALID',
        `${what} is ${reason === 'not-a-folder' ? 'not a folder' : 'not a regular file'}; this is not an Airlock data directory, or it was damaged. Choose another with --data-dir or AIRLOCK_HOME. ${untouched}`,
        { details },
      );
    default:
      return new AirlockError('DATA_DIR_UNSAFE', `${what} cannot be used safely (${reason}). ${untouched}`, {
        details,
      });
  }
}

/**
 * Whether `path` (resolved, its links followed as far as it exists) is the data directory or lies
 * inside it: through sudo a caller's path there would read or write the service account's secrets.
 */
export function insideDataDir(path: string, root: string): boolean {
  const real = (p: string): string => {
    const missing: string[] = [];
    let at = resolve(p);
    for (;;) {
      try {
        return join(realpathSync(at), ...missing);
      } catch {
        if (dirname(at) === at) return resolve(p);
        missing.unshift(basename(at));
        at = dirname(at);
      }
    }
  };
  const target = real(path);
  const base = real(root);
  return target === base || target.startsWith(base.endsWith(sep) ? base : base + sep);
}
