#!/usr/bin/env node
// Audit log figures (issue 5), each beside a baseline measured in this same run on this machine:
//  1. durable single events per second (AuditLog.append: hash chain, IMMEDIATE transaction,
//     synchronous=FULL, checkpoint every 1000) vs a raw durable INSERT of the same row (the
//     baselines use a table with the same columns and indexes: the ratio is the chain's cost);
//  2. batched events per second (appendMany, 1000 per transaction) vs raw batched INSERTs;
//  3. seconds to verify 1 M records (AuditLog.verify) vs reading the same rows without hashing;
//  4. seconds to export 1 M records (audit:export: checkpoint, JSONL + CSV with digests, manifest)
//     vs plain JSON.stringify of the rows to one file, and seconds for the standalone verify.js;
//  5. export bytes per record.
// Usage: node bench/audit.mjs [--quick]   (--quick: 50 000 records instead of 1 000 000)
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, statSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Airlock } from '../dist/runtime/airlock.js';
import { call, createHandlers } from '../dist/runtime/api/handlers.js';

const quick = process.argv.includes('--quick');
const TOTAL = quick ? 50_000 : 1_000_000;
const SINGLE = quick ? 300 : 2_000;
const BATCH = 1000;
const fmt = (x, d = 2) => x.toFixed(d);
const event = (i) => ({
  action: 'inference.run',
  target: `model-${i % 7}@1.0.0`,
  outcome: 'success',
  details: { inputDigest: 'a'.repeat(64), latencyMs: 3.25, provider: 'cpu', i },
});

function rawDb(file) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(
    'CREATE TABLE t (seq INTEGER PRIMARY KEY, ts TEXT, actor TEXT, source TEXT, installation TEXT, action TEXT, target TEXT, outcome TEXT, details TEXT, prev_hash TEXT, hash TEXT UNIQUE) STRICT; CREATE INDEX t_ts ON t (ts); CREATE INDEX t_action ON t (action);',
  );
  const ins = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  let seq = 0;
  const row = (i) => {
    const e = event(i);
    return [
      ++seq,
      new Date().toISOString(),
      'bench',
      'bench:1',
      'inst',
      e.action,
      e.target,
      e.outcome,
      JSON.stringify(e.details),
      'p'.repeat(64),
      randomBytes(32).toString('hex'),
    ];
  };
  return {
    db,
    single: (i) => db.transaction(() => ins.run(...row(i))).immediate(),
    batch: (i, n) =>
      db
        .transaction(() => {
          for (let j = 0; j < n; j++) ins.run(...row(i + j));
        })
        .immediate(),
  };
}

const root = await mkdtemp(join(tmpdir(), 'airlock-bench-audit-'));
try {
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; ${TOTAL.toLocaleString()} records${quick ? ' (--quick)' : ''}`,
  );
  const airlock = Airlock.open({ dataDir: join(root, 'data') });
  const handlers = createHandlers(airlock);
  const admin = airlock.signIn.authenticateOsUser({ name: 'bench', source: `bench:${process.pid}` });
  const raw = rawDb(join(root, 'raw.db'));

  // 1. Durable single events.
  let t = performance.now();
  for (let i = 0; i < SINGLE; i++) raw.single(i);
  const rawSingle = SINGLE / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let i = 0; i < SINGLE; i++) airlock.audit.append(admin, event(i));
  const single = SINGLE / ((performance.now() - t) / 1000);
  console.log(
    `durable single events/s:  ${fmt(single, 0)}   (raw durable INSERT ${fmt(rawSingle, 0)}/s; ratio ${fmt(single / rawSingle)})`,
  );

  // 2. Batched events, up to TOTAL records.
  const rawN = Math.min(TOTAL, 200_000);
  t = performance.now();
  for (let i = 0; i < rawN; i += BATCH) raw.batch(i, BATCH);
  const rawBatched = rawN / ((performance.now() - t) / 1000);
  t = performance.now();
  let n = airlock.audit.head().count;
  while (n < TOTAL) {
    const k = Math.min(BATCH, TOTAL - n);
    airlock.audit.appendMany(
      admin,
      Array.from({ length: k }, (_, j) => event(n + j)),
    );
    n += k;
  }
  const batched = (TOTAL - SINGLE) / ((performance.now() - t) / 1000);
  console.log(
    `batched events/s:         ${fmt(batched, 0)}   (raw batched INSERT ${fmt(rawBatched, 0)}/s; ratio ${fmt(batched / rawBatched)}; batches of ${BATCH}, checkpoint every 1000)`,
  );

  // 3. Verify.
  t = performance.now();
  let rows = 0;
  for (const row of airlock.db.prepare('SELECT * FROM audit_log ORDER BY seq').raw().iterate())
    rows += row.length > 0 ? 1 : 0;
  const readOnly = (performance.now() - t) / 1000;
  t = performance.now();
  const report = airlock.audit.verify();
  const verifyS = (performance.now() - t) / 1000;
  if (!report.ok) throw new Error('chain did not verify');
  console.log(
    `verify ${report.count.toLocaleString()} records:   ${fmt(verifyS)} s   (reading the rows alone ${fmt(readOnly)} s; ratio ${fmt(verifyS / readOnly)}; ${rows} rows)`,
  );

  // 4. Export, and the standalone verifier on it.
  t = performance.now();
  const fd = openSync(join(root, 'plain.json'), 'w');
  for (const r of airlock.db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate())
    writeSync(fd, JSON.stringify(r) + '\n');
  closeSync(fd);
  const plain = (performance.now() - t) / 1000;
  t = performance.now();
  const exp = await call(handlers, 'audit:export', { out: join(root, 'export') }, { actor: admin });
  const exportS = (performance.now() - t) / 1000;
  console.log(
    `export ${exp.count.toLocaleString()} records:   ${fmt(exportS)} s   (plain JSON dump of the rows ${fmt(plain)} s; ratio ${fmt(exportS / plain)})`,
  );
  t = performance.now();
  const v = spawnSync(process.execPath, [join(exp.dir, 'verify.js')], { encoding: 'utf8' });
  const verifyJs = (performance.now() - t) / 1000;
  if (v.status !== 0) throw new Error(`verify.js failed: ${v.stdout}`);
  console.log(
    `verify.js on the export:  ${fmt(verifyJs)} s   (vs engine verify ${fmt(verifyS)} s; ratio ${fmt(verifyJs / verifyS)})`,
  );

  // 5. Size.
  const sizes = Object.fromEntries(readdirSync(exp.dir).map((f) => [f, statSync(join(exp.dir, f)).size]));
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);
  console.log(
    `export bytes per record:  ${fmt(total / exp.count, 1)} total (JSONL ${fmt(sizes['records.jsonl'] / exp.count, 1)}, CSV ${fmt(sizes['records.csv'] / exp.count, 1)}); database ${fmt(statSync(join(root, 'data', 'airlock.db')).size / exp.count, 1)} bytes/record`,
  );
  raw.db.close();
  await airlock.close();
} finally {
  await rm(root, { recursive: true, force: true });
}
