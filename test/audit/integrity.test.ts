import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Airlock } from '../../runtime/airlock.js';
import { call, dispatch } from '../../runtime/api/handlers.js';
import { AuditLog, GENESIS_HASH, recordHash } from '../../runtime/audit/audit-log.js';
import {
  checkpointSignatureValid,
  CHECKPOINT_FILE,
  FILE_EVERY,
  FILE_INTERVAL_MS,
} from '../../runtime/audit/integrity.js';
import { HeadWitness, witnessPath } from '../../runtime/audit/head-witness.js';
import { INSTALLATION_KEY_FILE } from '../../runtime/audit/installation-key.js';
import {
  inclusionPath,
  leafHash,
  MerkleFrontier,
  rootFromPath,
  treeHash,
} from '../../runtime/audit/merkle.js';
import type { CheckpointBody } from '../../runtime/contract/audit.js';
import { generateSigningKey } from '../../runtime/crypto/keys.js';
import { auditCount, auditEnv, fill, type AuditEnv } from './helpers.js';

const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('RFC 6962 Merkle tree', () => {
  it('matches the Certificate Transparency test vectors', () => {
    const data = [
      '',
      '00',
      '10',
      '2021',
      '3031',
      '40414243',
      '5051525354555657',
      '606162636465666768696a6b6c6d6e6f',
    ].map((h) => Buffer.from(h, 'hex'));
    const leaves = data.map((d) =>
      createHash('sha256')
        .update(Buffer.concat([Buffer.from([0]), d]))
        .digest(),
    );
    const roots = [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ];
    for (let n = 1; n <= 8; n++) {
      expect(treeHash(leaves.slice(0, n)).toString('hex')).toBe(roots[n - 1]);
      const f = new MerkleFrontier();
      for (const l of leaves.slice(0, n)) f.push(l);
      expect(f.root().toString('hex')).toBe(roots[n - 1]);
    }
  });

  it('frontier, tree hash and inclusion proofs agree for every size and leaf up to 70; a wrong leaf or path fails', () => {
    const leaves = Array.from({ length: 70 }, (_, i) => leafHash(sha(Buffer.from(`record ${i}`))));
    const f = new MerkleFrontier();
    for (let n = 1; n <= 70; n++) {
      f.push(leaves[n - 1]!);
      const root = treeHash(leaves.slice(0, n));
      expect(f.root().equals(root)).toBe(true);
      const restored = new MerkleFrontier(n, f.roots());
      expect(restored.root().equals(root)).toBe(true);
      for (let m = 0; m < n; m++) {
        const path = inclusionPath(leaves.slice(0, n), m);
        expect(rootFromPath(leaves[m]!, m, n, path)?.equals(root)).toBe(true);
        if (n > 1) expect(rootFromPath(leaves[(m + 1) % n]!, m, n, path)?.equals(root) ?? false).toBe(false);
      }
    }
  });
});

let env: AuditEnv;
beforeEach(async () => {
  env = await auditEnv();
});
afterEach(async () => env.close());

describe('installation key and signed checkpoints', () => {
  it('makes the installation key at first start (mode 0600) and announces it in the log', () => {
    const keyFile = join(env.dataDir, 'keys', INSTALLATION_KEY_FILE);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const first = env.airlock.audit.list({ order: 'asc', limit: 1 })[0]!;
    expect(first).toMatchObject({
      seq: 1,
      action: 'audit.key.create',
      target: env.airlock.integrity.key().keyId,
    });
  });

  it('writes a signed checkpoint every N records, each with the right count, head and Merkle root', async () => {
    await call(env.handlers, 'audit:configure', { checkpointEvery: 10 }, { actor: env.admin });
    for (let i = 0; i < 35; i++)
      env.airlock.audit.append(env.admin, { action: 'test.event', target: `t${i}`, outcome: 'success' });
    const rows = env.airlock.db
      .prepare('SELECT tree_size, body, signature FROM audit_checkpoints ORDER BY tree_size')
      .all() as { tree_size: number; body: string; signature: string }[];
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const hashes = env.airlock.db
      .prepare('SELECT hash FROM audit_log ORDER BY seq')
      .pluck()
      .all() as string[];
    const publicKey = createPublicKey(readFileSync(join(env.dataDir, 'keys', 'installation.pub'), 'utf8'));
    for (let i = 0; i < rows.length; i++) {
      const body = JSON.parse(rows[i]!.body) as CheckpointBody;
      if (i > 0) expect(body.treeSize - rows[i - 1]!.tree_size).toBeLessThanOrEqual(10 + 1);
      expect(body.headHash).toBe(hashes[body.treeSize - 1]);
      expect(body.merkleRoot).toBe(treeHash(hashes.slice(0, body.treeSize).map(leafHash)).toString('hex'));
      expect(checkpointSignatureValid({ body, signature: rows[i]!.signature }, publicKey)).toBe(true);
      expect(
        checkpointSignatureValid(
          { body: { ...body, treeSize: body.treeSize + 1 }, signature: rows[i]!.signature },
          publicKey,
        ),
      ).toBe(false);
    }
    // The latest is also kept outside the database.
    const onFile = JSON.parse(readFileSync(join(env.dataDir, 'keys', CHECKPOINT_FILE), 'utf8'));
    expect(onFile.body.treeSize).toBe(rows.at(-1)!.tree_size);
  });

  it('gives an inclusion proof through the contract that reproduces the signed root', async () => {
    fill(env.airlock, env.admin, 100);
    const cp = await call(env.handlers, 'audit:checkpoint', {}, { actor: env.actorOf('auditor') });
    const proof = await call(env.handlers, 'audit:prove', { seq: 42 }, { actor: env.actorOf('auditor') });
    expect(proof.treeSize).toBeGreaterThanOrEqual(cp.body.treeSize);
    const leaf = Buffer.from(proof.leafHash, 'hex');
    const root = rootFromPath(
      leaf,
      41,
      proof.treeSize,
      proof.path.map((p) => Buffer.from(p, 'hex')),
    );
    expect(root?.toString('hex')).toBe(proof.merkleRoot);
  });
});

