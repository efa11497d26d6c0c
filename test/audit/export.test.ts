import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../runtime/api/handlers.js';
import { canonicalJson } from '../../runtime/util/canonical-json.js';
import { VERIFIER_SOURCE } from '../../runtime/audit/verifier/embedded.js';
import type { AuditExportReport } from '../../runtime/contract/audit.js';
import { auditEnv, fill, type AuditEnv } from './helpers.js';

let env: AuditEnv;
let full: AuditExportReport;
let range: AuditExportReport;
const DAY = 86_400_000;

beforeAll(async () => {
  env = await auditEnv();
  await call(env.handlers, 'audit:configure', { checkpointEvery: 40 }, { actor: env.admin });
  fill(env.airlock, env.admin, 60, 7); // day 0
  env.clock.advance(DAY);
  fill(env.airlock, env.admin, 60, 7); // day 1
  env.clock.advance(DAY);
  fill(env.airlock, env.admin, 60, 7); // day 2
  const auditor = env.actorOf('auditor');
  full = await call(env.handlers, 'audit:export', { out: join(env.root, 'full') }, { actor: auditor });
  const day1 = new Date(env.clock.t - DAY);
  range = await call(
    env.handlers,
    'audit:export',
    {
      out: join(env.root, 'range'),
      from: new Date(day1.getTime() - 1).toISOString(),
      to: new Date(day1.getTime() + 1).toISOString(),
    },
    { actor: auditor },
  );
});
afterAll(async () => env.close());

