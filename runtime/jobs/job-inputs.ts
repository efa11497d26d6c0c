import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AirlockError } from '../errors.js';
import { sha256File } from '../util/hash.js';
import { osDetail, osProblem } from '../util/os-problem.js';

/** The input files of a folder: regular files, not hidden, sorted by name (the job's order). */
export async function listInputs(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    throw new AirlockError(
      'MEDIA_NOT_FOUND',
      `Cannot read the input folder ${dir}: ${osProblem(cause)}. Check the path and that the medium is mounted.`,
      { cause, details: { dir, ...osDetail(cause) } },
    );
  }
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** SHA-256 over the sorted (file name, file SHA-256) list: what the job was run on. */
export function inputsDigest(items: readonly { file: string; sha256: string | null }[]): string {
  const hash = createHash('sha256');
  for (const item of items) hash.update(`${item.file}\u0000${item.sha256 ?? '-'}\n`);
  return hash.digest('hex');
}

/**
 * Every input of a folder with its SHA-256, read once now; a file that cannot be read is still an
 * input (null digest) and gets its own error line. Cancelled: nothing is recorded.
 */
export async function hashInputs(
  dir: string,
  signal: AbortSignal | undefined,
): Promise<{ file: string; sha256: string | null }[]> {
  const items: { file: string; sha256: string | null }[] = [];
  for (const file of await listInputs(dir)) {
    if (signal?.aborted)
      throw new AirlockError(
        'CANCELLED',
        'The batch job was cancelled while its inputs were being read; nothing was recorded.',
      );
    const sha256 = await sha256File(join(dir, file)).then(
      (r) => r.sha256,
      () => null,
    );
    items.push({ file, sha256 });
  }
  return items;
}
