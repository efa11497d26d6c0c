import { lstatSync } from 'node:fs';
import type { Actor } from '../audit/audit-log.js';
import { AirlockError } from '../errors.js';

/** A name sudo can put in SUDO_USER: a POSIX user name (no spaces, no control characters). */
const USER_NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.@-]{0,254}\$?$/;

/** The person sudo runs this process for, when this process runs as someone else. */
export interface SudoCaller {
  readonly user: string;
  readonly uid: number;
}

/**
 * Whether this process is a deputy: started through sudo as another account than the caller's.
 * sudo sets SUDO_USER and SUDO_UID itself (the caller cannot choose them); a process whose
 * effective uid is the caller's own runs with the caller's rights and is no deputy. Without a
 * SUDO_UID the variables were not set by sudo: the process runs as whoever started it, and the
 * data directory's owner checks (runtime/db/data-dir.ts) and `peerIdentity` still hold.
 */
export function sudoCaller(
  env: NodeJS.ProcessEnv,
  euid: number | null = typeof process.geteuid === 'function' ? process.geteuid() : null,
): SudoCaller | null {
  const user = env['SUDO_USER'];
  const raw = env['SUDO_UID'];
  if (!user || euid === null || raw === undefined || !/^[0-9]{1,10}$/.test(raw)) return null;
  const uid = Number(raw);
  return uid === euid ? null : { user, uid };
}

/**
 * Who is really at the keyboard, for the CLI. Normally the OS user running the process. On a
 * headless server the data directory belongs to a service account and people run
 * `sudo -u airlock airlock ...` (docs/accounts.md): then sudo's SUDO_USER names the person. It is
 * believed only when this process runs as the owner of the data directory, i.e. through sudo or
 * as the service account itself, which can change every file anyway. When it cannot be believed
 * it is an authentication failure (AUTH_FAILED), never a fall-back to the account this process
 * runs as, which may well be the data directory's more privileged owner.
 */
export function peerIdentity(os: Actor, dataDir: string, env: NodeJS.ProcessEnv = process.env): Actor {
  const sudoUser = env['SUDO_USER'];
  if (!sudoUser || sudoUser === os.name || typeof process.geteuid !== 'function') return os;
  const refuse = (why: string) =>
    new AirlockError(
      'AUTH_FAILED',
      `SUDO_USER names "${sanitize(sudoUser)}", but ${why}; Airlock does not believe it, and does not fall back to the account it runs as ("${os.name}"). Run Airlock through sudo as the owner of the data directory (docs/accounts.md).`,
      { details: { sudoUser: sanitize(sudoUser), osUser: os.name } },
    );
  if (!USER_NAME.test(sudoUser)) throw refuse('that is not a user name');
  let owner: number;
  try {
    owner = lstatSync(dataDir).uid;
  } catch {
    throw refuse(`the data directory ${dataDir} cannot be examined`);
  }
  if (owner !== process.geteuid())
    throw refuse(`this process (uid ${process.geteuid()}) does not own the data directory ${dataDir}`);
  return { ...os, name: sudoUser, source: `${os.source} (sudo as ${os.name})` };
}

/** Control characters out of a name that goes into a message. */
function sanitize(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?').slice(0, 64);
}
