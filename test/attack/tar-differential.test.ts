/**
 * Issue 10: a differential test of the tar reader against GNU tar. Every archive Airlock accepts
 * must list the same entries (names and sizes, in order) with `tar tvf`, which is what an auditor
 * runs on a bundle. Archives are built here from a real signed bundle, by hand (block by block)
 * and by GNU tar itself, and by random mutation; each is read by Airlock's reader with admission
 * from a real data directory (runtime/bundle/reader.ts readBundle, as import reads it) and listed
 * by GNU tar. An archive GNU tar would read differently from tar-stream (entries after the
 * end-of-archive blocks, junk in a size field, a pax global path, the GNU 'N' type, sparse pax
 * keywords...) is refused with its code, and nothing changes on disk or in the database.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBundleFile, readBundle } from '../../runtime/bundle/reader.js';
import { createBundle, signBundle } from '../../runtime/bundle/writer.js';
import type { ErrorCode } from '../../runtime/contract/errors.js';
import { toErrorInfo } from '../../runtime/errors.js';
import {
  auditRows,
  ctx,
  environment,
  model,
  readTar,
  snapshot,
  type Env,
  type TarEntry,
} from '../core/helpers.js';

const gnu = spawnSync('tar', ['--version'], { encoding: 'utf8' });
const GNU_TAR = gnu.status === 0 && /GNU tar/.test(gnu.stdout);
if (!GNU_TAR)
  console.warn(
    'tar-differential: SKIPPED, GNU tar is not on PATH ("tar --version" does not say GNU tar); the differential needs it.',
  );

let env: Env;
let entries: TarEntry[];
let original: Buffer;
let longNamed: string;
const LONG = `samples/${'d'.repeat(60)}/${'n'.repeat(80)}.txt`;

beforeAll(async () => {
  if (!GNU_TAR) return;
  env = await environment();
  const labels = join(env.root, 'labels.txt');
  await writeFile(labels, 'cat\ndog\nbird\n');
  const sample = join(env.root, 'sample.txt');
  await writeFile(sample, 'a sample under a long name\n');
  const file = join(env.root, 'classifier-1.0.0.airlock');
  await createBundle({
    model: model('classifier.onnx'),
    name: 'classifier',
    version: '1.0.0',
    out: file,
    labels,
    publisher: 'ACME Models',
  });
  await signBundle(file, env.pub.privateKeyPem);
  original = await readFile(file);
  entries = await readTar(file);
  longNamed = join(env.root, 'long-1.0.0.airlock');
  await createBundle({
    model: model('classifier.onnx'),
    name: 'long',
    version: '1.0.0',
    out: longNamed,
    extraFiles: { [LONG]: sample },
  });
  await signBundle(longNamed, env.pub.privateKeyPem);
});
afterAll(async () => env?.close());

// ---- Airlock's reading and GNU tar's listing ----------------------------------------------------

type Listing = { name: string; size: number }[];

async function airlockReads(
  file: string,
): Promise<{ ok: true; entries: Listing } | { ok: false; code: string }> {
  try {
    const { stream } = await openBundleFile(file, { limits: env.airlock.limits, followLinks: true });
    const read = await readBundle(stream, {
      admit: (e, s) => env.airlock.admission.atEnvelope(e, s),
      limits: env.airlock.limits,
    });
    return { ok: true, entries: read.entries.map((e) => ({ name: e.name, size: e.size })) };
  } catch (error) {
    return { ok: false, code: toErrorInfo(error).code };
  }
}

function gnuLists(file: string): { status: number | null; stderr: string; entries: Listing } {
  const r = spawnSync('tar', ['--quoting-style=literal', '--numeric-owner', '-tvf', file], {
    env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' },
  });
  const listing: Listing = [];
  // Names as GNU tar prints them, byte for byte: a line that is not UTF-8 is marked, not repaired.
  const lines = r.stdout
    .toString('latin1')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(l, 'latin1'));
      } catch {
        return `${l.slice(0, l.lastIndexOf(' ') + 1)}NOT-UTF-8 ${l.slice(l.lastIndexOf(' ') + 1)}`;
      }
    });
  for (const line of lines) {
    // -rw-r--r-- 0/0            26 1970-01-01 00:00 name with spaces
    const m = /^\S+ \S+\s+(\d+) \S+ \S+ (.*)$/.exec(line);
    listing.push(m ? { name: m[2]!, size: Number(m[1]) } : { name: `UNPARSED ${line}`, size: -1 });
  }
  return { status: r.status, stderr: r.stderr.toString('utf8'), entries: listing };
}

/** What tar-stream alone (no framing check) reads: what Airlock read before this issue. */
async function tarStreamReads(bytes: Buffer): Promise<Listing | null> {
  const extract = tar.extract();
  Readable.from([bytes]).pipe(extract);
  const out: Listing = [];
  try {
    for await (const entry of extract) {
      out.push({ name: entry.header.name, size: entry.header.size ?? 0 });
      entry.resume();
    }
    return out;
  } catch {
    return null;
  }
}

