import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../runtime/cli/main.js';
import { COMMANDS } from '../../runtime/cli/commands/index.js';
import { model, tempDir } from './helpers.js';

const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;
let root: string;
let dataDir: string;

function airlock(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, AIRLOCK_HOME: '', ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const json = (args: string[]) => {
  const r = airlock([...args, '--data-dir', dataDir, '--json']);
  return {
    ...r,
    doc: JSON.parse(r.stdout) as Record<string, unknown> & { error?: { code: string; message: string } },
  };
};

beforeAll(async () => {
  root = await tempDir();
  dataDir = join(root, 'data');
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe('the airlock command (publisher to operator)', () => {
  it('runs the whole path with the documented commands and exit codes', async () => {
    // Publisher: keys, bundle, signature.
    const keys = airlock(['keys', 'generate', '--out', join(root, 'keys'), '--name', 'acme', '--json']);
    expect(keys.code).toBe(0);
    expect(statSync(join(root, 'keys', 'acme.key')).mode & 0o777).toBe(0o600);
    expect(airlock(['keys', 'generate', '--out', join(root, 'keys'), '--name', 'acme']).code).toBe(1);

    const bundle = join(root, 'classifier-1.0.0.airlock');
    const labels = join(root, 'labels.txt');
    await writeFile(labels, 'cat\ndog\nbird\n');
    const created = airlock([
      'bundle',
      'create',
      '--model',
      model('classifier.onnx'),
      '--name',
      'classifier',
      '--version',
      '1.0.0',
      '--labels',
      labels,
      '--out',
      bundle,
      '--json',
    ]);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).card.inputs).toEqual([
      { name: 'x', type: 'float32', shape: ['batch', 4] },
    ]);
    expect(airlock(['bundle', 'sign', bundle, '--key', join(root, 'keys', 'acme.key')]).code).toBe(0);
    const inspected = airlock(['bundle', 'inspect', bundle, '--json']);
    expect(inspected.code).toBe(0);
    expect(JSON.parse(inspected.stdout).files.map((f: { path: string }) => f.path)).toEqual([
      'labels.txt',
      'model.onnx',
    ]);

    // Facility: untrusted until the key is added.
    let verify = json(['bundle', 'verify', bundle]);
    expect(verify.code).toBe(1);
    expect(verify.doc.error?.code).toBe('UNTRUSTED_SIGNER');
    expect(json(['trust', 'add', join(root, 'keys', 'acme.pub'), '--name', 'acme']).code).toBe(0);
    expect((json(['trust', 'list']).doc as unknown as { name: string }[]).map((k) => k.name)).toEqual([
      'acme',
    ]);
    verify = json(['bundle', 'verify', bundle]);
    expect(verify.code).toBe(0);
    expect(verify.doc['signers']).toEqual(['acme']);

    const imported = json(['import', root]);
    expect(imported.code).toBe(0);
    expect(imported.doc['installed']).toBe(1);
    expect((json(['models']).doc as unknown as { name: string }[]).map((m) => m.name)).toEqual([
      'classifier',
    ]);

    // Operator: JSON input and output file.
    const input = join(root, 'input.json');
    await writeFile(input, JSON.stringify({ x: { type: 'float32', dims: [1, 4], data: [0, 0, 5, 0] } }));
    const out = join(root, 'out.json');
    const run = json(['run', 'classifier@1.0.0', '--input', input, '--output', out]);
    expect(run.code).toBe(0);
    expect(run.doc['outputFile']).toBe(out);
    const plain = airlock(['run', 'classifier', '--input', input, '--data-dir', dataDir]);
    expect(plain.stdout).toContain('"label":{"type":"int64","dims":[1],"data":[2]}');

    const badInput = join(root, 'bad.json');
    await writeFile(badInput, JSON.stringify({ x: { type: 'float32', dims: [1, 3], data: [0, 0, 5] } }));
    const refused = json(['run', 'classifier', '--input', badInput]);
    expect(refused.code).toBe(1);
    expect(refused.doc.error?.code).toBe('INPUT_SHAPE_MISMATCH');
    expect(refused.doc.error?.message).toContain('[batch, 4]');

    // Auditor: the chain holds and every data-dir command was recorded with its outcome.
    const chain = json(['audit', 'verify']);
    expect(chain.code).toBe(0);
    expect(chain.doc['ok']).toBe(true);
    const records = json(['audit', 'list', '--limit', '200']).doc as unknown as {
      action: string;
      target: string;
      outcome: string;
    }[];
    const commands = records.filter((r) => r.action === 'cli.command').map((r) => `${r.target}:${r.outcome}`);
    expect(commands).toEqual(
      expect.arrayContaining([
        'bundle verify:refused',
        'bundle verify:success',
        'trust add:success',
        'import:success',
        'run:success',
        'run:refused',
        'models:success',
        'audit verify:success',
      ]),
    );
    expect(records.some((r) => r.action === 'model.install' && r.target === 'classifier@1.0.0')).toBe(true);
    expect(records.some((r) => r.action === 'trust.key.add' && r.target === 'acme')).toBe(true);
  });

  it('exits 2 on usage errors and prints one JSON error document with --json', () => {
    const unknown = airlock(['frobnicate', '--json']);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout).error.code).toBe('USAGE');
    const missing = airlock(['run', 'x', '--data-dir', dataDir, '--json']);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).error.message).toMatch(/--input/);
    const badFlag = airlock(['models', '--colour']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/Unknown option/);
    expect(airlock(['--help']).stdout).toContain('bundle create');
  });

  it('takes its data directory from --data-dir, else AIRLOCK_HOME', () => {
    const viaEnv = join(root, 'env-home');
    const r = airlock(['models', '--json'], { AIRLOCK_HOME: viaEnv });
    expect(r.code).toBe(0);
    expect(statSync(join(viaEnv, 'airlock.db')).isFile()).toBe(true);
  });

  it('airlock demo runs offline on a fresh machine', () => {
    const r = airlock(['demo', '--data-dir', join(root, 'demo'), '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    // ppocr-rec, ppocr-cls, ppocr-det and the ppocr pipeline bundle.
    expect(doc.imported.installed).toBe(4);
    expect(doc.inference.probabilities).toHaveLength(2);
    expect(doc.ocr.lines.map((l: { text: string }) => l.text.replace(/\s+/g, '').toUpperCase())).toEqual([
      'AIRLOCK2026',
      'OFFLINEINFERENCE',
    ]);
    expect(doc.audit.ok).toBe(true);
  });
});

