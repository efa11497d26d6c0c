import { Transform, type TransformCallback } from 'node:stream';
import { AirlockError } from '../errors.js';

/**
 * The strict tar framing every bundle must have, checked on the raw bytes before tar-stream sees
 * them: one reading of the archive, the one GNU tar (`tar tvf`, what an auditor lists) and
 * Airlock agree on. tar-stream alone is lenient where GNU tar is not, and the two then list
 * different entries from the same file (test/attack/tar-differential.test.ts):
 *
 * - it reads on past the end-of-archive zero blocks, where GNU tar stops: a file hidden after
 *   them was installed but not listed. Here everything after the first zero block must be zeros;
 * - it parses numeric fields with parseInt (a size "0000000003x" is 3; a high-bit byte that is no
 *   base-256 marker gives an empty entry whose data it then reads as headers). Here every numeric
 *   field is canonical: octal digits (after optional spaces) ended only by NULs or spaces, all
 *   NULs (zero), or base-256 with the 0x80 marker;
 * - it ignores a pax global header ('g') that GNU tar applies to the names of the entries after
 *   it, takes the GNU 'N' type as a long name, and reads malformed pax records part way. Here 'g'
 *   and every type but regular files, the link and special types (refused by the reader with
 *   their own codes), one pax 'x' or GNU 'L' header before an entry are refused; pax records must
 *   be well formed and use only keywords whose meaning both readers share (no GNU.sparse.*, no
 *   linkpath, no hdrcharset);
 * - names must be valid UTF-8 (tar-stream replaced bad bytes with U+FFFD, GNU tar shows them raw).
 *
 * Each entry's name and size as this reading sees them are kept in `entries`, in archive order;
 * the reader checks that tar-stream reports exactly these. After the first link or special entry
 * nothing more is checked (the reader refuses that entry itself, with its own code).
 */
export interface FramedEntry {
  readonly name: string;
  readonly size: number;
  /** The header's type flag as a character ('0', '5', ...; '0' for the NUL flag). */
  readonly type: string;
}

const BLOCK = 512;
const MAX_PAX_BYTES = 64 * 1024;
const MAX_LONG_NAME_BYTES = 4096;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** pax keywords whose meaning GNU tar and tar-stream share (metadata only, or path and size). */
const PAX_KEYS = new Set([
  'path',
  'size',
  'mtime',
  'atime',
  'ctime',
  'uid',
  'gid',
  'uname',
  'gname',
  'comment',
]);
const PAX_KEY_PREFIXES = ['SCHILY.xattr.', 'LIBARCHIVE.xattr.'];
const PAX_EXTRA_KEYS = new Set(['SCHILY.dev', 'SCHILY.ino', 'SCHILY.nlink', 'LIBARCHIVE.creationtime']);

function invalid(message: string, details?: Record<string, unknown>): AirlockError {
  return new AirlockError(
    'TAR_INVALID',
    `${message} Airlock reads a bundle exactly as GNU tar lists it; this archive could be read two ways, so it is refused. Rebuild it with "airlock bundle create".`,
    details ? { details } : {},
  );
}

const isZero = (b: Buffer) => b.every((x) => x === 0);

/** A numeric header field, canonical forms only (see above); null when it is not one. */
export function parseNumericField(field: Buffer): number | null {
  if (isZero(field)) return 0;
  if (field[0]! & 0x80) {
    if (field[0] !== 0x80) return null; // 0xFF (negative) or a stray high bit
    let v = 0;
    for (let i = 1; i < field.length; i++) v = v * 256 + field[i]!;
    return Number.isSafeInteger(v) ? v : null;
  }
  let i = 0;
  while (i < field.length && field[i] === 0x20) i++;
  const start = i;
  while (i < field.length && field[i]! >= 0x30 && field[i]! <= 0x37) i++;
  if (i === start) return null;
  const digits = field.subarray(start, i).toString('latin1');
  for (; i < field.length; i++) if (field[i] !== 0 && field[i] !== 0x20) return null;
  const v = parseInt(digits, 8);
  return Number.isSafeInteger(v) ? v : null;
}

function cString(buf: Buffer, offset: number, length: number): Buffer {
  const field = buf.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return end === -1 ? field : field.subarray(0, end);
}

function decodeName(bytes: Buffer, where: string): string {
  try {
    return utf8.decode(bytes);
  } catch (cause) {
    throw new AirlockError(
      'TAR_UNSAFE_PATH',
      `The bundle has an entry name that is not valid UTF-8 (${where}); it would be shown differently by each tool. The bundle is refused.`,
      { cause },
    );
  }
}

