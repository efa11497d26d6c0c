import { constants, type ReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { ErrorCode } from '../contract/errors.js';
import { AirlockError } from '../errors.js';
import { osDetail, osProblem } from './os-problem.js';

/**
 * The one way Airlock reads a file it did not write itself (bundles, signed policies and
 * revocation lists, keys, cards, input files, documents found on a medium): open once, without
 * blocking, check what was opened on the descriptor, then read from that descriptor only.
 *
 * - `O_NONBLOCK`: opening a FIFO or a device never stalls the engine (a FIFO opens at once and
 *   is then refused as not a regular file).
 * - `fstat` on the open descriptor, never `stat` on the path: a file swapped for a link, a FIFO or
 *   a device between a check and the read changes nothing, because the check is of what is read.
 * - Regular files only; a size over `maxBytes` is refused before a byte is read, and no more than
 *   `maxBytes + 1` bytes are ever read (a file that grows while it is read is refused too).
 * - Links: `followLinks: false` adds `O_NOFOLLOW`, so a symbolic link in the last component is
 *   refused. Each caller decides and says why beside the call. The rule: a path a person named
 *   (a picker, a command-line argument) may go through a link on their own medium, because the
 *   person chose it and the descriptor check still applies to what it points at; a file Airlock
 *   found by listing a folder (bundles and documents on a medium, the inputs of a batch job) or a
 *   file in the data directory never follows a link.
 */
export interface ReadFileOptions {
  /** Most bytes accepted. */
  readonly maxBytes: number;
  /** What the file is, for messages: "input file", "trust policy", "public key". */
  readonly what: string;
  /** Whether a symbolic link as the last component is followed (see above). */
  readonly followLinks: boolean;
  /** Code when the file cannot be opened. Default NOT_FOUND. */
  readonly missingCode?: ErrorCode;
  /** Code when it is not a regular file (or a link that is not followed). Default INPUT_INVALID. */
  readonly invalidCode?: ErrorCode;
  /** Code when it is over `maxBytes`. Default: `invalidCode`. */
  readonly tooLargeCode?: ErrorCode;
}

export interface OpenedFile {
  readonly handle: FileHandle;
  /** The size fstat gave for the open descriptor. */
  readonly size: number;
}

function openFlags(followLinks: boolean): number {
  return constants.O_RDONLY | constants.O_NONBLOCK | (followLinks ? 0 : constants.O_NOFOLLOW);
}

/** Opens `path` as described above and checks it; the caller closes the handle. */
export async function openRegularFile(path: string, options: ReadFileOptions): Promise<OpenedFile> {
  const invalid = options.invalidCode ?? 'INPUT_INVALID';
  let handle: FileHandle;
  try {
    handle = await open(path, openFlags(options.followLinks));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    // O_NOFOLLOW on a link fails with ELOOP (EMLINK on some BSDs): a refusal, not a missing file.
    if (!options.followLinks && (code === 'ELOOP' || code === 'EMLINK'))
      throw new AirlockError(
        invalid,
        `The ${options.what} ${path} is a symbolic link; Airlock does not follow links here. Give the file itself.`,
        { cause, details: { file: path } },
      );
    throw new AirlockError(
      options.missingCode ?? 'NOT_FOUND',
      `Cannot read the ${options.what} ${path}: ${osProblem(cause)}. Check the path and that the medium is mounted.`,
      { cause, details: { file: path, ...osDetail(cause) } },
    );
  }
  try {
    const info = await handle.stat();
    if (!info.isFile())
      throw new AirlockError(
        invalid,
        `The ${options.what} ${path} is not a regular file (it is a folder, device, FIFO or socket); it was not read.`,
        { details: { file: path } },
      );
    if (info.size > options.maxBytes) throw tooLarge(path, options, info.size);
    return { handle, size: info.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function tooLarge(path: string, options: ReadFileOptions, size: number | null): AirlockError {
  const what =
    size === null
      ? `grew past the ${options.maxBytes}-byte limit for a ${options.what} while it was read`
      : `is ${size} bytes, over the ${options.maxBytes}-byte limit for a ${options.what}`;
  return new AirlockError(
    options.tooLargeCode ?? options.invalidCode ?? 'INPUT_INVALID',
    `The ${options.what} ${path} ${what}; it was refused${size === null ? '' : ' unread'}.`,
    { details: { file: path, ...(size === null ? {} : { size }), limit: options.maxBytes } },
  );
}

/** The whole of a regular file (at most `maxBytes`), read from one checked descriptor. */
export async function readRegularFile(path: string, options: ReadFileOptions): Promise<Buffer> {
  const { handle, size } = await openRegularFile(path, options);
  try {
    // The size fstat gave, plus one byte: that byte, if it comes, means the file grew; then read
    // on in chunks, never more than one byte past the limit.
    const chunks: Buffer[] = [];
    let total = 0;
    let want = size + 1;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(want, options.maxBytes + 1 - total));
      let at = 0;
      while (at < chunk.length) {
        const { bytesRead } = await handle.read(chunk, at, chunk.length - at, total + at);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
      chunks.push(at === chunk.length ? chunk : chunk.subarray(0, at));
      total += at;
      if (total > options.maxBytes) throw tooLarge(path, options, null);
      if (at < chunk.length) break; // end of file
      want = 1 << 16;
    }
    if (total < size)
      throw new AirlockError(
        'MEDIA_READ_FAILED',
        `The ${options.what} ${path} became shorter while it was read (${total} of ${size} bytes); it was not used. Check the medium and try again.`,
        { details: { file: path } },
      );
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/** A regular file as text (UTF-8). */
export async function readRegularText(path: string, options: ReadFileOptions): Promise<string> {
  return (await readRegularFile(path, options)).toString('utf8');
}

/**
 * A stream over a regular file from its one checked descriptor (closed when the stream ends or is
 * destroyed), never yielding more than `maxBytes + 1` bytes: the consumer (the bundle reader)
 * enforces its own limit on what it gets, and a file that grows past the limit stops there.
 */
export async function openRegularFileStream(
  path: string,
  options: ReadFileOptions & { readonly highWaterMark?: number },
): Promise<{ stream: ReadStream; size: number }> {
  const { handle, size } = await openRegularFile(path, options);
  const stream = handle.createReadStream({
    start: 0,
    end: options.maxBytes, // inclusive: at most maxBytes + 1 bytes
    autoClose: true,
    ...(options.highWaterMark ? { highWaterMark: options.highWaterMark } : {}),
  });
  return { stream, size };
}
