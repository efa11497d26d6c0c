/**
 * Shared helpers for the core tests: real keys, real bundles (tar files) built from the tiny
 * fixture models, and snapshots of a data directory (files with digests, model and trust rows,
 * audit records) to prove that a refused input changed nothing.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { execFile } from 'node:child_process';
import {
  createReadStream,
  createWriteStream,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { promisify } from 'node:util';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import * as tar from 'tar-stream';
import { Airlock } from '../../runtime/airlock.js';
import { createHandlers, type Handlers } from '../../runtime/api/handlers.js';
import type { CallContext } from '../../runtime/api/context.js';
import { createBundle, signBundle } from '../../runtime/bundle/writer.js';
import { generateSigningKey } from '../../runtime/crypto/keys.js';
import { signEnvelope, type Envelope } from '../../runtime/crypto/dsse.js';
import { parsePrivateKey } from '../../runtime/crypto/keys.js';

const execFileAsync = promisify(execFile);

export const FIXTURES = new URL('../fixtures/models/', import.meta.url).pathname;
export const model = (name: string) => join(FIXTURES, name);

export async function tempDir(prefix = 'airlock-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface Publisher {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  readonly keyId: string;
}

export function publisher(): Publisher {
  return generateSigningKey();
}

export const testActor = { name: 'tester', source: `test:${process.pid}`, role: 'admin' } as const;
export const ctx: CallContext = { actor: testActor };

export interface Env {
  readonly root: string;
  readonly dataDir: string;
  readonly airlock: Airlock;
  readonly handlers: Handlers;
  readonly pub: Publisher;
  close(): Promise<void>;
}

/** A fresh data directory with one trusted publisher key. */
export async function environment(): Promise<Env> {
  const root = await tempDir();
  const dataDir = join(root, 'data');
  const airlock = Airlock.open({ dataDir });
  const handlers = createHandlers(airlock);
  const pub = publisher();
  await handlers['trust:add']({ name: 'acme', publicKeyPem: pub.publicKeyPem, role: 'publisher' }, ctx);
  return {
    root,
    dataDir,
    airlock,
    handlers,
    pub,
    async close() {
      await airlock.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A signed bundle of a fixture model. */
export async function signedBundle(
  dir: string,
  pub: Publisher,
  options: { model?: string; name?: string; version?: string; expires?: string; labels?: string } = {},
): Promise<string> {
  const name = options.name ?? 'classifier';
  const version = options.version ?? '1.0.0';
  const out = join(dir, `${name}-${version}.airlock`);
  await createBundle({
    model: options.model ?? model('classifier.onnx'),
    name,
    version,
    out,
    expires: options.expires,
    labels: options.labels,
    publisher: 'ACME Models',
  });
  await signBundle(out, pub.privateKeyPem);
  return out;
}

export interface TarEntry {
  readonly name: string;
  readonly data?: Buffer;
  readonly type?: tar.Header['type'];
  readonly linkname?: string;
  /** Header size claimed, when it should differ from data.length. */
  readonly size?: number;
}

/** Reads every entry of a tar file (names, types and bytes). */
export async function readTar(file: string): Promise<TarEntry[]> {
  const extract = tar.extract();
  createReadStream(file).pipe(extract);
  const out: TarEntry[] = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry as unknown as AsyncIterable<Buffer>) chunks.push(c);
    out.push({ name: entry.header.name, data: Buffer.concat(chunks), type: entry.header.type });
  }
  return out;
}

/** Writes entries as a tar file, exactly as given (links, devices, odd names included). */
export async function writeTar(file: string, entries: readonly TarEntry[]): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack as unknown as Readable, createWriteStream(file));
  for (const e of entries) {
    const type = e.type ?? 'file';
    const data = type === 'file' ? (e.data ?? Buffer.alloc(0)) : undefined;
    await new Promise<void>((resolve, reject) => {
      const header = {
        name: e.name,
        type,
        mode: 0o644,
        mtime: new Date(0),
        ...(e.linkname ? { linkname: e.linkname } : {}),
        ...(type === 'file' ? { size: data!.length } : {}),
      };
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      pack.entry(header as tar.Header, data ?? Buffer.alloc(0), cb);
    });
  }
  pack.finalize();
  await done;
}