/** The differential itself: accepted by Airlock → GNU tar lists exactly the same, without a word. */
async function differential(file: string): Promise<{ ok: true } | { ok: false; code: string }> {
  const ours = await airlockReads(file);
  if (!ours.ok) return ours;
  const theirs = gnuLists(file);
  expect(theirs.stderr, `GNU tar on ${file}`).toBe('');
  expect(theirs.status, `GNU tar on ${file}`).toBe(0);
  expect(ours.entries, `Airlock and GNU tar on ${file}`).toEqual(theirs.entries);
  return { ok: true };
}

// ---- Building archives block by block -----------------------------------------------------------

const oct = (n: number, width: number) => n.toString(8).padStart(width - 1, '0') + '\0';

interface Header {
  name: string;
  size?: number;
  type?: string;
  magic?: string;
  /** Raw bytes for a numeric field, by offset (124 size, 136 mtime, ...). */
  raw?: Record<number, Buffer | string>;
  /** Corrupt the checksum. */
  badChecksum?: boolean;
  nameBytes?: Buffer;
}

function header(h: Header): Buffer {
  const b = Buffer.alloc(512);
  (h.nameBytes ?? Buffer.from(h.name, 'utf8')).copy(b, 0);
  b.write(oct(0o644, 8), 100);
  b.write(oct(0, 8), 108);
  b.write(oct(0, 8), 116);
  b.write(oct(h.size ?? 0, 12), 124);
  b.write(oct(0, 12), 136);
  b.write(h.type ?? '0', 156, 'latin1');
  b.write(h.magic ?? 'ustar\u000000', 257, 'latin1');
  b.write(oct(0, 8), 329);
  b.write(oct(0, 8), 337);
  for (const [off, raw] of Object.entries(h.raw ?? {})) {
    const bytes = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
    b.fill(0, Number(off), Number(off) + (Number(off) === 124 || Number(off) === 136 ? 12 : 8));
    bytes.copy(b, Number(off));
  }
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(oct(sum + (h.badChecksum ? 1 : 0), 7) + ' ', 148, 'latin1');
  return b;
}

const padded = (data: Buffer) => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
const member = (name: string, data: Buffer, extra: Partial<Header> = {}) => [
  header({ name, size: data.length, ...extra }),
  padded(data),
];
const END = Buffer.alloc(1024);

function pax(records: [string, string][]): Buffer {
  let out = '';
  for (const [k, v] of records) {
    const body = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(body) + 1;
    while (String(len).length + Buffer.byteLength(body) !== len) len += 1;
    out += `${len}${body}`;
  }
  return Buffer.from(out, 'utf8');
}

const data = (name: string) => entries.find((e) => e.name === name)!.data!;
const env0 = () => member('envelope.json', data('envelope.json'));
const labels = () => member('labels.txt', data('labels.txt'));
const onnx = () => member('model.onnx', data('model.onnx'));

let n = 0;
async function archive(blocks: Buffer[]): Promise<string> {
  const file = join(env.root, `crafted-${n++}.airlock`);
  await writeFile(file, Buffer.concat(blocks));
  return file;
}

