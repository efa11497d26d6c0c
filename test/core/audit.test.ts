import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Airlock } from '../../runtime/airlock.js';
import { AuditLog, GENESIS_HASH, recordHash } from '../../runtime/audit/audit-log.js';
import { openDatabase } from '../../runtime/db/database.js';
import { MIGRATIONS } from '../../runtime/db/migrations/index.js';
import { ctx, environment, rawDb, tempDir, testActor, type Env } from './helpers.js';

let env: Env;
beforeEach(async () => {
  env = await environment();
  for (let i = 0; i < 9; i++)
    env.airlock.audit.append(testActor, {
      action: 'test.event',
      target: `t${i}`,
      outcome: 'success',
      details: { i },
    });
});
afterEach(async () => env.close());

function verifyFresh(): ReturnType<AuditLog['verify']> {
  const db = openDatabase(join(env.dataDir, 'airlock.db'));
  try {
    return new AuditLog(db, 'x').verify();
  } finally {
    db.close();
  }
}

/** Drops the append-only triggers, as an attacker editing the file with sqlite3 would. */
function tamper(fn: (db: Database.Database) => void): void {
  const db = rawDb(env.dataDir);
  db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
  fn(db);
  db.close();
}

describe('audit chain', () => {
  it('chains every record to the one before and verifies', () => {
    const records = env.airlock.audit.list({ order: 'asc', limit: 100 });
    expect(records[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < records.length; i++) expect(records[i]!.prevHash).toBe(records[i - 1]!.hash);
    expect(
      // Record 1 is the engine announcing the installation's signing key (issue 5).
      records.every(
        (r) =>
          r.installation === env.airlock.installationId &&
          (r.source === testActor.source || r.action === 'audit.key.create'),
      ),
    ).toBe(true);
    const report = env.airlock.audit.verify();
    expect(report).toMatchObject({
      ok: true,
      count: records.length,
      firstBroken: null,
      headHash: records.at(-1)!.hash,
    });
  });

  it('is append-only: the schema refuses UPDATE and DELETE', () => {
    expect(() =>
      env.airlock.db.prepare("UPDATE audit_log SET outcome = 'failure' WHERE seq = 2").run(),
    ).toThrow(/append-only/);
    expect(() => env.airlock.db.prepare('DELETE FROM audit_log WHERE seq = 2').run()).toThrow(/append-only/);
    expect(env.airlock.audit.verify().ok).toBe(true);
  });

  it('names an edited record', async () => {
    await env.airlock.close();
    tamper((db) => db.prepare("UPDATE audit_log SET target = 'someone-else' WHERE seq = 5").run());
    const report = verifyFresh();
    expect(report.ok).toBe(false);
    expect(report.firstBroken?.seq).toBe(5);
    expect(report.firstBroken?.reason).toMatch(/altered/);
    expect(report.count).toBe(4);
    env = { ...env, airlock: Airlock.open({ dataDir: env.dataDir }) };
  });

  it('names a deleted record', async () => {
    await env.airlock.close();
    tamper((db) => db.prepare('DELETE FROM audit_log WHERE seq = 4').run());
    const report = verifyFresh();
    expect(report.firstBroken).toEqual({ seq: 4, reason: expect.stringMatching(/missing/) });
    env = { ...env, airlock: Airlock.open({ dataDir: env.dataDir }) };
  });

  it('names reordered records', async () => {
    await env.airlock.close();
    tamper((db) => {
      const a = db.prepare('SELECT * FROM audit_log WHERE seq = 6').get() as Record<string, unknown>;
      const b = db.prepare('SELECT * FROM audit_log WHERE seq = 7').get() as Record<string, unknown>;
      const put = db.prepare(
        'UPDATE audit_log SET ts=@ts, actor=@actor, source=@source, installation=@installation, action=@action, target=@target, outcome=@outcome, details=@details, prev_hash=@prev_hash, hash=@hash WHERE seq=@seq',
      );
      db.transaction(() => {
        put.run({ ...b, seq: 6, hash: 'tmp' });
        put.run({ ...a, seq: 7 });
        put.run({ ...b, seq: 6 });
      })();
    });
    const report = verifyFresh();
    expect(report.ok).toBe(false);
    expect(report.firstBroken?.seq).toBe(6);
    env = { ...env, airlock: Airlock.open({ dataDir: env.dataDir }) };
  });

  it('a record rewritten with a recomputed hash still breaks the link of the next one', async () => {
    await env.airlock.close();
    tamper((db) => {
      const row = db.prepare('SELECT * FROM audit_log WHERE seq = 3').get() as Parameters<
        typeof recordHash
      >[0] & { hash: string };
      const forged = { ...row, outcome: 'failure' as const };
      const { hash: _old, ...rest } = forged;
      db.prepare('UPDATE audit_log SET outcome = ?, hash = ? WHERE seq = 3').run('failure', recordHash(rest));
    });
    const report = verifyFresh();
    expect(report.firstBroken?.seq).toBe(4);
    expect(report.firstBroken?.reason).toMatch(/does not link/);
    env = { ...env, airlock: Airlock.open({ dataDir: env.dataDir }) };
  });

  it('appendMany is all-or-nothing and keeps the chain', () => {
    const before = env.airlock.audit.head();
    const records = env.airlock.audit.appendMany(testActor, [
      { action: 'a', target: '1', outcome: 'success' },
      { action: 'b', target: '2', outcome: 'failure', details: { why: 'test' } },
    ]);
    expect(records.map((r) => r.seq)).toEqual([before.count + 1, before.count + 2]);
    expect(env.airlock.audit.verify().ok).toBe(true);
  });

  it('commits durably (WAL, synchronous=FULL)', () => {
    expect(env.airlock.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(env.airlock.db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('audit:verify through the contract is itself recorded', async () => {
    const report = await env.handlers['audit:verify']({}, ctx);
    expect(report.ok).toBe(true);
    const last = env.airlock.audit.list({ limit: 1 })[0]!;
    expect(last.action).toBe('audit.verify');
    expect(last.details).toMatchObject({ count: report.count });
  });
});

describe('database migrations', () => {
  it('refuses a database from a newer Airlock and leaves it untouched', async () => {
    const dir = await tempDir();
    const file = join(dir, 'airlock.db');
    const db = openDatabase(file);
    db.pragma('user_version = 9990');
    db.close();
    copyFileSync(file, file + '.before');
    expect(() => openDatabase(file)).toThrow(expect.objectContaining({ code: 'DB_TOO_NEW' }));
    const again = new Database(file, { readonly: true });
    expect(again.pragma('user_version', { simple: true })).toBe(9990);
    again.close();
  });

  it('records the latest migration in user_version and makes STRICT tables', () => {
    expect(env.airlock.db.pragma('user_version', { simple: true })).toBe(
      Math.max(...MIGRATIONS.map((m) => m.version)),
    );
    const sql = env.airlock.db
      .prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .pluck()
      .all() as string[];
    expect(sql.length).toBeGreaterThan(3);
    for (const s of sql) expect(s).toMatch(/STRICT\s*$/);
  });
});
