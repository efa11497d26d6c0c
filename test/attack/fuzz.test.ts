/**
 * Bounded fuzzing of the bundle readers: random mutations of a valid signed bundle (bytes of the
 * tar stream, and structure-aware edits of the DSSE envelope) must each end in a refusal with a
 * known error code, or, when the mutation touched only bytes the format ignores, in exactly the
 * original payload. Never a crash (INTERNAL), never a hang, never a write to the store.
 * The seed is printed; rerun with AIRLOCK_FUZZ_SEED=<seed> to reproduce.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Airlock } from '../../runtime/airlock.js';
import type { Actor } from '../../runtime/audit/audit-log.js';
import { readBundle } from '../../runtime/bundle/reader.js';
import { ERROR_CODES } from '../../runtime/contract/errors.js';
import { toErrorInfo } from '../../runtime/errors.js';
import { importPath } from '../../runtime/import/importer.js';
import { listFiles } from '../core/helpers.js';
import {
  makeAttackCorpus,
  readEntries,
  writeEntries,
  type AttackCorpus,
} from '../fixtures/make-attack-corpus.js';
import { prng } from '../../runtime/bench/inputs.js';

const SEED = Number(process.env['AIRLOCK_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
const TAR_BUDGET_MS = Number(process.env['AIRLOCK_FUZZ_MS'] ?? 8_000);
const ENVELOPE_BUDGET_MS = Math.round(TAR_BUDGET_MS / 2);
const CASE_TIMEOUT_MS = 5_000;
const actor: Actor = { name: 'fuzzer', source: `test:${process.pid}` };

let root: string;
let corpus: AttackCorpus;
let airlock: Airlock;
let original: Buffer;
let originalFiles: Map<string, string>;

beforeAll(async () => {
  console.log(`fuzz seed ${SEED} (AIRLOCK_FUZZ_SEED=${SEED} reproduces it)`);
  root = await mkdtemp(join(tmpdir(), 'airlock-fuzz-'));
  corpus = await makeAttackCorpus(join(root, 'corpus'));
  airlock = Airlock.open({ dataDir: join(root, 'data') });
  airlock.db
    .prepare(
      "INSERT INTO trust_keys (name, key_id, public_key_pem, role, added_at, added_by) VALUES ('acme', ?, ?, 'publisher', '2026-01-01T00:00:00Z', 'fuzz')",
    )
    .run(corpus.keys.acme.keyId, corpus.keys.acme.publicKeyPem);
  original = await readFile(corpus.good);
  const read = await readBundle(Readable.from([original]), {
    admit: (e, s) => airlock.admission.atEnvelope(e, s),
  });
  originalFiles = new Map(read.files.map((f) => [f.path, f.sha256]));
});
afterAll(async () => {
  await airlock?.close();
  await rm(root, { recursive: true, force: true });
});

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`HANG: ${what} took over ${CASE_TIMEOUT_MS} ms`)),
      CASE_TIMEOUT_MS,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** A sink that hashes nothing and writes nowhere: the reader's own digests decide. */
const nowhere = () => new Writable({ write: (_chunk, _enc, done) => done() });

type Outcome = { ok: true; files: Map<string, string> } | { ok: false; code: string; message: string };

async function readMutated(bytes: Buffer, what: string): Promise<Outcome> {
  try {
    const read = await withTimeout(
      readBundle(Readable.from(chunks(bytes)), {
        admit: (e, s) => airlock.admission.atEnvelope(e, s),
        sink: nowhere,
        limits: airlock.limits,
      }),
      what,
    );
    return { ok: true, files: new Map(read.files.map((f) => [f.path, f.sha256])) };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('HANG')) throw error;
    const info = toErrorInfo(error);
    return { ok: false, code: info.code, message: info.message };
  }
}

/** Feeds the stream in uneven chunks so that header and entry boundaries fall anywhere. */
function* chunks(bytes: Buffer): Generator<Buffer> {
  let at = 0;
  let size = 1 + (bytes.length % 7919);
  while (at < bytes.length) {
    yield bytes.subarray(at, at + size);
    at += size;
    size = 1 + ((size * 31 + 17) % 65_536);
  }
}