/** Refused with `code`, by import and verify too: nothing changed, one audit row each. */
async function expectRefused(file: string, code: ErrorCode): Promise<void> {
  const verdict = await differential(file);
  expect(verdict).toEqual({ ok: false, code });
  const before = snapshot(env);
  const audit = auditRows(env).length;
  const report = await env.handlers['models:import']({ path: file }, ctx);
  expect(report.items[0]!.outcome).toBe('rejected');
  expect(report.items[0]!.error?.code).toBe(code);
  expect(snapshot(env)).toEqual(before);
  expect(auditRows(env)).toHaveLength(audit + 1);
  expect(auditRows(env).at(-1)).toMatchObject({ action: 'bundle.reject', outcome: 'refused' });
}

/** The difference was real: tar-stream alone and GNU tar did not agree (or GNU tar failed). */
async function wasADifference(file: string): Promise<void> {
  const theirs = gnuLists(file);
  const before = await tarStreamReads(await readFile(file));
  expect(before, 'tar-stream alone read it').not.toBeNull();
  expect(theirs.status !== 0 || JSON.stringify(before) !== JSON.stringify(theirs.entries)).toBe(true);
}

// ---- The cases ----------------------------------------------------------------------------------

describe.skipIf(!GNU_TAR)('tar reader vs GNU tar', () => {
  describe('archives both read alike are accepted', () => {
    it('the bundle as Airlock writes it', async () => {
      expect(await differential(join(env.root, 'classifier-1.0.0.airlock'))).toEqual({ ok: true });
    });

    it('the same bundle repacked by GNU tar in gnu, pax and ustar formats (and a 150-character name)', async () => {
      for (const [bundle, names] of [
        [join(env.root, 'classifier-1.0.0.airlock'), ['envelope.json', 'labels.txt', 'model.onnx']],
        [longNamed, ['envelope.json', 'model.onnx', LONG]],
      ] as const) {
        const dir = join(env.root, `unpacked-${n++}`);
        for (const e of await readTar(bundle)) {
          await mkdir(dirname(join(dir, e.name)), { recursive: true });
          await writeFile(join(dir, e.name), e.data!);
        }
        for (const format of ['gnu', 'pax', 'ustar', 'posix']) {
          const out = join(env.root, `repacked-${format}-${n++}.airlock`);
          const made = spawnSync('tar', [`--format=${format}`, '-cf', out, '-C', dir, ...names], {
            encoding: 'utf8',
          });
          expect(made.status, made.stderr).toBe(0);
          expect(await differential(out), `${format}`).toEqual({ ok: true });
        }
      }
    });

    it('zero padding after the end-of-archive blocks (a tape record of 10 KiB)', async () => {
      expect(
        await differential(await archive([...env0(), ...labels(), ...onnx(), END, Buffer.alloc(9216)])),
      ).toEqual({ ok: true });
    });

    it('a pax "x" header that overrides the name and size of the entry after it', async () => {
      const p = pax([
        ['path', 'model.onnx'],
        ['size', String(data('model.onnx').length)],
        ['mtime', '1700000000.5'],
      ]);
      const decoy = header({ name: 'decoy.bin', size: data('model.onnx').length });
      const file = await archive([
        ...env0(),
        ...labels(),
        header({ name: 'PaxHeaders/model.onnx', type: 'x', size: p.length }),
        padded(p),
        decoy,
        padded(data('model.onnx')),
        END,
      ]);
      expect(await differential(file)).toEqual({ ok: true });
    });

    it('a GNU "L" long name for the entry after it', async () => {
      const name = Buffer.from('model.onnx\0');
      const file = await archive([
        ...env0(),
        ...labels(),
        header({ name: '././@LongLink', type: 'L', size: name.length, magic: 'ustar  \0' }),
        padded(name),
        header({ name: 'decoy', size: data('model.onnx').length, magic: 'ustar  \0' }),
        padded(data('model.onnx')),
        END,
      ]);
      expect(await differential(file)).toEqual({ ok: true });
    });

    it('numeric fields in every canonical form: base-256 size, leading spaces, NUL-filled', async () => {
      const size = data('model.onnx').length;
      const b256 = Buffer.alloc(12);
      b256[0] = 0x80;
      b256.writeUInt32BE(size, 8);
      for (const raw of [b256, `   ${size.toString(8)} `, `${size.toString(8)}\0\0\0`]) {
        const file = await archive([
          ...env0(),
          ...labels(),
          ...member('model.onnx', data('model.onnx'), { raw: { 124: raw } }),
          END,
        ]);
        expect(await differential(file)).toEqual({ ok: true });
      }
      const nulMtime = await archive([
        ...env0(),
        ...member('labels.txt', data('labels.txt'), { raw: { 136: Buffer.alloc(12) } }),
        ...onnx(),
        END,
      ]);
      expect(await differential(nulMtime)).toEqual({ ok: true });
    });
  });

  describe('archives read two ways are refused', () => {
    it('an entry hidden after the end-of-archive blocks → TAR_INVALID', async () => {
      // GNU tar stops at the zero blocks; tar-stream read on and installed labels.txt unlisted.
      const file = await archive([...env0(), ...onnx(), END, ...labels(), END]);
      await wasADifference(file);
      await expectRefused(file, 'TAR_INVALID');
    });

    it('an entry after a lone zero block → TAR_INVALID', async () => {
      const file = await archive([...env0(), ...onnx(), Buffer.alloc(512), ...labels(), END]);
      await wasADifference(file);
      await expectRefused(file, 'TAR_INVALID');
    });

    it('a junk size field ("…144x", parsed by parseInt up to the junk) → TAR_INVALID', async () => {
      const size = data('labels.txt').length.toString(8).padStart(10, '0');
      const file = await archive([
        ...env0(),
        ...member('labels.txt', data('labels.txt'), { raw: { 124: `${size}x\0` } }),
        ...onnx(),
        END,
      ]);
      await wasADifference(file);
      await expectRefused(file, 'TAR_INVALID');
    });

    it('a size field with a stray high bit (no base-256 marker) → TAR_INVALID', async () => {
      const raw = Buffer.alloc(12);
      raw[0] = 0x81;
      raw[11] = data('labels.txt').length;
      await expectRefused(
        await archive([
          ...env0(),
          ...member('labels.txt', data('labels.txt'), { raw: { 124: raw } }),
          ...onnx(),
          END,
        ]),
        'TAR_INVALID',
      );
    });

    it('junk in the mtime or mode field (GNU tar fails on it) → TAR_INVALID', async () => {
      for (const raw of [{ 136: '0000000000z\0' }, { 100: '000064z\0' }]) {
        const file = await archive([
          ...env0(),
          ...member('labels.txt', data('labels.txt'), { raw }),
          ...onnx(),
          END,
        ]);
        await wasADifference(file);
        await expectRefused(file, 'TAR_INVALID');
      }
    });

    it('a pax global header "g" with path= → TAR_SPECIAL_ENTRY', async () => {
      // GNU tar names the next entries "labels.txt"; tar-stream ignored the global header.
      const p = pax([['path', 'labels.txt']]);
      const file = await archive([
        ...env0(),
        header({ name: 'pax_global_header', type: 'g', size: p.length }),
        padded(p),
        ...onnx(),
        END,
      ]);
      await wasADifference(file);
      await expectRefused(file, 'TAR_SPECIAL_ENTRY');
    });

    for (const [label, records, raw] of [
      [
        'GNU.sparse.name (GNU tar renames the entry)',
        pax([
          ['GNU.sparse.name', 'labels.txt'],
          ['GNU.sparse.major', '1'],
          ['GNU.sparse.minor', '0'],
          ['GNU.sparse.realsize', '3'],
        ]),
        true,
      ],
      ['a record whose length is wrong', Buffer.from('99 path=labels.txt\n'), true],
      ['size=3x', pax([['size', '3x']]), true],
      ['linkpath', pax([['linkpath', '/etc/passwd']]), false],
      ['hdrcharset=BINARY', pax([['hdrcharset', 'BINARY']]), false],
    ] as const) {
      it(`a pax "x" header with ${label} → TAR_INVALID`, async () => {
        const file = await archive([
          ...env0(),
          header({ name: 'PaxHeaders/x', type: 'x', size: records.length }),
          padded(records),
          ...member('model.onnx', data('model.onnx')),
          END,
        ]);
        if (raw) await wasADifference(file);
        await expectRefused(file, 'TAR_INVALID');
      });
    }

    it('two extended headers before one entry → TAR_INVALID', async () => {
      const a = pax([['path', 'labels.txt']]);
      const b = pax([['mtime', '5']]);
      await expectRefused(
        await archive([
          ...env0(),
          header({ name: 'P/a', type: 'x', size: a.length }),
          padded(a),
          header({ name: 'P/b', type: 'x', size: b.length }),
          padded(b),
          ...onnx(),
          END,
        ]),
        'TAR_INVALID',
      );
    });

    it('the GNU "N" type (tar-stream took it for a long name) → TAR_SPECIAL_ENTRY', async () => {
      const name = Buffer.from('labels.txt\0');
      const file = await archive([
        ...env0(),
        header({ name: '././@LongLink', type: 'N', size: name.length, magic: 'ustar  \0' }),
        padded(name),
        ...member('decoy', data('labels.txt'), { magic: 'ustar  \0' }),
        ...onnx(),
        END,
      ]);
      await wasADifference(file);
      await expectRefused(file, 'TAR_SPECIAL_ENTRY');
    });

    it('a GNU "K" long link name → TAR_LINK_ENTRY', async () => {
      const name = Buffer.from('/etc/passwd\0');
      await expectRefused(
        await archive([
          ...env0(),
          header({ name: '././@LongLink', type: 'K', size: name.length, magic: 'ustar  \0' }),
          padded(name),
          ...labels(),
          ...onnx(),
          END,
        ]),
        'TAR_LINK_ENTRY',
      );
    });

    it('a name that is not UTF-8 (tar-stream showed U+FFFD, GNU tar the raw byte) → TAR_UNSAFE_PATH', async () => {
      const file = await archive([
        ...env0(),
        ...member('labels.txt', data('labels.txt'), { nameBytes: Buffer.from('labels\xff.txt', 'latin1') }),
        ...onnx(),
        END,
      ]);
      await wasADifference(file);
      await expectRefused(file, 'TAR_UNSAFE_PATH');
    });

    it('a v7 header (no ustar magic) or a bad checksum → TAR_INVALID', async () => {
      await expectRefused(
        await archive([
          ...env0(),
          ...member('labels.txt', data('labels.txt'), { magic: '\0\0\0\0\0\0\0\0' }),
          ...onnx(),
          END,
        ]),
        'TAR_INVALID',
      );
      await expectRefused(
        await archive([
          ...env0(),
          ...member('labels.txt', data('labels.txt'), { badChecksum: true }),
          ...onnx(),
          END,
        ]),
        'TAR_INVALID',
      );
    });
  });

  it('random mutations of the bundle: whatever Airlock accepts, GNU tar lists the same', async () => {
    let seed = Number(process.env['AIRLOCK_FUZZ_SEED'] ?? Date.now() % 100_000);
    console.log(`tar-differential: mutation seed ${seed}`);
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = (k: number) => Math.floor(rand() * k);
    const blocks = Math.floor(original.length / 512);
    let accepted = 0;
    const deadline = performance.now() + Number(process.env['AIRLOCK_FUZZ_MS'] ?? 4000);
    for (let i = 0; performance.now() < deadline; i++) {
      const out = Buffer.from(original);
      const block = pick(blocks) * 512;
      switch (pick(4)) {
        case 0: {
          // A header field: size, checksum, type, mtime, magic.
          const [start, len] = [
            [124, 12],
            [148, 8],
            [156, 1],
            [136, 12],
            [257, 8],
          ][pick(5)]!;
          for (let j = 0; j < len!; j++)
            out[block + start! + j] = rand() < 0.6 ? 0x30 + pick(8) : [0, 0x20, pick(256)][pick(3)]!;
          break;
        }
        case 1:
          out[block + pick(512)] = pick(256);
          break;
        case 2:
          // Bytes after the end of the archive.
          out[out.length - 1 - pick(1024)] = 1 + pick(255);
          break;
        default:
          original.copy(out, block, pick(blocks) * 512, pick(blocks) * 512 + 512);
      }
      const file = join(env.root, 'mutated.airlock');
      await writeFile(file, out);
      const verdict = await differential(file);
      if (verdict.ok) accepted += 1;
    }
    console.log(`tar-differential: ${accepted} accepted mutations listed alike by GNU tar`);
  });
});