describe('a database rolled back to an older copy', () => {
  it('is refused at start with AUDIT_ROLLBACK and left untouched', async () => {
    fill(env.airlock, env.admin, 20);
    await env.airlock.close();
    const db = join(env.dataDir, 'airlock.db');
    expect(existsSync(`${db}-wal`)).toBe(false);
    copyFileSync(db, join(env.root, 'backup.db'));
    await env.reopen();
    fill(env.airlock, env.admin, 5);
    await env.airlock.close();
    copyFileSync(join(env.root, 'backup.db'), db);
    const before = sha(readFileSync(db));
    expect(() => Airlock.open({ dataDir: env.dataDir })).toThrow(
      expect.objectContaining({
        code: 'AUDIT_ROLLBACK',
        message: expect.stringMatching(/holds \d+ audit records but the signed checkpoint/),
      }),
    );
    expect(sha(readFileSync(db))).toBe(before);
    // A deliberate restore: the checkpoint file is moved aside, which the start records; the witness
    // beside the data directory still knows the log had gone further, until an admin accepts it.
    renameSync(join(env.dataDir, 'keys', CHECKPOINT_FILE), join(env.root, 'old-checkpoint.json'));
    expect(() => Airlock.open({ dataDir: env.dataDir })).toThrow(
      expect.objectContaining({ code: 'AUDIT_ROLLBACK', message: expect.stringMatching(/5 missing/) }),
    );
    expect(sha(readFileSync(db))).toBe(before);
    const accept = spawnSync(process.execPath, [BIN, 'audit', 'accept-restore', '--data-dir', env.dataDir], {
      encoding: 'utf8',
    });
    expect(accept.status, accept.stderr).toBe(0);
    env.airlock = Airlock.open({ dataDir: env.dataDir, now: env.clock.now });
    expect(env.airlock.audit.list({ action: 'audit.checkpoint.missing', limit: 5 })).toHaveLength(1);
    const [accepted] = env.airlock.audit.list({ action: 'audit.restore.accept', limit: 5 });
    expect(accepted?.details['lost']).toMatchObject({ count: 5 });
    expect(env.airlock.audit.verify().ok).toBe(true);
  });

  it('a database replaced by another history of the same length is refused too', async () => {
    fill(env.airlock, env.admin, 5);
    await env.airlock.close();
    const db = join(env.dataDir, 'airlock.db');
    copyFileSync(db, join(env.root, 'backup.db'));
    await env.reopen();
    fill(env.airlock, env.admin, 3);
    await env.airlock.close();
    const file = JSON.parse(readFileSync(join(env.dataDir, 'keys', CHECKPOINT_FILE), 'utf8'));
    copyFileSync(join(env.root, 'backup.db'), db);
    // Forge the same number of records with other contents (an attacker without the key).
    const raw = new Database(db);
    const installation = raw
      .prepare("SELECT value FROM settings WHERE key = 'installation.id'")
      .pluck()
      .get() as string;
    const log = new AuditLog(raw, installation);
    while (log.head().count < file.body.treeSize)
      log.append({ name: 'forger', source: 'x' }, { action: 'test.forged', target: 'x', outcome: 'success' });
    raw.close();
    expect(() => Airlock.open({ dataDir: env.dataDir })).toThrow(
      expect.objectContaining({
        code: 'AUDIT_ROLLBACK',
        message: expect.stringMatching(/differs from the one the signed checkpoint/),
      }),
    );
    env.airlock = Airlock.open({ dataDir: join(env.root, 'other') });
  });
});