describe('help for command groups', () => {
  const names = COMMANDS.map((c) => c.name);
  // Every leading run of words that more than one word of a command name starts with: "users",
  // "trust", "trust policy", ... and "models", which is also a command of its own.
  const groups = [
    ...new Set(
      names.flatMap((name) => {
        const words = name.split(' ');
        return words.slice(1).map((_, i) => words.slice(0, i + 1).join(' '));
      }),
    ),
  ];
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  /** Whether the help text has the command's own line (name, then its args or the line's end). */
  const lists = (text: string, name: string) => new RegExp(`^  ${escape(name)}( |$)`, 'm').test(text);

  async function run(...argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      isTTY: false,
      env: {},
    });
    return { code, stdout, stderr };
  }

  it('finds the groups in the command list', () => {
    expect(groups).toEqual(
      expect.arrayContaining(['users', 'trust', 'trust policy', 'revocations', 'models', 'audit', 'bench']),
    );
  });

  it('GROUP --help and help GROUP list every command of the group and exit 0', async () => {
    for (const group of groups) {
      const members = names.filter((n) => n.startsWith(`${group} `));
      const others = names.filter((n) => !n.startsWith(`${group} `) && n !== group);
      for (const argv of [
        [...group.split(' '), '--help'],
        ['help', ...group.split(' ')],
        [...group.split(' '), '-h'],
      ]) {
        const r = await run(...argv);
        const said = `airlock ${argv.join(' ')}`;
        expect(r.code, said).toBe(0);
        expect(r.stderr, said).toBe('');
        for (const name of members) expect(lists(r.stdout, name), `${said} lists ${name}`).toBe(true);
        for (const name of others) expect(lists(r.stdout, name), `${said} lists ${name}`).toBe(false);
      }
    }
  });

  it('a group alone is a usage error (exit 2) that lists its commands', async () => {
    for (const group of groups.filter((g) => !names.includes(g))) {
      const r = await run(...group.split(' '));
      expect(r.code, group).toBe(2);
      expect(r.stdout, group).toBe('');
      expect(r.stderr).toContain(`"airlock ${group}" needs a command.`);
      for (const name of names.filter((n) => n.startsWith(`${group} `)))
        expect(lists(r.stderr, name)).toBe(true);
    }
    const asJson = await run('users', '--json');
    expect(asJson.code).toBe(2);
    expect(JSON.parse(asJson.stdout).error.code).toBe('USAGE');
  });

  it('a full command keeps its own help; unknown groups and commands say so and exit 2', async () => {
    const add = await run('users', 'add', '--help');
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/^Usage: airlock users add NAME --role ROLE/);
    expect(add.stdout).toContain('--role VALUE');
    expect((await run('help', 'users', 'add')).stdout).toBe(add.stdout);
    // "models" is a command (the list) and a group: its help shows both.
    const models = await run('models', '--help');
    expect(models.stdout).toMatch(/^Usage: airlock models\n/);
    expect(lists(models.stdout, 'models disable')).toBe(true);

    // The real command line, as a user types it.
    const users = airlock(['users', '--help']);
    expect(users.code).toBe(0);
    expect(lists(users.stdout, 'users add')).toBe(true);
    for (const argv of [['frobnicate', '--help'], ['help', 'frobnicate'], ['frobnicate']]) {
      const r = airlock(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toContain('Unknown command "frobnicate".');
    }
    const sub = airlock(['users', 'frobnicate']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain('Unknown command "users frobnicate".');
    expect(lists(sub.stderr, 'users add')).toBe(true);
  });
});
