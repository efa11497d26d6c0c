import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { modelCardSchema, type ModelCard, type ModelCardInput } from '../contract/card.js';
import { AirlockError } from '../errors.js';
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope, type Envelope } from '../crypto/dsse.js';
import { parsePrivateKey } from '../crypto/keys.js';
import { createPublicKey } from 'node:crypto';
import { readGraph } from '../inference/model-bytes.js';
import { readModelIo } from '../inference/model-io.js';
import { sha256File } from '../util/hash.js';
import { z } from 'zod';
import { BUNDLE_EXTENSION, ENVELOPE_NAME, PREDICATE_TYPE, STATEMENT_TYPE } from './limits.js';
import { openBundleFile, readBundle } from './reader.js';
import { openRegularFileStream, readRegularFile, readRegularText } from '../util/read-file.js';
import { encodeStatement, type Statement } from './statement.js';
import { checkEntryName } from './path-rules.js';
import { DEFAULT_LIMITS } from './limits.js';
import { tempNameBeside } from '../util/temp-name.js';

interface PayloadFile {
  readonly name: string;
  readonly file: string;
  readonly size: number;
  readonly sha256: string;
}

/** Writes envelope.json first, then the payload files sorted by name, as a plain POSIX tar. */
async function writeTar(
  out: string,
  envelope: Envelope,
  payload: readonly PayloadFile[],
  mtime: Date,
): Promise<void> {
  const pack = tar.pack();
  const tmp = tempNameBeside(out);
  const header = (name: string, size: number): tar.Header => ({
    name,
    size,
    mode: 0o644,
    mtime,
    type: 'file',
    uid: 0,
    gid: 0,
    uname: 'airlock',
    gname: 'airlock',
    linkname: '',
    devmajor: 0,
    devminor: 0,
  });
  const written = pipeline(pack as unknown as Readable, createWriteStream(tmp, { mode: 0o644, flags: 'wx' }));
  try {
    const envelopeBytes = Buffer.from(JSON.stringify(envelope, null, 2) + '\n', 'utf8');
    pack.entry(header(ENVELOPE_NAME, envelopeBytes.length), envelopeBytes);
    for (const p of [...payload].sort((a, b) => a.name.localeCompare(b.name))) {
      // The publisher's own file, named on the command line: opened once, checked to be a regular
      // file, and never read past the size it was hashed at (a file that changed since fails the
      // entry's size check in tar-stream, and the read-back in signBundle catches any other change).
      const { stream } = await openRegularFileStream(p.file, {
        maxBytes: p.size,
        what: 'payload file',
        followLinks: true,
      });
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry(header(p.name, p.size), (error) => (error ? reject(error) : resolve()));
        stream.on('error', reject).pipe(entry);
      });
    }
    pack.finalize();
    await written;
    const fh = await open(tmp, 'r');
    await fh.sync();
    await fh.close();
    await rename(tmp, out);
  } catch (error) {
    pack.destroy();
    await rm(tmp, { force: true });
    throw error;
  }
}

export interface CreateBundleOptions {
  readonly model: string;
  readonly name: string;
  readonly version: string;
  readonly out: string;
  readonly labels?: string | undefined;
  /** A JSON file with card fields (description, license, task, publisher, preprocess, ...). */
  readonly card?: string | undefined;
  readonly expires?: string | undefined;
  readonly publisher?: string | undefined;
  /** Extra payload files: name inside the bundle → file on disk. */
  readonly extraFiles?: Readonly<Record<string, string>> | undefined;
  readonly now?: Date;
}

const cardFileSchema = z.record(z.string(), z.unknown());

/**
 * Builds an unsigned bundle. Inputs and outputs (names, element types, shapes) are read from the
 * ONNX graph itself; the publisher only names and versions the model.
 */
