import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import * as tar from 'tar-stream';
import type { BundleFile, BundleSignature } from '../contract/bundle.js';
import { escapeUnsafe } from '../contract/text.js';
import { AirlockError, CancelledError } from '../errors.js';
import { envelopeSchema, type Envelope } from '../crypto/dsse.js';
import { z } from 'zod';
import { checkEntryName } from './path-rules.js';
import { DEFAULT_LIMITS, ENVELOPE_NAME, type BundleLimits } from './limits.js';
import { decodeStatement, type Statement } from './statement.js';
import { openRegularFileStream } from '../util/read-file.js';
import { TarFraming } from './tar-framing.js';
import { osDetail, osProblem } from '../util/os-problem.js';

export interface ReadBundleOptions {
  /**
   * The first look of admission (runtime/admission): called once, after the envelope is read and
   * before any payload byte is consumed; it throws to refuse the bundle there, and says which
   * signatures counted. Absent: inspect only, no trust check.
   */
  readonly admit?:
    | ((
        envelope: Envelope,
        statement: Statement,
      ) => { readonly signatures: readonly BundleSignature[]; readonly signers: readonly string[] })
    | undefined;
  /** Where each payload file's bytes go while they are hashed (a staging file), if anywhere. */
  readonly sink?: (file: { path: string; size: number }) => Writable | Promise<Writable>;
  readonly limits?: BundleLimits | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Called as bytes of the bundle are consumed. */
  readonly onBytes?: (bytes: number) => void;
  /** For inspect: do not fail on payload mismatches, only report. */
  readonly skipPayload?: boolean;
}

export interface ReadBundleResult {
  readonly envelope: Envelope;
  readonly statement: Statement;
  readonly files: BundleFile[];
  readonly signatures: readonly BundleSignature[];
  /** Names of trusted keys whose valid signatures counted (empty without `admit`). */
  readonly signers: readonly string[];
  readonly sha256: string;
  readonly size: number;
  /** Every entry (envelope included) with its size, in archive order: what `tar tvf` lists. */
  readonly entries: readonly { readonly name: string; readonly size: number }[];
}

/**
 * The most bytes a bundle file may hold: the raw stream is bounded too, not only the entries it
 * declares, so a file of endless padding or zero blocks after a valid archive stops at the bundle
 * limit plus per-entry tar overhead. (The envelope counts in maxTotalBytes like every entry; 4 KiB
 * per entry covers headers and padding.)
 */
export function maxBundleFileBytes(limits: BundleLimits): number {
  return limits.maxTotalBytes + (limits.maxEntries + 2) * 4096;
}

/**
 * Opens a bundle file through the one checked reader (util/read-file.ts): a regular file only
 * (TAR_INVALID otherwise: a FIFO, device or folder is no bundle), a size over the bundle limit
 * refused before a byte is read (TAR_LIMIT_EXCEEDED), then streamed from that same descriptor.
 * `followLinks`: true for a path a person named; false for a bundle found by listing a medium.
 */
export async function openBundleFile(
  path: string,
  options: {
    readonly limits?: BundleLimits | undefined;
    readonly followLinks: boolean;
    readonly highWaterMark?: number;
  },
): Promise<{ stream: Readable; size: number }> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  return openRegularFileStream(path, {
    maxBytes: maxBundleFileBytes(limits),
    what: 'bundle',
    followLinks: options.followLinks,
    missingCode: 'NOT_FOUND',
    invalidCode: 'TAR_INVALID',
    tooLargeCode: 'TAR_LIMIT_EXCEEDED',
    ...(options.highWaterMark ? { highWaterMark: options.highWaterMark } : {}),
  });
}

function tarError(error: Error): AirlockError {
  if (error instanceof AirlockError) return error;
  if (/Unexpected end of data/.test(error.message)) {
    return new AirlockError(
      'TAR_TRUNCATED',
      "The bundle ends in the middle of a file: it is truncated (an interrupted copy or a worn-out stick). Copy it again from the publisher's original.",
      { cause: error },
    );
  }
  if (/tar header|Invalid header|Header exceeds/i.test(error.message)) {
    return new AirlockError(
      'TAR_INVALID',
      'This file is not a valid uncompressed tar archive: a tar header is damaged or it is another kind of file. An Airlock bundle is a plain tar file ending in .airlock; check you picked the right file.',
      { cause: error, details: { parser: error.message } },
    );
  }
  return new AirlockError(
    'MEDIA_READ_FAILED',
    `Reading the bundle failed: ${osProblem(error)}. Check the medium is still inserted and readable, then try again; nothing was installed.`,
    { cause: error, details: osDetail(error) },
  );
}