export function envelopeOf(entries: readonly TarEntry[]): Envelope {
  return JSON.parse(entries.find((e) => e.name === 'envelope.json')!.data!.toString('utf8')) as Envelope;
}

export function statementOf(envelope: Envelope): Record<string, unknown> & {
  subject: { name: string; digest: { sha256: string }; annotations: { size: number } }[];
  predicate: Record<string, unknown>;
} {
  return JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
}

/** Re-encodes a statement and re-signs it with the given key (a legitimately signed, but bad, bundle). */
export function resign(envelope: Envelope, statement: unknown, pub: Publisher): Envelope {
  const fresh: Envelope = {
    payloadType: envelope.payloadType,
    payload: Buffer.from(JSON.stringify(statement)).toString('base64'),
    signatures: [],
  };
  const key = parsePrivateKey(pub.privateKeyPem);
  return signEnvelope(fresh, key, createPublicKey(key));
}

export function withEnvelope(entries: readonly TarEntry[], envelope: Envelope): TarEntry[] {
  return entries.map((e) =>
    e.name === 'envelope.json' ? { ...e, data: Buffer.from(JSON.stringify(envelope)) } : e,
  );
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Files (relative path → sha256) under a directory, excluding the SQLite files themselves. */
export function listFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!/airlock\.db(-wal|-shm)?$/.test(e.name))
        out[relative(dir, p)] = statSync(p).size > 0 ? sha256(readFileSync(p)) : 'empty';
    }
  };
  walk(dir);
  return out;
}

/**
 * State that a refused import must leave untouched: the data directory's files and every
 * non-audit table. The audit trail is not in it (a refusal is recorded): neither its table nor the
 * signed checkpoint file outside the database that follows it (runtime/audit/integrity.ts).
 */
export function snapshot(env: Pick<Env, 'dataDir' | 'airlock'>): {
  files: Record<string, string>;
  rows: Record<string, unknown[]>;
} {
  const rows: Record<string, unknown[]> = {};
  for (const table of ['models', 'model_files', 'version_high_water', 'trust_keys', 'settings']) {
    rows[table] = env.airlock.db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all();
  }
  const files = listFiles(env.dataDir);
  delete files[join('keys', 'audit-checkpoint.json')];
  return { files, rows };
}

export function auditRows(
  env: Pick<Env, 'airlock'>,
): { seq: number; action: string; outcome: string; details: string; target: string }[] {
  return env.airlock.db
    .prepare('SELECT seq, action, outcome, details, target FROM audit_log ORDER BY seq')
    .all() as never;
}

/** Opens the database file directly, as an attacker with file access would. */
export function rawDb(dataDir: string): Database.Database {
  return new Database(join(dataDir, 'airlock.db'));
}

export async function bytes(file: string): Promise<Buffer> {
  return readFile(file);
}

const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;

/**
 * A data directory set up through the real CLI (a separate process, as a facility admin would):
 * the environment's publisher key trusted as "acme" and a signed classifier bundle imported.
 */
export async function cliDataDir(env: Env, name = 'cli'): Promise<string> {
  const dataDir = join(env.root, name);
  const bundle = await signedBundle(env.root, env.pub, {
    name: 'classifier',
    model: model('classifier.onnx'),
  });
  const pub = join(env.root, 'acme.pub');
  writeFileSync(pub, env.pub.publicKeyPem);
  await execFileAsync(process.execPath, [BIN, 'trust', 'add', pub, '--name', 'acme', '--data-dir', dataDir]);
  await execFileAsync(process.execPath, [BIN, 'import', bundle, '--data-dir', dataDir]);
  return dataDir;
}