function verify(dir: string, ...args: string[]): { code: number; out: string } {
  const r = spawnSync(process.execPath, [join(dir, 'verify.js'), ...args], {
    encoding: 'utf8',
    cwd: env.root,
  });
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

/** A copy of the full export to tamper with. */
function copy(name: string): string {
  const dir = join(env.root, 'tamper', name);
  mkdirSync(join(env.root, 'tamper'), { recursive: true });
  cpSync(full.dir, dir, { recursive: true });
  return dir;
}

const lines = (dir: string) => readFileSync(join(dir, 'records.jsonl'), 'utf8').split('\n').filter(Boolean);
const writeLines = (dir: string, ls: string[]) =>
  writeFileSync(join(dir, 'records.jsonl'), ls.map((l) => l + '\n').join(''));

describe('audit export', () => {
  it('writes records (JSONL, CSV), signed checkpoint, public key, manifest and verify.js; the export is audited', () => {
    expect(readdirSync(full.dir).sort()).toEqual([
      'README.txt',
      'checkpoint.json',
      'checkpoints.jsonl',
      'installation.pub.pem',
      'manifest.json',
      'manifest.sig',
      'records.csv',
      'records.jsonl',
      'verify.js',
    ]);
    expect(full).toMatchObject({ fromSeq: 1 });
    expect(lines(full.dir)).toHaveLength(full.count);
    const csv = readFileSync(join(full.dir, 'records.csv'), 'utf8').trimEnd().split('\r\n');
    expect(csv).toHaveLength(full.count + 1);
    expect(csv[0]).toBe('seq,ts,actor,source,installation,action,target,outcome,details,prev_hash,hash');
    const manifest = JSON.parse(readFileSync(join(full.dir, 'manifest.json'), 'utf8'));
    for (const f of manifest.files)
      expect(
        createHash('sha256')
          .update(readFileSync(join(full.dir, f.name)))
          .digest('hex'),
      ).toBe(f.sha256);
    const exports = env.airlock.audit.list({ action: 'audit.export', limit: 10, order: 'asc' });
    expect(exports[0]).toMatchObject({
      actor: 'aude',
      target: full.dir,
      details: { fromSeq: 1, toSeq: full.toSeq, count: full.count },
    });
  });

  it('copies the verifier the engine embeds, which is verify-export.js byte for byte (rerun embed.mjs after editing it)', () => {
    const source = readFileSync(
      new URL('../../runtime/audit/verifier/verify-export.js', import.meta.url),
      'utf8',
    );
    expect(VERIFIER_SOURCE).toBe(source);
    expect(readFileSync(join(full.dir, 'verify.js'), 'utf8')).toBe(source);
  });

  it('verify.js says VALID (exit 0) from inside the folder with no arguments, and with the folder as argument', () => {
    const inside = spawnSync(process.execPath, ['verify.js'], { encoding: 'utf8', cwd: full.dir });
    expect(inside.status).toBe(0);
    expect(inside.stdout).toMatch(/VERDICT: VALID/);
    const r = verify(full.dir, full.dir, '--key-id', full.checkpoint.body.keyId);
    expect(r.out).toMatch(/periodic signed checkpoint/);
    expect(r.code).toBe(0);
  });

  it('also runs where .js files are ES modules (a package.json with "type": "module" above it)', () => {
    const dir = join(env.root, 'esm-project');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    cpSync(full.dir, join(dir, 'export'), { recursive: true });
    expect(verify(join(dir, 'export')).code).toBe(0);
  });

  it('checks an inclusion proof for one chosen record', () => {
    const r = verify(full.dir, '--prove', '77');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/inclusion proof: record 77 .* is leaf 76 of the signed tree/);
    expect(verify(full.dir, '--prove', String(full.toSeq + 5))).toMatchObject({ code: 1 });
  });

  it('a range export (--from/--to) verifies on its own, anchored to the records before it', () => {
    expect(range.fromSeq).toBeGreaterThan(1);
    expect(range.toSeq).toBeLessThan(full.toSeq);
    const r = verify(range.dir, '--prove', String(range.fromSeq + 3));
    expect(r.out).toMatch(/VERDICT: VALID/);
    expect(r.code).toBe(0);
    const ls = lines(range.dir);
    expect(JSON.parse(ls[0]!).seq).toBe(range.fromSeq);
    expect(env.airlock.audit.list({ action: 'audit.export', limit: 1 })[0]).toMatchObject({
      details: { fromSeq: range.fromSeq, toSeq: range.toSeq },
    });
  });

  it('a cancelled export leaves no folder and no export record', async () => {
    const before = env.airlock.audit.list({ action: 'audit.export', limit: 100 }).length;
    const controller = new AbortController();
    controller.abort();
    const out = join(env.root, 'cancelled');
    await expect(
      call(env.handlers, 'audit:export', { out }, { actor: env.admin, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(env.root).filter((n) => n.includes('partial'))).toEqual([]);
    expect(env.airlock.audit.list({ action: 'audit.export', limit: 100 })).toHaveLength(before);
  });

  it('refuses a folder that is not empty, leaving it as it was', async () => {
    const dir = join(env.root, 'busy');
    mkdirSync(dir);
    writeFileSync(join(dir, 'keep.txt'), 'x');
    await expect(
      call(env.handlers, 'audit:export', { out: dir }, { actor: env.admin }),
    ).rejects.toMatchObject({ code: 'USAGE' });
    expect(readdirSync(dir)).toEqual(['keep.txt']);
  });
});

describe('tampered exports are caught, and the verifier says where', () => {
  it('an edited line', () => {
    const dir = copy('edited');
    const ls = lines(dir);
    const r5 = JSON.parse(ls[4]!);
    ls[4] = JSON.stringify({ ...r5, target: 'someone-else' });
    writeLines(dir, ls);
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'records.jsonl line 5 (record 5): its contents do not match its hash: the record was altered',
    );
    expect(r.out).toMatch(/VERDICT: NOT VALID/);
  });

  it('a deleted line', () => {
    const dir = copy('deleted');
    const ls = lines(dir);
    ls.splice(6, 1);
    writeLines(dir, ls);
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'records.jsonl line 7 (record 8): expected record 7, found 8: record 7 deleted or moved',
    );
  });

  it('reordered lines', () => {
    const dir = copy('reordered');
    const ls = lines(dir);
    [ls[2], ls[3]] = [ls[3]!, ls[2]!];
    writeLines(dir, ls);
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain('records.jsonl line 3 (record 4): expected record 3, found 4');
  });

  it('a truncated file', () => {
    const dir = copy('truncated');
    const text = readFileSync(join(dir, 'records.jsonl'));
    writeFileSync(join(dir, 'records.jsonl'), text.subarray(0, Math.floor(text.length * 0.6)));
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /records\.jsonl line \d+: not a complete JSON record: the file was truncated or edited here/,
    );
    expect(r.out).toMatch(/records\.jsonl: \d+ bytes, the manifest says \d+: the file was truncated/);
    expect(r.out).toMatch(/records missing at the end \(truncated\)/);
  });

  it('re-signed with another key (checkpoint, manifest and public key all replaced consistently)', () => {
    const dir = copy('resigned');
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const keyId = createHash('sha256')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex');
    writeFileSync(join(dir, 'installation.pub.pem'), pem);
    const cp = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
    const body = { ...cp.body, keyId };
    writeFileSync(
      join(dir, 'checkpoint.json'),
      JSON.stringify({
        body,
        signature: sign(null, Buffer.from(canonicalJson(body)), privateKey).toString('base64'),
      }),
    );
    writeFileSync(join(dir, 'checkpoints.jsonl'), '');
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    manifest.keyId = keyId;
    manifest.files = manifest.files.map((f: { name: string }) => {
      const data = readFileSync(join(dir, f.name));
      return { name: f.name, sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length };
    });
    const text = JSON.stringify(manifest, null, 2) + '\n';
    writeFileSync(join(dir, 'manifest.json'), text);
    writeFileSync(join(dir, 'manifest.sig'), sign(null, Buffer.from(text), privateKey).toString('base64'));
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `records.jsonl line 1 (record 1): the log announces installation key ${full.checkpoint.body.keyId}, but this export is signed by key ${keyId}: re-signed with another key`,
    );
    // And with the key on record pinned, the substitution is named directly.
    const pinned = verify(dir, '--key-id', full.checkpoint.body.keyId);
    expect(pinned.out).toContain('not the key on record you gave with --key-id');
    expect(pinned.code).toBe(1);
  });

  it('a checkpoint signature that does not verify', () => {
    const dir = copy('badsig');
    const cp = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
    cp.body.treeSize += 1;
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(cp));
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain('checkpoint.json: the checkpoint signature does not verify');
  });
});