describe('a rewritten history', () => {
  it('every hash recomputed after an edit: verify() names the first signed checkpoint it contradicts', async () => {
    await call(env.handlers, 'audit:configure', { checkpointEvery: 10 }, { actor: env.admin });
    for (let i = 0; i < 30; i++)
      env.airlock.audit.append(env.admin, { action: 'test.event', target: `t${i}`, outcome: 'success' });
    const first = env.airlock.db
      .prepare('SELECT min(tree_size) FROM audit_checkpoints')
      .pluck()
      .get() as number;
    await env.airlock.close();
    const raw = new Database(join(env.dataDir, 'airlock.db'));
    raw.exec('DROP TRIGGER audit_log_no_update');
    const rows = raw.prepare('SELECT * FROM audit_log ORDER BY seq').all() as (Parameters<
      typeof recordHash
    >[0] & { hash: string })[];
    let prev = GENESIS_HASH;
    const put = raw.prepare('UPDATE audit_log SET target = ?, prev_hash = ?, hash = ? WHERE seq = ?');
    raw.transaction(() => {
      for (const row of rows) {
        const target = row.seq === 3 ? 'someone-else' : row.target;
        const { hash: _old, ...rest } = { ...row, target, prev_hash: prev };
        const hash = recordHash(rest);
        put.run(target, prev, hash, row.seq);
        prev = hash;
      }
    })();
    const report = new AuditLog(raw, 'x').verify();
    raw.close();
    expect(report.ok).toBe(false);
    expect(report.firstBroken).toEqual({
      seq: first,
      reason: expect.stringMatching(/differ from the signed checkpoint/),
    });
    // And the engine refuses to start on it: the checkpoint outside the database disagrees.
    expect(() => Airlock.open({ dataDir: env.dataDir })).toThrow(
      expect.objectContaining({ code: 'AUDIT_ROLLBACK' }),
    );
    env.airlock = Airlock.open({ dataDir: join(env.root, 'other') });
  });
});

describe('AU-5: an action that cannot be recorded does not happen', () => {
  it('trust:add while another process holds the database locked → AUDIT_WRITE_FAILED, no key, no record', async () => {
    await env.reopen({ busyTimeoutMs: 150 });
    const keysBefore = env.airlock.db.prepare('SELECT * FROM trust_keys').all();
    const countBefore = auditCount(env.airlock);
    const auditor = env.actorOf('auditor');
    const before = auditCount(env.airlock);
    const blocker = new Database(join(env.dataDir, 'airlock.db'));
    blocker.exec('BEGIN EXCLUSIVE');
    try {
      const r = await dispatch(
        env.handlers,
        'trust:add',
        { name: 'late', publicKeyPem: generateSigningKey().publicKeyPem },
        { actor: env.admin },
      );
      expect(r.ok ? 'ok' : r.error.code).toBe('AUDIT_WRITE_FAILED');
      expect(r.ok ? '' : r.error.message).toMatch(/nothing was changed/);
      // A refusal that cannot be recorded is still a refusal, reported as the write failure.
      const refused = await dispatch(env.handlers, 'users:list', {}, { actor: auditor });
      expect(refused).toMatchObject({ ok: false, error: { code: 'AUDIT_WRITE_FAILED' } });
      // And the CLI's sign-in itself cannot proceed unrecorded.
      expect(() => env.airlock.signIn.authenticateOsUser({ name: 'olga-os', source: 'cli:1' })).toThrow(
        expect.objectContaining({ code: 'AUDIT_WRITE_FAILED' }),
      );
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    expect(env.airlock.db.prepare('SELECT * FROM trust_keys').all()).toEqual(keysBefore);
    expect(auditCount(env.airlock)).toBe(before);
    expect(before).toBe(countBefore);
  });
});

describe('append-only by construction', () => {
  it('no engine code updates or deletes audit rows except the sealed-archive path', () => {
    const root = new URL('../../runtime/', import.meta.url).pathname;
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (/\.(ts|js)$/.test(e.name) && !e.name.endsWith('.test.ts')) files.push(join(d, e.name));
      }
    };
    walk(root);
    const writers: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      if (
        /(UPDATE|DELETE\s+FROM|REPLACE\s+INTO|DROP\s+TRIGGER|DROP\s+TABLE)\s+(audit_log|audit_checkpoints|audit_archives)\b/i.test(
          text,
        )
      )
        writers.push(relative(root, f));
    }
    expect(writers).toEqual(['audit/retention.ts']);
    env.airlock.integrity.checkpoint();
    expect(() => env.airlock.db.prepare('DELETE FROM audit_checkpoints').run()).toThrow(/append-only/);
    expect(() => env.airlock.db.prepare("UPDATE audit_log SET actor = 'x'").run()).toThrow(/append-only/);
  });
});