export async function createBundle(
  options: CreateBundleOptions,
): Promise<{ path: string; card: ModelCard; statement: Statement }> {
  const now = options.now ?? new Date();
  let fromFile: Record<string, unknown> = {};
  if (options.card) {
    // A card is part of the envelope: no bigger than the envelope may be.
    const text = await readRegularText(options.card, {
      maxBytes: DEFAULT_LIMITS.maxEnvelopeBytes,
      what: 'card file',
      followLinks: true,
      invalidCode: 'CARD_INVALID',
    });
    try {
      fromFile = cardFileSchema.parse(JSON.parse(text));
    } catch (cause) {
      throw new AirlockError(
        'CARD_INVALID',
        `The card file ${options.card} is not a JSON object (${(cause as Error).message}).`,
        { cause },
      );
    }
  }
  const files: PayloadFile[] = [];
  const add = async (name: string, file: string) => {
    checkEntryName(name, DEFAULT_LIMITS);
    if (name === ENVELOPE_NAME || files.some((f) => f.name === name)) {
      throw new AirlockError(
        'USAGE',
        `Two payload files would be named "${name}" in the bundle; rename one.`,
      );
    }
    const { sha256, size } = await sha256File(file, { followLinks: true });
    files.push({ name, file, size, sha256 });
  };
  await add('model.onnx', options.model);
  if (options.labels) await add('labels.txt', options.labels);
  for (const [name, file] of Object.entries(options.extraFiles ?? {})) await add(name, file);
  // Inputs and outputs come from the graph opened as Airlock will open it: its bytes and the
  // external data files it names, which must be payload files of this bundle (--file NAME=PATH
  // with the name the graph uses); nothing is picked up from beside the model by itself.
  const bundleFiles = files.map((f) => ({ path: f.name, size: f.size, sha256: f.sha256 }));
  const io = await readModelIo(
    await readGraph(
      'model.onnx',
      bundleFiles,
      (f) =>
        readRegularFile(files.find((p) => p.name === f.path)!.file, {
          maxBytes: DEFAULT_LIMITS.maxFileBytes,
          what: 'payload file',
          followLinks: true,
        }),
      (f) =>
        new AirlockError(
          'USAGE',
          `${f.path} changed while the bundle was being made; run the command again.`,
        ),
    ),
  );

  const cardInput: ModelCardInput = {
    license: 'proprietary',
    task: 'unspecified',
    description: '',
    publisher: options.publisher ?? 'unknown',
    ...(fromFile as Partial<ModelCardInput>),
    name: options.name,
    version: options.version,
    created: now.toISOString(),
    model: 'model.onnx',
    inputs: (fromFile['inputs'] as ModelCardInput['inputs'] | undefined) ?? io.inputs,
    outputs: (fromFile['outputs'] as ModelCardInput['outputs'] | undefined) ?? io.outputs,
    ...(options.labels ? { labels: 'labels.txt' } : {}),
    ...(options.expires ? { expires: new Date(options.expires).toISOString() } : {}),
    ...(options.publisher ? { publisher: options.publisher } : {}),
  };
  if (options.expires && Number.isNaN(new Date(options.expires).getTime())) {
    throw new AirlockError(
      'USAGE',
      `--expires "${options.expires}" is not a date; use ISO 8601, e.g. 2027-12-31T00:00:00Z.`,
    );
  }
  const parsed = modelCardSchema.safeParse(cardInput);
  if (!parsed.success) {
    throw new AirlockError(
      'CARD_INVALID',
      `The model card would not be valid: ${z.prettifyError(parsed.error)}.`,
      { cause: parsed.error },
    );
  }
  const card = parsed.data;
  const statement: Statement = {
    _type: STATEMENT_TYPE,
    subject: files.map((f) => ({
      name: f.name,
      digest: { sha256: f.sha256 },
      annotations: { size: f.size },
    })),
    predicateType: PREDICATE_TYPE,
    predicate: card as unknown as Record<string, unknown>,
  };
  const envelope: Envelope = {
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    payload: encodeStatement(statement),
    signatures: [],
  };
  await mkdir(dirname(options.out), { recursive: true });
  await writeTar(options.out, envelope, files, now);
  return { path: options.out, card, statement };
}

export function defaultBundleName(name: string, version: string): string {
  return `${name}-${version}${BUNDLE_EXTENSION}`;
}

/**
 * Adds one signature (replacing an earlier one by the same key). The bundle is read in full first,
 * so a publisher never signs files that do not match the statement. Rewritten atomically.
 */
export async function signBundle(
  path: string,
  privateKeyPem: string,
): Promise<{ keyId: string; signatures: number }> {
  const privateKey = parsePrivateKey(privateKeyPem);
  const publicKey = createPublicKey(privateKey);
  const checked = await readBundle((await openBundleFile(path, { followLinks: true })).stream, {});
  const envelope = signEnvelope(checked.envelope, privateKey, publicKey);

  // Re-pack: the new envelope, then the payload entries copied byte for byte.
  const out = tempNameBeside(path, 'signing');
  const extract = tar.extract();
  const pack = tar.pack();
  const written = pipeline(pack as unknown as Readable, createWriteStream(out, { flags: 'wx' }));
  try {
    (await openBundleFile(path, { followLinks: true })).stream.pipe(extract);
    for await (const entry of extract) {
      const h = entry.header;
      const header: tar.Header = {
        name: h.name,
        size: h.size ?? 0,
        mode: h.mode ?? 0o644,
        mtime: h.mtime ?? new Date(0),
        type: 'file',
        uid: 0,
        gid: 0,
        uname: 'airlock',
        gname: 'airlock',
        linkname: '',
        devmajor: 0,
        devminor: 0,
      };
      if (h.name === ENVELOPE_NAME) {
        const bytes = Buffer.from(JSON.stringify(envelope, null, 2) + '\n', 'utf8');
        entry.resume();
        pack.entry({ ...header, size: bytes.length }, bytes);
        continue;
      }
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry(header, (error) => (error ? reject(error) : resolve()));
        entry.pipe(sink);
      });
    }
    pack.finalize();
    await written;
    const fh = await open(out, 'r');
    await fh.sync();
    await fh.close();
    await rename(out, path);
  } catch (error) {
    pack.destroy();
    await rm(out, { force: true });
    throw error;
  }
  return { keyId: envelope.signatures.at(-1)!.keyid, signatures: envelope.signatures.length };
}