async function readAll(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max)
      throw new AirlockError(
        'TAR_LIMIT_EXCEEDED',
        `envelope.json is larger than ${max} bytes; the bundle is refused.`,
      );
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a bundle in one streaming pass, in the verification order of docs/bundle-format.md:
 * tar safety on every header, then the envelope's signatures (before any payload byte is used),
 * then each payload file's size and digest while its bytes flow to the sink. The whole-file
 * SHA-256 is computed on the same pass. Throws an AirlockError with the failing check's code.
 */
export async function readBundle(source: Readable, options: ReadBundleOptions): Promise<ReadBundleResult> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const extract = tar.extract();
  const whole = createHash('sha256');
  let size = 0;
  const maxRawBytes = maxBundleFileBytes(limits);
  source.on('data', (chunk: Buffer) => {
    whole.update(chunk);
    size += chunk.length;
    options.onBytes?.(size);
    if (size > maxRawBytes) {
      source.destroy(
        new AirlockError(
          'TAR_LIMIT_EXCEEDED',
          `The bundle file is larger than this facility's bundle limit (${limits.maxTotalBytes} bytes of payload); reading stopped there and it is refused.`,
          { details: { limit: limits.maxTotalBytes } },
        ),
      );
    }
  });
  // The raw bytes pass the strict framing check (tar-framing.ts) before tar-stream sees them, so
  // the archive is read the one way GNU tar lists it.
  const framing = new TarFraming();
  source.on('error', (error) => extract.destroy(error));
  framing.on('error', (error) => extract.destroy(error));
  const onAbort = () => source.destroy(new CancelledError('Reading the bundle'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  source.pipe(framing).pipe(extract);

  let envelope: Envelope | null = null;
  let statement: Statement | null = null;
  let sigs: { readonly signatures: readonly BundleSignature[]; readonly signers: readonly string[] } = {
    signatures: [],
    signers: [],
  };
  const expected = new Map<string, { sha256: string; size: number }>();
  const seen = new Set<string>();
  const files: BundleFile[] = [];
  let entries = 0;
  let total = 0;
  const order: { name: string; size: number }[] = [];

  try {
    for await (const entry of extract) {
      const header = entry.header;
      entries += 1;
      // The entry tar-stream reports must be the one the strict framing read at this place.
      const framed = framing.entries[entries - 1];
      if (!framed || framed.name !== header.name || framed.size !== (header.size ?? 0)) {
        throw new AirlockError(
          'TAR_INVALID',
          `The bundle's tar headers read two ways (entry ${entries}: "${escapeUnsafe(header.name)}"); it is refused. Rebuild it with "airlock bundle create".`,
          { details: { entry: entries } },
        );
      }
      order.push({ name: header.name, size: header.size ?? 0 });
      // Step 1: tar safety, on every header before its data is read.
      if (entries > limits.maxEntries) {
        throw new AirlockError(
          'TAR_LIMIT_EXCEEDED',
          `The bundle has more than ${limits.maxEntries} entries; it is refused.`,
        );
      }
      if (header.type === 'symlink' || header.type === 'link') {
        throw new AirlockError(
          'TAR_LINK_ENTRY',
          `The bundle contains a ${header.type === 'link' ? 'hard link' : 'symbolic link'} "${escapeUnsafe(header.name)}" → "${escapeUnsafe(header.linkname ?? '')}". Links can point outside the store; Airlock bundles hold regular files only. Do not import it.`,
          { details: { entry: escapeUnsafe(header.name) } },
        );
      }
      if (header.type !== 'file' && header.type !== 'contiguous-file') {
        throw new AirlockError(
          'TAR_SPECIAL_ENTRY',
          `The bundle contains a ${header.type ?? 'special'} entry "${escapeUnsafe(header.name)}". Airlock bundles hold regular files only; it is refused.`,
          { details: { entry: escapeUnsafe(header.name), type: header.type } },
        );
      }
      checkEntryName(header.name, limits);
      const folded = header.name.toLowerCase();
      if (seen.has(folded)) {
        throw new AirlockError(
          'TAR_DUPLICATE_ENTRY',
          `The bundle contains "${header.name}" more than once; a second copy could replace a verified file. It is refused.`,
          { details: { entry: header.name } },
        );
      }
      seen.add(folded);
      const entrySize = header.size ?? 0;
      total += entrySize;
      if (entrySize > limits.maxFileBytes || total > limits.maxTotalBytes) {
        throw new AirlockError(
          'TAR_LIMIT_EXCEEDED',
          `"${header.name}" claims ${entrySize} bytes, over this facility's limit (${limits.maxFileBytes} per file, ${limits.maxTotalBytes} per bundle). It is refused.`,
          { details: { entry: header.name, size: entrySize } },
        );
      }

      if (envelope === null) {
        // Step 2: the envelope comes first; its signatures are checked before any payload is used.
        if (header.name !== ENVELOPE_NAME) {
          throw new AirlockError(
            'ENVELOPE_MISSING',
            `The bundle's first entry is "${header.name}", not ${ENVELOPE_NAME}. It is not an Airlock bundle, or it was repacked; ask the publisher for the original.`,
          );
        }
        const bytes = await readAll(entry as unknown as Readable, limits.maxEnvelopeBytes);
        let json: unknown;
        try {
          json = JSON.parse(bytes.toString('utf8'));
        } catch (cause) {
          throw new AirlockError(
            'ENVELOPE_INVALID',
            `${ENVELOPE_NAME} is not JSON. The bundle is damaged; ask the publisher for a new copy.`,
            { cause },
          );
        }
        const parsed = envelopeSchema.safeParse(json);
        if (!parsed.success) {
          throw new AirlockError(
            'ENVELOPE_INVALID',
            `${ENVELOPE_NAME} is not a DSSE envelope: ${z.prettifyError(parsed.error)}.`,
            { cause: parsed.error },
          );
        }
        envelope = parsed.data;
        statement = decodeStatement(envelope);
        if (options.admit) sigs = options.admit(envelope, statement);
        for (const s of statement.subject) {
          checkEntryName(s.name, limits);
          if (s.name === ENVELOPE_NAME)
            throw new AirlockError(
              'ENVELOPE_INVALID',
              `The statement lists ${ENVELOPE_NAME} as a payload file.`,
            );
          expected.set(s.name, { sha256: s.digest.sha256, size: s.annotations.size });
        }
        continue;
      }

      // Step 3: each payload file must be declared, of the declared size, with the declared digest.
      const want = expected.get(header.name);
      if (!want) {
        if (options.skipPayload) {
          entry.resume();
          continue;
        }
        throw new AirlockError(
          'FILE_EXTRA',
          `The bundle contains "${header.name}", which its signed statement does not list. Files were added after signing; it is refused.`,
          { details: { entry: header.name } },
        );
      }
      if (entrySize !== want.size && !options.skipPayload) {
        throw new AirlockError(
          'SIZE_MISMATCH',
          `"${header.name}" is ${entrySize} bytes but the signed statement says ${want.size}. The file was changed or swapped; the bundle is refused and nothing beyond the declared size was read.`,
          { details: { entry: header.name, declared: want.size, actual: entrySize } },
        );
      }
      if (options.skipPayload) {
        entry.resume();
        files.push({ path: header.name, size: entrySize, sha256: want.sha256 });
        continue;
      }
      const hash = createHash('sha256');
      const sink = options.sink ? await options.sink({ path: header.name, size: entrySize }) : null;
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        hash.update(chunk);
        if (sink && !sink.write(chunk)) await new Promise<void>((resolve) => sink.once('drain', resolve));
      }
      if (sink)
        await new Promise<void>((resolve, reject) =>
          sink.end((error?: Error | null) => (error ? reject(error) : resolve())),
        );
      const digest = hash.digest('hex');
      if (digest !== want.sha256) {
        throw new AirlockError(
          'DIGEST_MISMATCH',
          `"${header.name}" does not match its signed digest (expected ${want.sha256.slice(0, 16)}…, got ${digest.slice(0, 16)}…). The file was altered or taken from another bundle; the bundle is refused.`,
          { details: { entry: header.name, expected: want.sha256, actual: digest } },
        );
      }
      files.push({ path: header.name, size: entrySize, sha256: digest });
    }
  } catch (error) {
    extract.destroy();
    framing.destroy();
    source.destroy();
    if (options.signal?.aborted) throw new CancelledError('Reading the bundle', { cause: error });
    throw tarError(error as Error);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (options.signal?.aborted) throw new CancelledError('Reading the bundle');

  if (envelope === null || statement === null) {
    throw new AirlockError(
      size === 0 ? 'TAR_INVALID' : 'ENVELOPE_MISSING',
      size === 0
        ? 'The bundle file is empty. Copy it again from the original.'
        : `The bundle has no ${ENVELOPE_NAME}; it is not an Airlock bundle.`,
    );
  }
  if (!options.skipPayload) {
    const present = new Set(files.map((f) => f.path));
    const missing = [...expected.keys()].filter((name) => !present.has(name));
    if (missing.length > 0) {
      throw new AirlockError(
        'FILE_MISSING',
        `The bundle lacks ${missing.map((m) => `"${m}"`).join(', ')}, which its signed statement lists. It is incomplete; copy it again from the original.`,
        { details: { missing } },
      );
    }
  }
  files.sort((a, b) => a.path.localeCompare(b.path));
  return {
    envelope,
    statement,
    files,
    signatures: sigs.signatures,
    signers: sigs.signers,
    sha256: whole.digest('hex'),
    size,
    entries: order,
  };
}