describe('retention', () => {
  it('moves old records into a sealed archive; the chain continues across the boundary and nothing is lost', async () => {
    fill(env.airlock, env.admin, 50);
    env.clock.advance(40 * 86_400_000);
    fill(env.airlock, env.admin, 10);
    const before = env.airlock.audit.head();
    await call(env.handlers, 'audit:configure', { retentionDays: 30 }, { actor: env.admin });
    const report = await call(env.handlers, 'audit:archive', {}, { actor: env.admin });
    expect(report).toMatchObject({ archived: true, fromSeq: 1 });
    expect(report.toSeq).toBeGreaterThanOrEqual(50);
    expect(report.toSeq).toBeLessThan(before.count);
    expect(env.airlock.db.prepare('SELECT min(seq) FROM audit_log').pluck().get()).toBe(report.toSeq + 1);
    const verify = env.airlock.audit.verify();
    expect(verify).toMatchObject({ ok: true, firstBroken: null });
    expect(verify.count).toBe(env.airlock.audit.head().count);
    expect(env.airlock.audit.list({ limit: 1 })[0]).toMatchObject({
      action: 'audit.archive',
      details: { fromSeq: 1, toSeq: report.toSeq },
    });
    // Appends continue the chain after a reopen, and checkpoints still verify.
    await env.reopen();
    fill(env.airlock, env.admin, 3);
    expect(env.airlock.audit.verify().ok).toBe(true);
    await call(env.handlers, 'audit:checkpoint', {}, { actor: env.admin });
    expect(existsSync(join(report.dir!, 'verify.js'))).toBe(true);
    expect(statSync(join(report.dir!, 'records.jsonl')).size).toBeGreaterThan(0);
    // The sealed archive verifies with the same verifier; a later export is anchored at the boundary.
    const archived = spawnSync(process.execPath, [join(report.dir!, 'verify.js')], { encoding: 'utf8' });
    expect(archived.stdout).toMatch(/VERDICT: VALID/);
    expect(archived.status).toBe(0);
    const later = await call(
      env.handlers,
      'audit:export',
      { out: join(env.root, 'after-archive') },
      { actor: env.admin },
    );
    expect(later.fromSeq).toBe(report.toSeq + 1);
    const r = spawnSync(
      process.execPath,
      [join(later.dir, 'verify.js'), '--prove', String(later.toSeq - 1)],
      { encoding: 'utf8' },
    );
    expect(r.stdout).toMatch(/VERDICT: VALID/);
    expect(r.status).toBe(0);
    // A later run continues from the boundary; its archive is anchored there and verifies too.
    env.clock.advance(40 * 86_400_000);
    fill(env.airlock, env.admin, 5);
    const second = await call(env.handlers, 'audit:archive', {}, { actor: env.admin });
    expect(second).toMatchObject({ archived: true, fromSeq: report.toSeq + 1 });
    const v2 = spawnSync(process.execPath, [join(second.dir!, 'verify.js')], { encoding: 'utf8' });
    expect(v2.stdout).toMatch(/VERDICT: VALID/);
    expect(env.airlock.audit.verify()).toMatchObject({ ok: true, count: env.airlock.audit.head().count });
    expect(env.airlock.db.prepare('SELECT count(*) FROM audit_archives').pluck().get()).toBe(2);
  });
});

