import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/**
 * A name beside `target` for writing it whole before a rename: hidden, random and unguessable.
 * The folder is often one other accounts can write (a USB stick, a shared drop folder), so a name
 * built from the pid could be planted in advance as a link to a victim file; callers open it with
 * O_CREAT|O_EXCL ('wx'), which refuses any existing entry, links included.
 */
export function tempNameBeside(target: string, tag = 'tmp'): string {
  return join(dirname(target), `.${basename(target)}.${tag}-${randomBytes(8).toString('hex')}`);
}
