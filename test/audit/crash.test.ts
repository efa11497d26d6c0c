import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Airlock } from '../../runtime/airlock.js';
import { call, createHandlers } from '../../runtime/api/handlers.js';
import { AuditLog } from '../../runtime/audit/audit-log.js';

const REPO = new URL('../../', import.meta.url).pathname;
const CHILD = new URL('./crash-child.mjs', import.meta.url).pathname;
const BIN = new URL('../../bin/airlock.js', import.meta.url).pathname;
const KILLS = 50;
let root: string;
let dataDir: string;

beforeAll(async () => {
  // The child imports the compiled engine; build it if needed (errors elsewhere do not stop emit).
  try {
    execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-b'], {
      cwd: REPO,
      stdio: 'ignore',
    });
  } catch {
    // Type errors in files being edited by others; dist/ is still emitted.
  }
  if (!existsSync(join(REPO, 'dist/runtime/airlock.js')))
    throw new Error('dist/runtime was not built; run "npx tsc -b".');
  root = await mkdtemp(join(tmpdir(), 'airlock-crash-'));
  dataDir = join(root, 'data');
  const airlock = Airlock.open({ dataDir });
  const admin = airlock.signIn.authenticateOsUser({ name: 'crash-admin', source: 'test' });
  // Frequent checkpoints, so that kills also land while a checkpoint is being written.
  await call(createHandlers(airlock), 'audit:configure', { checkpointEvery: 25 }, { actor: admin });
  await airlock.close();
});
afterAll(async () => rm(root, { recursive: true, force: true }));

/** Runs the child, kills it with SIGKILL at a random moment after it starts logging; returns what it acknowledged. */
function runAndKill(delayMs: number, dir = dataDir): Promise<{ acked: [number, string][]; ready: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    let ready = false;
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      if (!ready && buffer.includes('ready\n')) {
        ready = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') return reject(new Error(`child ended without being killed: ${stderr}`));
      // Only complete lines were acknowledged; a line cut by the kill is ignored.
      const acked = buffer
        .split('\n')
        .slice(0, -1)
        .filter((l) => /^\d+ [0-9a-f]{64}$/.test(l))
        .map((l) => l.split(' ') as [string, string])
        .map(([s, h]) => [Number(s), h] as [number, string]);
      resolve({ acked, ready });
    });
  });
}

describe('crash safety', () => {
  it(`every acknowledged event survives SIGKILL at random moments (${KILLS} kills) and the chain verifies`, async () => {
    let totalAcked = 0;
    for (let i = 0; i < KILLS; i++) {
      const { acked, ready } = await runAndKill(Math.floor(Math.random() * 120));
      expect(ready, `run ${i}: the child could not start (a rolled-back or broken log would stop it)`).toBe(
        true,
      );
      totalAcked += acked.length;
      const db = new Database(join(dataDir, 'airlock.db'));
      try {
        const byHash = db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck();
        for (const [seq, hash] of acked)
          expect(byHash.get(seq), `run ${i}: acknowledged record ${seq}`).toBe(hash);
        const report = new AuditLog(db, 'check').verify();
        expect(report.firstBroken, `run ${i}`).toBeNull();
        expect(report.ok).toBe(true);
      } finally {
        db.close();
      }
    }
    expect(totalAcked).toBeGreaterThan(KILLS);
    // The data directory still opens (no false rollback alarm) and its checkpoints are consistent.
    const airlock = Airlock.open({ dataDir });
    try {
      expect(airlock.audit.verify().ok).toBe(true);
      const cp = airlock.integrity.checkpoint();
      expect(cp.body.treeSize).toBe(airlock.audit.head().count);
    } finally {
      await airlock.close();
    }
  }, 240_000);

  it('acknowledged records lost with the -wal file after a SIGKILL are caught at the next start, nothing written', async () => {
    const dir = join(root, 'wal-lost');
    // An installation whose earlier history is in the database file itself (close checkpoints the WAL).
    await Airlock.open({ dataDir: dir }).close();
    const { acked, ready } = await runAndKill(150, dir);
    expect(ready).toBe(true);
    expect(acked.length).toBeGreaterThan(3);
    // The kill left the acknowledged commits in the WAL; someone deletes it (and the shm).
    const wal = join(dir, 'airlock.db-wal');
    expect(existsSync(wal)).toBe(true);
    rmSync(wal);
    rmSync(join(dir, 'airlock.db-shm'), { force: true });
    const before = readFileSync(join(dir, 'airlock.db'));
    expect(() => Airlock.open({ dataDir: dir })).toThrow(
      expect.objectContaining({
        code: 'AUDIT_ROLLBACK',
        message: expect.stringMatching(/-wal file was deleted/),
      }),
    );
    expect(readFileSync(join(dir, 'airlock.db')).equals(before)).toBe(true);
    // Accepted by the owner: the next start records how many acknowledged records are gone.
    const accept = spawnSync(process.execPath, [BIN, 'audit', 'accept-restore', '--data-dir', dir], {
      encoding: 'utf8',
    });
    expect(accept.status, accept.stderr).toBe(0);
    const airlock = Airlock.open({ dataDir: dir });
    try {
      const [record] = airlock.audit.list({ action: 'audit.restore.accept', limit: 1 });
      const lost = record!.details['lost'] as { fromSeq: number; toSeq: number; count: number };
      // The witness follows each commit, so it may know a record the child had no time to print.
      expect(lost.toSeq).toBeGreaterThanOrEqual(acked.at(-1)![0]);
      expect(lost.count).toBeGreaterThan(0);
      expect(airlock.audit.verify().ok).toBe(true);
    } finally {
      await airlock.close();
    }
  });

  it('two processes starting together on a new data directory agree on one installation key', async () => {
    const fresh = join(root, 'fresh');
    const runs = await Promise.all([runAndKill(150, fresh), runAndKill(150, fresh)]);
    expect(runs.every((r) => r.ready)).toBe(true);
    const airlock = Airlock.open({ dataDir: fresh });
    try {
      const announced = airlock.audit.list({ action: 'audit.key.create', limit: 10 });
      expect(announced.map((r) => r.target)).toEqual([airlock.integrity.key().keyId]);
      expect(airlock.audit.verify().ok).toBe(true);
    } finally {
      await airlock.close();
    }
  });
});