describe('the anchors outside the database: how far behind they may be, and what they catch', () => {
  const cpFile = () => join(env.dataDir, 'keys', CHECKPOINT_FILE);
  const onFile = () => (JSON.parse(readFileSync(cpFile(), 'utf8')) as { body: CheckpointBody }).body.treeSize;
  const witnessFile = () => witnessPath(env.dataDir);

  it(`the signed file trails an operator's records by fewer than ${FILE_EVERY}, reaches the head within ${FILE_INTERVAL_MS / 1000} s and at every admin change`, async () => {
    const operator = env.actorOf('operator');
    for (let i = 0; i < 3 * FILE_EVERY; i++) {
      env.airlock.audit.append(operator, { action: 'test.run', target: `r${i}`, outcome: 'success' });
      expect(env.airlock.audit.head().count - onFile()).toBeLessThan(FILE_EVERY);
    }
    // A quiet spell: the next record after FILE_INTERVAL_MS brings the file to the head.
    env.clock.advance(FILE_INTERVAL_MS);
    env.airlock.audit.append(operator, { action: 'test.run', target: 'late', outcome: 'success' });
    expect(onFile()).toBe(env.airlock.audit.head().count);
    env.airlock.audit.append(operator, { action: 'test.run', target: 'one more', outcome: 'success' });
    expect(onFile()).toBeLessThan(env.airlock.audit.head().count);
    // A privileged change is anchored at once.
    await call(env.handlers, 'audit:configure', { retentionDays: 30 }, { actor: env.admin });
    expect(onFile()).toBe(env.airlock.audit.head().count);
    // The witness follows every commit.
    const witness = JSON.parse(readFileSync(witnessFile(), 'utf8')) as { treeSize: number; headHash: string };
    expect(witness.treeSize).toBe(env.airlock.audit.head().count);
    expect(witness.headHash).toBe(env.airlock.audit.head().hash);
  });

  it('a deleted database is not a first start: refused, nothing created, until the owner accepts it', async () => {
    fill(env.airlock, env.admin, 10);
    const head = env.airlock.audit.head().count;
    await env.airlock.close();
    const files = ['airlock.db', 'airlock.db-wal', 'airlock.db-shm'].map((f) => join(env.dataDir, f));
    for (const f of files) rmSync(f, { force: true });
    expect(() => Airlock.open({ dataDir: env.dataDir })).toThrow(
      expect.objectContaining({
        code: 'AUDIT_ROLLBACK',
        message: expect.stringMatching(/does not exist, but the audit log/),
      }),
    );
    expect(files.filter((f) => existsSync(f))).toEqual([]);
    const accept = spawnSync(process.execPath, [BIN, 'audit', 'accept-restore', '--data-dir', env.dataDir], {
      encoding: 'utf8',
    });
    expect(accept.status, accept.stderr).toBe(0);
    env.airlock = Airlock.open({ dataDir: env.dataDir, now: env.clock.now });
    const [accepted] = env.airlock.audit.list({ action: 'audit.restore.accept', limit: 1 });
    expect(accepted?.details['lost']).toEqual({ fromSeq: 1, toSeq: head, count: head });
  });

  it('audit verify says when acknowledged records are not in the database', async () => {
    const head = env.airlock.audit.head();
    // Another process's acknowledged records that this database no longer holds.
    const witness = new HeadWitness(witnessFile());
    witness.write({
      format: 'airlock.audit.witness/v1',
      installation: env.airlock.installationId,
      treeSize: head.count + 3,
      headHash: 'f'.repeat(64),
      ts: new Date().toISOString(),
    });
    witness.close();
    const report = await call(env.handlers, 'audit:verify', {}, { actor: env.actorOf('auditor') });
    expect(report.ok).toBe(false);
    expect(report.firstBroken).toEqual({
      seq: head.count + 1,
      reason: expect.stringMatching(
        new RegExp(`records ${head.count + 1}\\.\\.${head.count + 3} were acknowledged`),
      ),
    });
  });

  it('an unreadable witness or a link in its place is recorded and replaced, never followed', async () => {
    await env.airlock.close();
    const target = join(env.root, 'elsewhere.txt');
    writeFileSync(target, 'not yours');
    rmSync(witnessFile());
    symlinkSync(target, witnessFile());
    env.airlock = Airlock.open({ dataDir: env.dataDir, now: env.clock.now });
    expect(readFileSync(target, 'utf8')).toBe('not yours');
    expect(lstatSync(witnessFile()).isFile()).toBe(true);
    const [replaced] = env.airlock.audit.list({ action: 'audit.witness.replaced', limit: 1 });
    expect(replaced?.details['reason']).toMatch(/not a regular file/);
    await env.airlock.close();
    writeFileSync(witnessFile(), '\0\0\0garbage');
    env.airlock = Airlock.open({ dataDir: env.dataDir, now: env.clock.now });
    expect(env.airlock.audit.list({ action: 'audit.witness.replaced', limit: 5 })).toHaveLength(2);
    await env.airlock.close();
    rmSync(witnessFile());
    env.airlock = Airlock.open({ dataDir: env.dataDir, now: env.clock.now });
    expect(env.airlock.audit.list({ action: 'audit.witness.missing', limit: 5 })).toHaveLength(1);
    expect(env.airlock.audit.verify().ok).toBe(true);
  });
});