function checkOutcome(outcome: Outcome, what: string): void {
  if (outcome.ok) {
    // Only bytes the format ignores changed: the payload must be exactly the signed one.
    expect(outcome.files, what).toEqual(originalFiles);
  } else {
    expect(ERROR_CODES as readonly string[], `${what}: ${outcome.message}`).toContain(outcome.code);
    expect(outcome.code, `${what}: ${outcome.message}`).not.toBe('INTERNAL');
  }
}

function mutate(bytes: Buffer, rand: () => number): { bytes: Buffer; how: string } {
  const pick = (n: number) => Math.floor(rand() * n);
  const out = Buffer.from(bytes);
  switch (pick(7)) {
    case 0: {
      const n = 1 + pick(8);
      for (let i = 0; i < n; i++) out[pick(out.length)] = pick(256);
      return { bytes: out, how: `${n} random bytes` };
    }
    case 1: {
      const at = pick(out.length);
      out[at]! ^= 1 << pick(8);
      return { bytes: out, how: `bit flip at ${at}` };
    }
    case 2: {
      const at = pick(out.length);
      return { bytes: out.subarray(0, at), how: `truncated at ${at}` };
    }
    case 3: {
      // A header field of some 512-byte block: the size, checksum, type or name.
      const block = pick(Math.floor(out.length / 512)) * 512;
      const [start, len] = [
        [124, 12],
        [148, 8],
        [156, 1],
        [0, 100],
        [345, 155],
      ][pick(5)]!;
      for (let i = 0; i < len!; i++) out[block + start! + i] = rand() < 0.5 ? 0x30 + pick(8) : pick(256);
      return { bytes: out, how: `header field ${start} of block ${block / 512}` };
    }
    case 4: {
      const at = pick(out.length);
      const junk = Buffer.alloc(1 + pick(1024), pick(256));
      return {
        bytes: Buffer.concat([out.subarray(0, at), junk, out.subarray(at)]),
        how: `${junk.length} bytes inserted at ${at}`,
      };
    }
    case 5: {
      const from = pick(Math.floor(out.length / 512)) * 512;
      const to = pick(Math.floor(out.length / 512)) * 512;
      out.copy(out, to, from, from + 512);
      return { bytes: out, how: `block ${from / 512} copied over block ${to / 512}` };
    }
    default: {
      const at = pick(out.length);
      const len = 1 + pick(4096);
      return {
        bytes: Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + len))]),
        how: `${len} bytes cut at ${at}`,
      };
    }
  }
}

