/**
 * Issue 10, item 6: names and card fields shown to people refuse C1 control characters
 * (U+0080-U+009F), bidirectional controls (U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069) and
 * line separators, as they already refused C0 controls: in tar entry names and in the signed
 * statement's file list (TAR_UNSAFE_PATH), and in the card's text fields (CARD_INVALID). Each is
 * refused with its code, nothing changed, one audit record.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../runtime/contract/errors.js';
import {
  auditRows,
  ctx,
  envelopeOf,
  environment,
  readTar,
  resign,
  sha256,
  signedBundle,
  snapshot,
  statementOf,
  withEnvelope,
  writeTar,
  type Env,
  type TarEntry,
} from './helpers.js';

let env: Env;
let entries: TarEntry[];

beforeEach(async () => {
  env = await environment();
  entries = await readTar(await signedBundle(env.root, env.pub));
});
afterEach(async () => env.close());

async function expectRefused(file: string, code: ErrorCode): Promise<string> {
  const before = snapshot(env);
  const auditBefore = auditRows(env).length;
  const report = await env.handlers['models:import']({ path: file }, ctx);
  expect(report.items[0]!.outcome).toBe('rejected');
  expect(report.items[0]!.error?.code).toBe(code);
  expect(report.installed).toBe(0);
  expect(snapshot(env)).toEqual(before);
  const audit = auditRows(env);
  expect(audit).toHaveLength(auditBefore + 1);
  expect(audit.at(-1)).toMatchObject({ action: 'bundle.reject', outcome: 'refused' });
  expect(JSON.parse(audit.at(-1)!.details).error.code).toBe(code);
  const verdict = await env.handlers['bundle:verify']({ path: file }, ctx);
  expect(verdict.error?.code).toBe(code);
  expect(snapshot(env)).toEqual(before);
  return report.items[0]!.error!.message;
}

let n = 0;
async function bad(list: TarEntry[]): Promise<string> {
  const file = join(env.root, `bad-${n++}.airlock`);
  await writeTar(file, list);
  return file;
}

/** Characters that are refused, each with what it does. */
const UNSAFE: [char: string, what: string][] = [
  ['\u0085', 'C1 NEL (a line break)'],
  ['\u009b', 'C1 CSI (starts a terminal escape sequence)'],
  ['\u0080', 'the first C1 control'],
  ['\u009f', 'the last C1 control'],
  ['\u202e', 'RIGHT-TO-LEFT OVERRIDE'],
  ['\u202a', 'LEFT-TO-RIGHT EMBEDDING'],
  ['\u2066', 'LEFT-TO-RIGHT ISOLATE'],
  ['\u2069', 'POP DIRECTIONAL ISOLATE'],
  ['\u200e', 'LEFT-TO-RIGHT MARK'],
  ['\u200f', 'RIGHT-TO-LEFT MARK'],
  ['\u061c', 'ARABIC LETTER MARK'],
  ['\u2028', 'LINE SEPARATOR'],
  ['\u001b', 'ESC (C0, refused before too)'],
];
const hex = (c: string) => `U+${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`;

describe('payload names', () => {
  for (const [c, what] of UNSAFE) {
    it(`a tar entry named with ${hex(c)} ${what} → TAR_UNSAFE_PATH, and the message shows it escaped`, async () => {
      const message = await expectRefused(
        await bad([...entries, { name: `labels${c}.txt`, data: Buffer.from('x') }]),
        'TAR_UNSAFE_PATH',
      );
      expect(message).not.toContain(c);
      expect(message).toContain(`\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    });
  }

  it('a signed statement listing "gpj\\u202e.onnx" (reads as model.onnx.jpg reversed) → TAR_UNSAFE_PATH', async () => {
    const name = 'model\u202egpj.onnx';
    const data = Buffer.from('a payload under a name that reads backwards');
    const envelope = envelopeOf(entries);
    const statement = statementOf(envelope);
    statement.subject.push({ name, digest: { sha256: sha256(data) }, annotations: { size: data.length } });
    await expectRefused(
      await bad([...withEnvelope(entries, resign(envelope, statement, env.pub)), { name, data }]),
      'TAR_UNSAFE_PATH',
    );
  });
});

describe('card fields shown to people', () => {
  async function cardWith(edit: (predicate: Record<string, unknown>) => void): Promise<string> {
    const envelope = envelopeOf(entries);
    const statement = statementOf(envelope);
    edit(statement.predicate);
    return bad(withEnvelope(entries, resign(envelope, statement, env.pub)));
  }

  for (const [c, what] of UNSAFE) {
    it(`publisher with ${hex(c)} ${what} → CARD_INVALID`, async () => {
      await expectRefused(await cardWith((p) => (p['publisher'] = `ACME${c}Models`)), 'CARD_INVALID');
    });
  }

  it('license, task, tensor names and symbolic dimensions refuse them too → CARD_INVALID', async () => {
    for (const edit of [
      (p: Record<string, unknown>) => (p['license'] = 'MIT\u009b2J'),
      (p: Record<string, unknown>) => (p['task'] = 'classify\u202e'),
      (p: Record<string, unknown>) =>
        (p['inputs'] = [{ name: 'x\u0085', type: 'float32', shape: ['batch', 4] }]),
      (p: Record<string, unknown>) =>
        (p['inputs'] = [{ name: 'x', type: 'float32', shape: ['bat\u2066ch', 4] }]),
    ])
      await expectRefused(await cardWith(edit), 'CARD_INVALID');
  });

  it('a description may hold line feeds and tabs, but not CR, ESC, C1 or bidi controls', async () => {
    for (const text of ['safe\r  key trusted', 'a\u001b[8mhidden', 'next\u0085line', 'evil\u202etxt'])
      await expectRefused(await cardWith((p) => (p['description'] = text)), 'CARD_INVALID');
    const fine = await cardWith((p) => (p['description'] = 'Two lines:\n\tthe second indented.'));
    const verdict = await env.handlers['bundle:verify']({ path: fine }, ctx);
    expect(verdict.ok).toBe(true);
  });
});
