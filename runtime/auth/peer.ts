import { statSync } from 'node:fs';
import type { Actor } from '../audit/audit-log.js';

/**
 * Who is really at the keyboard, for the CLI. Normally the OS user running the process. On a
 * headless server the data directory belongs to a service account and people run
 * `sudo -u airlock airlock ...` (docs/accounts.md): then sudo's SUDO_USER names the person. It is
 * believed only when this process runs as the owner of the data directory, i.e. through sudo or
 * as the service account itself, which can change every file anyway; anyone else setting
 * SUDO_USER is ignored and identified as themselves.
 */
export function peerIdentity(os: Actor, dataDir: string, env: NodeJS.ProcessEnv = process.env): Actor {
  const sudoUser = env['SUDO_USER'];
  if (!sudoUser || sudoUser === os.name || typeof process.getuid !== 'function') return os;
  let owner: number;
  try {
    owner = statSync(dataDir).uid;
  } catch {
    return os;
  }
  if (owner !== process.getuid()) return os;
  return { ...os, name: sudoUser, source: `${os.source} (sudo as ${os.name})` };
}
