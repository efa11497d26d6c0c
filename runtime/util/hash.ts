import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { AirlockError } from '../errors.js';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Streams a regular file through SHA-256; memory stays flat whatever the size. Opened without
 * blocking and checked on the descriptor, so a FIFO or device put in a file's place is refused
 * (INPUT_INVALID) instead of stalling the engine.
 */
export async function sha256File(
  path: string,
  signal?: AbortSignal,
): Promise<{ sha256: string; size: number }> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await fh.stat()).isFile())
      throw new AirlockError('INPUT_INVALID', `${path} is not a regular file; it is not read.`, {
        details: { file: path },
      });
    const hash = createHash('sha256');
    let size = 0;
    const stream = fh.createReadStream({
      highWaterMark: 1 << 20,
      autoClose: false,
      ...(signal ? { signal } : {}),
    });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await fh.close();
  }
}
