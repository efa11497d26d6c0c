/**
 * Issue 10, item 13: a full disk is reported as what it is (DISK_FULL, not DB_CORRUPT "disk I/O
 * error"), and `airlock batch` leaves no results file behind for a job it could not record.
 * A real full file system where this machine lets root mount a small tmpfs (CI runs as root);
 * SQLite's own SQLITE_FULL (max_page_count) and another connection's write lock everywhere.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { Airlock } from '../../runtime/airlock.js';
import type { Actor } from '../../runtime/audit/audit-log.js';
import { openDatabase } from '../../runtime/db/database.js';
import { MIGRATIONS } from '../../runtime/db/migrations/index.js';
import { diskState } from './data-dir-helpers.js';
import { exportAudit } from '../../runtime/audit/export.js';

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'airlock-diskfull-'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

const operator: Actor = { name: 'olga', source: 'test', role: 'operator' };

/** A folder of JSON inputs (the job is recorded before any model runs). */
function inputs(count = 2): string {
  const dir = join(root, `inputs${n++}`);
  mkdirSync(dir);
  for (let i = 0; i < count; i++)
    writeFileSync(join(dir, `${String(i).padStart(4, '0')}.json`), `{"x":[[${i},2,3,4]]}`);
  return dir;
}

function jobState(airlock: Airlock) {
  return {
    jobs: airlock.db.prepare('SELECT * FROM jobs').all(),
    items: airlock.db.prepare('SELECT count(*) FROM job_items').pluck().get(),
    audit: airlock.db.prepare('SELECT count(*) FROM audit_log').pluck().get(),
  };
}

/** Mounts a tmpfs of `size` at a new folder, or skips (printing why) where that is not allowed. */
function mountTmpfs(context: TestContext, size: string): string {
  const at = join(root, `mnt${n++}`);
  mkdirSync(at);
  if (process.getuid?.() !== 0) {
    console.info('skipped: mounting a small file system needs root');
    context.skip();
  }
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', at], { stdio: 'pipe' });
  } catch (error) {
    console.info(`skipped: cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]})`);
    context.skip();
  }
  return at;
}

function unmount(at: string): void {
  execFileSync('umount', [at]);
}

