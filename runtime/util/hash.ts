import { createHash } from 'node:crypto';
import { openRegularFile } from './read-file.js';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Streams a regular file through SHA-256; memory stays flat whatever the size. Opened through
 * the one checked reader (util/read-file.ts): without blocking and checked on the descriptor, so
 * a FIFO or device put in a file's place is refused (INPUT_INVALID) instead of stalling the
 * engine. Links are not followed unless `followLinks` says so (a path a person named); store
 * blobs and the files of a listed folder never go through a link.
 */
export async function sha256File(
  path: string,
  options: { readonly signal?: AbortSignal; readonly followLinks?: boolean } = {},
): Promise<{ sha256: string; size: number }> {
  const { handle } = await openRegularFile(path, {
    // Hashing reads as a stream and holds nothing: no size limit of its own.
    maxBytes: Number.MAX_SAFE_INTEGER,
    what: 'file',
    followLinks: options.followLinks ?? false,
  });
  try {
    const hash = createHash('sha256');
    let size = 0;
    const stream = handle.createReadStream({
      highWaterMark: 1 << 20,
      autoClose: false,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await handle.close();
  }
}