describe('fuzzing the readers', () => {
  it(`tar stream mutations (~${TAR_BUDGET_MS} ms): no crash, no hang, no store write`, async () => {
    const rand = prng(SEED);
    const storeBefore = listFiles(airlock.paths.blobs);
    const counts = new Map<string, number>();
    const deadline = performance.now() + TAR_BUDGET_MS;
    let n = 0;
    while (performance.now() < deadline) {
      const { bytes, how } = mutate(original, rand);
      const what = `seed ${SEED} case ${n}: ${how}`;
      checkOutcome(await readMutated(bytes, what), what);
      // Every 25th case goes through the whole import (staging, policy, commit) as well.
      if (n % 25 === 0) {
        const file = join(root, 'mutated.airlock');
        await writeFile(file, bytes);
        const report = await withTimeout(importPath(airlock, actor, file), what);
        const item = report.items[0]!;
        if (item.outcome === 'rejected') expect(item.error?.code, what).not.toBe('INTERNAL');
        counts.set(item.outcome, (counts.get(item.outcome) ?? 0) + 1);
        if (item.outcome !== 'rejected') {
          // Accepted only when the payload is exactly the signed one; then undo for the next case.
          expect(new Map(item.verification!.files.map((f) => [f.path, f.sha256]))).toEqual(originalFiles);
          airlock.db.prepare('DELETE FROM models').run();
          airlock.store.recover();
        }
        expect(listFiles(airlock.paths.blobs), what).toEqual(storeBefore);
        expect(listFiles(airlock.paths.staging), what).toEqual({});
      }
      n += 1;
    }
    console.log(`tar fuzz: ${n} mutations, full imports: ${JSON.stringify(Object.fromEntries(counts))}`);
    expect(n).toBeGreaterThan(50);
  });

  it(`envelope mutations (~${ENVELOPE_BUDGET_MS} ms): refused with a known code, never accepted`, async () => {
    const rand = prng(SEED ^ 0x5eed);
    const pick = (n: number) => Math.floor(rand() * n);
    const entries = await readEntries(corpus.good);
    const envelopeJson = entries.find((e) => e.name === 'envelope.json')!.data.toString('utf8');
    const payload = Buffer.from(JSON.parse(envelopeJson).payload as string, 'base64').toString('utf8');
    const values: unknown[] = [
      null,
      true,
      0,
      -1,
      1e308,
      2 ** 53 + 1,
      '',
      'x'.repeat(5000),
      [],
      {},
      [[[[[[]]]]]],
      { __proto__: { polluted: 1 } },
      '../x',
      '/abs',
    ];
    const file = join(root, 'envelope-fuzz.airlock');
    const deadline = performance.now() + ENVELOPE_BUDGET_MS;
    let n = 0;
    while (performance.now() < deadline) {
      const envelope = JSON.parse(envelopeJson) as Record<string, unknown>;
      const statement = JSON.parse(payload) as Record<string, unknown> & {
        subject: Record<string, unknown>[];
        predicate: Record<string, unknown>;
      };
      const how: string[] = [];
      const edits = 1 + pick(3);
      for (let i = 0; i < edits; i++) {
        // A fresh copy each time: one shared {} placed inside itself would make a circular statement.
        const value = structuredClone(values[pick(values.length)]);
        switch (pick(6)) {
          case 0:
            envelope[['payloadType', 'payload', 'signatures'][pick(3)]!] = value;
            how.push('envelope field');
            break;
          case 1:
            statement[['_type', 'subject', 'predicateType', 'predicate'][pick(4)]!] = value;
            how.push('statement field');
            break;
          case 2: {
            const s = Array.isArray(statement.subject)
              ? statement.subject[pick(statement.subject.length)]
              : undefined;
            if (s && typeof s === 'object') s[['name', 'digest', 'annotations'][pick(3)]!] = value;
            how.push('subject field');
            break;
          }
          case 3:
            if (statement.predicate && typeof statement.predicate === 'object')
              statement.predicate[['name', 'version', 'inputs', 'model', 'expires', 'labels'][pick(6)]!] =
                value;
            how.push('card field');
            break;
          case 4:
            envelope['signatures'] = [
              { keyid: corpus.keys.acme.keyId, sig: Buffer.from(String(value)).toString('base64') || 'AA==' },
            ];
            how.push('forged signature');
            break;
          default:
            if (Array.isArray(statement.subject))
              statement.subject.push({
                name: `f${pick(1000)}`,
                digest: { sha256: '0'.repeat(64) },
                annotations: { size: pick(100) },
              });
            how.push('extra subject');
        }
      }
      if (!how.includes('envelope field') || envelope['payload'] === JSON.parse(envelopeJson).payload) {
        envelope['payload'] = Buffer.from(JSON.stringify(statement)).toString('base64');
      }
      await writeEntries(
        file,
        entries.map((e) =>
          e.name === 'envelope.json' ? { ...e, data: Buffer.from(JSON.stringify(envelope)) } : e,
        ),
      );
      const what = `seed ${SEED} envelope case ${n}: ${how.join(', ')}`;
      const outcome = await readMutated(await readFile(file), what);
      // Any change to the signed statement or the signatures must be refused (the key's signature
      // no longer matches); nothing here may be accepted.
      expect(outcome.ok, what).toBe(false);
      checkOutcome(outcome, what);
      n += 1;
    }
    console.log(`envelope fuzz: ${n} mutations`);
    expect(n).toBeGreaterThan(20);
  });
});