const NUMERIC_FIELDS: readonly [name: string, offset: number, length: number][] = [
  ['mode', 100, 8],
  ['uid', 108, 8],
  ['gid', 116, 8],
  ['size', 124, 12],
  ['mtime', 136, 12],
  ['devmajor', 329, 8],
  ['devminor', 337, 8],
];

interface Extension {
  readonly kind: 'x' | 'L';
  readonly path?: string;
  readonly size?: number;
}

/** Parses pax records "LEN KEY=VALUE\n", strictly, into path and size. */
function parsePax(data: Buffer): Extension {
  const seen = new Set<string>();
  let path: string | undefined;
  let size: number | undefined;
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const lenText = space === -1 ? '' : data.subarray(at, space).toString('latin1');
    if (!/^[1-9][0-9]{0,5}$/.test(lenText))
      throw invalid('A pax extended header has a malformed record length.');
    const end = at + Number(lenText);
    if (end > data.length || data[end - 1] !== 0x0a)
      throw invalid('A pax extended header record does not end where its length says.');
    let record: string;
    try {
      record = utf8.decode(data.subarray(space + 1, end - 1));
    } catch (cause) {
      throw invalid('A pax extended header record is not valid UTF-8.', { cause: String(cause) });
    }
    const eq = record.indexOf('=');
    if (eq <= 0) throw invalid('A pax extended header record has no keyword.');
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (seen.has(key)) throw invalid(`A pax extended header sets "${key}" twice.`);
    seen.add(key);
    const known =
      PAX_KEYS.has(key) || PAX_EXTRA_KEYS.has(key) || PAX_KEY_PREFIXES.some((p) => key.startsWith(p));
    if (!known)
      throw invalid(
        `A pax extended header uses the keyword "${key.replace(/[^\x20-\x7e]/g, '?').slice(0, 60)}", whose meaning tar readers do not share.`,
        { keyword: key.slice(0, 60) },
      );
    if (key === 'path') {
      if (value.length === 0) throw invalid('A pax extended header sets an empty path.');
      path = value;
    } else if (key === 'size') {
      if (!/^(0|[1-9][0-9]{0,15})$/.test(value) || !Number.isSafeInteger(Number(value)))
        throw invalid('A pax extended header sets a size that is not a whole number.');
      size = Number(value);
    } else if (
      (key === 'mtime' || key === 'atime' || key === 'ctime') &&
      !/^-?[0-9]{1,20}(\.[0-9]{1,20})?$/.test(value)
    )
      throw invalid(`A pax extended header sets ${key} to something that is not a time.`);
    else if ((key === 'uid' || key === 'gid') && !/^[0-9]{1,20}$/.test(value))
      throw invalid(`A pax extended header sets ${key} to something that is not a number.`);
    at = end;
  }
  return { kind: 'x', ...(path === undefined ? {} : { path }), ...(size === undefined ? {} : { size }) };
}

function parseLongName(data: Buffer): Extension {
  const end = data.indexOf(0);
  const name = end === -1 ? data : data.subarray(0, end);
  if (name.length === 0 || (end !== -1 && !isZero(data.subarray(end))))
    throw invalid('A GNU long-name header does not hold one name.');
  return { kind: 'L', path: decodeName(name, 'GNU long name') };
}

export class TarFraming extends Transform {
  readonly entries: FramedEntry[] = [];
  private header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Bytes of the current entry's data (and padding) still to pass. */
  private skip = 0;
  /** Collecting an extension header's data. */
  private ext: { kind: 'x' | 'L'; data: Buffer; fill: number; padding: number } | null = null;
  private pending: Extension | null = null;
  private state: 'headers' | 'end' | 'unchecked' = 'headers';
  private offset = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.check(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    // A cut-short archive is tar-stream's to report (TAR_TRUNCATED); a dangling extension is ours.
    if (this.state === 'headers' && this.pending && this.headerFill === 0 && this.skip === 0 && !this.ext)
      callback(invalid('The archive ends after an extended header, without the entry it describes.'));
    else callback();
  }

