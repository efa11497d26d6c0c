/**
 * Issue 10, item 8: untrusted text never reaches the terminal raw. Everything the real `airlock`
 * command prints (text and --json, stdout and stderr) goes through one escape in runtime/cli/main.ts:
 * C0 controls other than tab and line feed, DEL, C1 controls, bidirectional controls and line
 * separators are printed as visible \uXXXX escapes. The texts come from where an attacker puts
 * them: a file name on a medium, a signed document's fields, the audit log, an untrusted card.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { escapeJsonForTerminal, escapeForTerminal } from '../../runtime/cli/escape.js';
import { REVOCATIONS_PAYLOAD_TYPE } from '../../runtime/contract/policy.js';
import {
  envelopeOf,
  environment,
  publisher,
  readTar,
  resign,
  signedBundle,
  statementOf,
  withEnvelope,
  writeTar,
  type Env,
} from './helpers.js';

const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;

/** Any character that must never be printed raw (tab and line feed are the output's own layout). */
const RAW =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;
/** What an attacker would like a terminal to do: clear it, retitle it, conceal a line, reverse text. */
const HOSTILE = '\u001b[2J\u001b]0;pwned\u0007\u009b31m\u0085\u202eevil\r';

let env: Env;
let dataDir: string;
beforeEach(async () => {
  env = await environment();
  dataDir = join(env.root, 'cli-data');
});
afterEach(async () => env.close());

function airlock(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args, '--data-dir', dataDir], {
    encoding: 'utf8',
    env: { ...process.env, AIRLOCK_HOME: '' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Neither stream holds a raw control character; each escaped form of `text` is shown instead. */
function expectEscaped(r: { stdout: string; stderr: string }, shown: readonly string[] = []): void {
  expect(RAW.exec(r.stdout)?.[0]).toBeUndefined();
  expect(RAW.exec(r.stderr)?.[0]).toBeUndefined();
  for (const s of shown) expect(r.stdout + r.stderr).toContain(s);
}

describe('the escape itself', () => {
  it('JSON.stringify leaves C1 and bidi controls raw; the CLI escapes them so JSON reads back the same', () => {
    const doc = JSON.stringify({ name: HOSTILE });
    expect(doc).toContain('\u009b'); // why --json needs the escape too
    expect(doc).toContain('\u202e');
    const escaped = escapeJsonForTerminal(doc);
    expect(RAW.test(escaped)).toBe(false);
    expect(JSON.parse(escaped)).toEqual({ name: HOSTILE });
  });

  it('text keeps tabs and line feeds, and shows everything else as \\uXXXX', () => {
    expect(escapeForTerminal('a\tb\nc\u001b[0md\u009be\u202ef\r')).toBe(
      'a\tb\nc\\u001b[0md\\u009be\\u202ef\\u000d',
    );
  });
});

describe('every command prints untrusted text escaped', () => {
  it('media scan and import: a bundle file named with escape sequences on the medium', async () => {
    const stick = join(env.root, 'stick');
    await mkdir(stick);
    const name = `classifier${HOSTILE}.airlock`;
    // Signed by a key this facility does not trust: refused, and listed by its file name.
    await copyFile(await signedBundle(env.root, publisher()), join(stick, name));
    // Not a tar at all: nothing to read a card from, so its audit record's target is the file name.
    const junk = `junk${HOSTILE}.airlock`;
    await writeFile(join(stick, junk), Buffer.alloc(2048, 'x'));
    const scan = airlock(['media', 'scan', stick]);
    expect(scan.code).toBe(1);
    expectEscaped(scan, ['\\u001b[2J', '\\u009b31m', '\\u202eevil', '\\u000d']);
    const scanJson = airlock(['media', 'scan', stick, '--json']);
    expectEscaped(scanJson);
    const reports = JSON.parse(scanJson.stdout) as { bundles: { path: string; error: { code: string } }[] }[];
    expect(reports[0]!.bundles[0]!.path).toBe(join(stick, name));
    expect(reports[0]!.bundles[0]!.error.code).toBe('UNTRUSTED_SIGNER');

    const imported = airlock(['import', stick]);
    expect(imported.code).toBe(1);
    expectEscaped(imported, ['\\u001b]0;pwned\\u0007']);

    // The refusal's audit record names the file: audit list shows it escaped, in text and JSON.
    const list = airlock(['audit', 'list']);
    expect(list.code).toBe(0);
    expectEscaped(list, ['\\u001b[2J']);
    const listJson = airlock(['audit', 'list', '--json']);
    expectEscaped(listJson);
    const targets = (JSON.parse(listJson.stdout) as { target: string }[]).map((r) => r.target);
    expect(targets).toContain(junk);
  });

  it('an error message quoting a signed document (revocations import, trust policy apply)', async () => {
    const file = join(env.root, 'evil.json');
    await writeFile(
      file,
      JSON.stringify({ payloadType: `${REVOCATIONS_PAYLOAD_TYPE}${HOSTILE}`, payload: '', signatures: [] }),
    );
    for (const command of [
      ['revocations', 'import'],
      ['trust', 'policy', 'apply'],
    ]) {
      const r = airlock([...command, file]);
      expect(r.code).toBe(1);
      expectEscaped(r, ['\\u009b31m']);
      expect(r.stderr).toMatch(/payloadType is/);
      const j = airlock([...command, file, '--json']);
      expectEscaped(j);
      const doc = JSON.parse(j.stdout) as { error: { code: string; message: string } };
      expect(doc.error.code).toBe('POLICY_INVALID');
      expect(doc.error.message).toContain(HOSTILE);
    }
  });

  it('unknown commands and bad arguments echo the user’s words escaped', () => {
    const r = airlock([`frob${HOSTILE}`]);
    expect(r.code).toBe(2);
    expectEscaped(r, ['frob\\u001b[2J']);
  });

  it('bundle inspect: an untrusted card cannot hide or forge a line', async () => {
    const entries = await readTar(await signedBundle(env.root, env.pub));
    const envelope = envelopeOf(entries);
    const statement = statementOf(envelope);
    const stranger = publisher();
    // A line feed is allowed in a description; it cannot pass for a signature line.
    const fake = `    ${env.pub.keyId}  trusted as "acme", valid`;
    statement.predicate['description'] = `A fine model.\n${fake}`;
    const file = join(env.root, 'forged.airlock');
    await writeTar(file, withEnvelope(entries, resign(envelope, statement, stranger)));
    const r = airlock(['bundle', 'inspect', file]);
    expect(r.code).toBe(0);
    expectEscaped(r);
    const lines = r.stdout.split('\n');
    expect(lines).not.toContain(fake);
    expect(lines).toContain(`    ${stranger.keyId}  key not in this trust store`);

    // Escape sequences in the card are refused outright (CARD_INVALID), and the refusal is escaped.
    statement.predicate['description'] = `A fine model.${HOSTILE}`;
    const evil = join(env.root, 'evil.airlock');
    await writeTar(evil, withEnvelope(entries, resign(envelope, statement, stranger)));
    const bad = airlock(['bundle', 'inspect', evil]);
    expect(bad.code).toBe(1);
    expectEscaped(bad);
    expect(JSON.parse(airlock(['bundle', 'inspect', evil, '--json']).stdout).error.code).toBe('CARD_INVALID');
  });
});