/** Fills the file system holding `dir` until a write fails with ENOSPC. */
function fill(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w');
  try {
    const chunk = Buffer.alloc(64 * 1024, 1);
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  // Whatever fits in less than a chunk.
  for (let size = 32 * 1024; size >= 1; size = Math.floor(size / 2)) {
    try {
      writeFileSync(join(dir, `filler-${size}`), Buffer.alloc(size, 1));
    } catch {
      // Full at this size.
    }
  }
}

describe('a full disk at open (real file system: tmpfs)', () => {
  it('an existing data directory on a full disk → DISK_FULL (not DB_CORRUPT); its files are unchanged', async (context) => {
    const mnt = mountTmpfs(context, '8m');
    try {
      const dataDir = join(mnt, 'data');
      const airlock = Airlock.open({ dataDir });
      airlock.signIn.authenticateOsUser({ name: 'facility-admin', source: 'test' });
      await airlock.close();
      fill(mnt);
      const before = diskState(dataDir);
      expect(() => Airlock.open({ dataDir })).toThrow(
        expect.objectContaining({
          code: 'DISK_FULL',
          message: expect.stringMatching(/disk holding .* is full/),
        }),
      );
      // SQLite may leave its empty -wal and -shm files (it made them before the disk refused more).
      const after = diskState(dataDir);
      for (const side of ['airlock.db-wal', 'airlock.db-shm']) {
        if (!before[side] && after[side]) delete after[side];
      }
      expect(after).toEqual(before);
      rmSync(join(mnt, 'filler'));
      // With space again it opens, and the log verifies.
      const again = Airlock.open({ dataDir });
      expect(again.audit.verify().ok).toBe(true);
      await again.close();
    } finally {
      unmount(mnt);
    }
  });

  it('a new data directory on a full disk → DISK_FULL, and no half-made database is left', async (context) => {
    const mnt = mountTmpfs(context, '1m');
    try {
      mkdirSync(join(mnt, 'data'), { mode: 0o700 });
      fill(mnt);
      expect(() => Airlock.open({ dataDir: join(mnt, 'data') })).toThrow(
        expect.objectContaining({ code: 'DISK_FULL' }),
      );
      expect(readdirSync(join(mnt, 'data'))).toEqual([]);
    } finally {
      unmount(mnt);
    }
  });

  it('batch: a results file on a full disk → DISK_FULL; no results file, no job, no record', async (context) => {
    const mnt = mountTmpfs(context, '1m');
    let airlock: Airlock | null = null;
    try {
      airlock = Airlock.open({ dataDir: join(root, `data${n++}`) });
      fill(mnt);
      const before = jobState(airlock);
      const out = join(mnt, 'results.csv');
      await expect(
        airlock.jobs.start(operator, { model: 'classifier', inputsDir: inputs(), outFile: out }),
      ).rejects.toMatchObject({ code: 'DISK_FULL' });
      expect(existsSync(out)).toBe(false);
      expect(jobState(airlock)).toEqual(before);
    } finally {
      await airlock?.close();
      unmount(mnt);
    }
  });
});

describe('an audit export to a full medium (tmpfs)', () => {
  it('→ DISK_FULL (not INTERNAL); nothing of the export is left there and no audit.export is recorded', async (context) => {
    const mnt = mountTmpfs(context, '1m');
    let airlock: Airlock | null = null;
    try {
      airlock = Airlock.open({ dataDir: join(root, `data${n++}`) });
      fill(mnt);
      const onStick = readdirSync(mnt).sort();
      const records = airlock.db.prepare('SELECT count(*) FROM audit_log').pluck().get();
      await expect(
        exportAudit(
          airlock,
          { name: 'ann', source: 'test', role: 'auditor' },
          { out: join(mnt, 'audit-export') },
        ),
      ).rejects.toMatchObject({ code: 'DISK_FULL' });
      expect(readdirSync(mnt).sort()).toEqual(onStick);
      expect(airlock.db.prepare('SELECT count(*) FROM audit_log').pluck().get()).toBe(records);
    } finally {
      await airlock?.close();
      unmount(mnt);
    }
  });
});

describe('a disk that fills during a batch (tmpfs)', () => {
  it('→ DISK_FULL naming the resume command; after freeing space, resume gives every input exactly one line', async (context) => {
    const mnt = mountTmpfs(context, '1m');
    let airlock: Airlock | null = null;
    try {
      airlock = Airlock.open({ dataDir: join(root, `data${n++}`) });
      const many = inputs(300);
      fill(mnt);
      rmSync(join(mnt, 'filler'));
      // Room for the header and some lines, not for 300 (each says why the model cannot run).
      const filler = openSync(join(mnt, 'filler'), 'w');
      try {
        for (;;) writeSync(filler, Buffer.alloc(4096, 1));
      } catch {
        // Full again.
      } finally {
        closeSync(filler);
      }
      rmSync(join(mnt, 'filler-32768'), { force: true });
      const out = join(mnt, 'results.jsonl');
      const refused = await airlock.jobs
        .start(operator, { model: 'classifier', inputsDir: many, outFile: out, config: { concurrency: 1 } })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(refused).toMatchObject({
        code: 'DISK_FULL',
        message: expect.stringMatching(/airlock jobs resume/),
      });
      const [job] = airlock.jobStore.list();
      expect(job).toBeDefined();
      rmSync(join(mnt, 'filler'));
      const done = await airlock.jobs.resume(operator, job!.id);
      expect(done).toMatchObject({ state: 'completed', total: 300 });
      const lines = readFileSync(out, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { file: string });
      expect(lines.map((l) => l.file)).toEqual(readdirSync(many).sort());
    } finally {
      await airlock?.close();
      unmount(mnt);
    }
  });
});

describe('SQLite says the database is full (SQLITE_FULL, through max_page_count)', () => {
  it('while a new database is set up → DISK_FULL, and the new file is removed', () => {
    const file = join(root, `new${n++}.db`);
    const filling = {
      version: 10_000,
      name: 'fill the disk',
      up(db: Database.Database) {
        db.pragma(`max_page_count = ${(db.pragma('page_count', { simple: true }) as number) + 1}`);
        db.exec('CREATE TABLE filler (x BLOB) STRICT');
        db.prepare('INSERT INTO filler VALUES (?)').run(Buffer.alloc(1024 * 1024));
      },
    };
    expect(() => openDatabase(file, { migrations: [...MIGRATIONS, filling] })).toThrow(
      expect.objectContaining({ code: 'DISK_FULL' }),
    );
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(existsSync(f), f).toBe(false);
  });

  it('batch: the job cannot be recorded → AUDIT_WRITE_FAILED; no header-only results file is left', async () => {
    const airlock = Airlock.open({ dataDir: join(root, `data${n++}`) });
    try {
      const before = jobState(airlock);
      const many = inputs(400);
      // No free page left and no new one allowed: the job's 400 item rows need pages.
      airlock.db.exec('VACUUM');
      airlock.db.pragma(`max_page_count = ${airlock.db.pragma('page_count', { simple: true }) as number}`);
      const out = join(root, `results${n++}.csv`);
      await expect(
        airlock.jobs.start(operator, { model: 'classifier', inputsDir: many, outFile: out }),
      ).rejects.toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
      expect(existsSync(out)).toBe(false);
      airlock.db.pragma('max_page_count = 1073741823');
      expect(jobState(airlock)).toEqual(before);
    } finally {
      await airlock.close();
    }
  });
});

describe('batch while another process holds the database locked', () => {
  it.each(['results.csv', 'results.jsonl'])(
    'the job cannot be recorded → AUDIT_WRITE_FAILED; no %s is left behind',
    async (name) => {
      const dataDir = join(root, `data${n++}`);
      const airlock = Airlock.open({ dataDir, busyTimeoutMs: 150 });
      const blocker = new Database(join(dataDir, 'airlock.db'));
      try {
        const before = jobState(airlock);
        const out = join(root, `${n++}-${name}`);
        blocker.exec('BEGIN EXCLUSIVE');
        try {
          await expect(
            airlock.jobs.start(operator, { model: 'classifier', inputsDir: inputs(), outFile: out }),
          ).rejects.toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
        } finally {
          blocker.exec('ROLLBACK');
        }
        expect(existsSync(out)).toBe(false);
        expect(jobState(airlock)).toEqual(before);
      } finally {
        blocker.close();
        await airlock.close();
      }
    },
  );
});