  private check(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.state === 'unchecked') return;
      if (this.state === 'end') {
        for (; at < chunk.length; at++, this.offset++)
          if (chunk[at] !== 0)
            throw invalid(
              `The archive holds data after its end-of-archive marker (at byte ${this.offset}).`,
              {
                offset: this.offset,
              },
            );
        return;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        this.offset += n;
        continue;
      }
      if (this.ext) {
        const ext = this.ext;
        const n = Math.min(ext.data.length - ext.fill, chunk.length - at);
        chunk.copy(ext.data, ext.fill, at, at + n);
        ext.fill += n;
        at += n;
        this.offset += n;
        if (ext.fill === ext.data.length) {
          this.pending = ext.kind === 'x' ? parsePax(ext.data) : parseLongName(ext.data);
          this.ext = null;
          this.skip = ext.padding;
        }
        continue;
      }
      const n = Math.min(BLOCK - this.headerFill, chunk.length - at);
      chunk.copy(this.header, this.headerFill, at, at + n);
      this.headerFill += n;
      at += n;
      this.offset += n;
      if (this.headerFill === BLOCK) {
        this.headerFill = 0;
        this.onHeader(this.header, this.offset - BLOCK);
      }
    }
  }

  private onHeader(h: Buffer, offset: number): void {
    if (isZero(h)) {
      if (this.pending)
        throw invalid('An extended header is followed by the end of the archive, not by an entry.');
      this.state = 'end';
      return;
    }
    const where = { offset };
    const stored = parseNumericField(h.subarray(148, 156));
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (stored === null || stored !== sum)
      throw new AirlockError(
        'TAR_INVALID',
        `This file is not a valid uncompressed tar archive (bad header checksum at byte ${offset}). An Airlock bundle is a plain tar file ending in .airlock; check you picked the right file.`,
        { details: where },
      );
    const magic = h.subarray(257, 265).toString('latin1');
    const ustar = magic === 'ustar\u000000';
    if (!ustar && magic !== 'ustar  \u0000')
      throw invalid(`The header at byte ${offset} is neither POSIX ustar/pax nor GNU tar.`, where);
    const fields: Record<string, number> = {};
    for (const [name, off, len] of NUMERIC_FIELDS) {
      const v = parseNumericField(h.subarray(off, off + len));
      if (v === null)
        throw invalid(
          `The header at byte ${offset} holds something other than a number in its ${name} field.`,
          {
            ...where,
            field: name,
          },
        );
      fields[name] = v;
    }
    const flag = h[156] === 0 ? '0' : String.fromCharCode(h[156]!);
    const size = fields['size']!;
    if (flag === 'x' || flag === 'L') {
      if (this.pending) throw invalid(`Two extended headers precede one entry (at byte ${offset}).`, where);
      const max = flag === 'x' ? MAX_PAX_BYTES : MAX_LONG_NAME_BYTES;
      if (size > max)
        throw invalid(`An extended header at byte ${offset} is larger than ${max} bytes.`, where);
      this.ext = { kind: flag, data: Buffer.alloc(size), fill: 0, padding: (BLOCK - (size % BLOCK)) % BLOCK };
      if (size === 0) {
        this.pending = flag === 'x' ? parsePax(this.ext.data) : parseLongName(this.ext.data);
        this.ext = null;
      }
      return;
    }
    if (flag === 'g')
      throw new AirlockError(
        'TAR_SPECIAL_ENTRY',
        `The bundle contains a pax global header (at byte ${offset}); GNU tar applies it to the names of the entries after it, tar-stream does not. Airlock bundles hold regular files only; it is refused.`,
        { details: { ...where, type: 'pax-global-header' } },
      );
    if (flag === 'K')
      throw new AirlockError(
        'TAR_LINK_ENTRY',
        `The bundle contains a GNU long link-name header (at byte ${offset}). Airlock bundles hold regular files only, no links; it is refused.`,
        { details: where },
      );
    if (!/^[0-7]$/.test(flag))
      throw new AirlockError(
        'TAR_SPECIAL_ENTRY',
        `The bundle contains an entry of tar type "${flag.replace(/[^\x21-\x7e]/g, '?')}" (at byte ${offset}), which tar readers do not agree on. Airlock bundles hold regular files only; it is refused.`,
        { details: { ...where, type: flag.charCodeAt(0) } },
      );
    let name: string;
    if (this.pending?.path !== undefined) name = this.pending.path;
    else {
      const base = decodeName(cString(h, 0, 100), `header at byte ${offset}`);
      name =
        ustar && h[345] !== 0
          ? `${decodeName(cString(h, 345, 155), `header at byte ${offset}`)}/${base}`
          : base;
    }
    const entrySize = this.pending?.size ?? size;
    this.pending = null;
    this.entries.push({ name, size: entrySize, type: flag });
    if (flag !== '0' && flag !== '7') {
      // A link, device, folder or FIFO: the reader refuses it with its own code; tar readers
      // differ on whether such an entry has data, so nothing after it is framed.
      this.state = 'unchecked';
      return;
    }
    this.skip = Math.ceil(entrySize / BLOCK) * BLOCK;
  }
}
