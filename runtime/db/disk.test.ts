import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isDiskFull, NEARLY_FULL_BYTES } from './disk.js';

const err = (code: string) => Object.assign(new Error(code), { code });

describe('isDiskFull', () => {
  it.each([
    ['ENOSPC', 10 ** 9, true],
    ['EDQUOT', 10 ** 9, true],
    ['SQLITE_FULL', 10 ** 9, true],
    ['SQLITE_IOERR_SHMSIZE', 0, true],
    ['SQLITE_IOERR_WRITE', NEARLY_FULL_BYTES - 1, true],
    ['SQLITE_CANTOPEN', 4096, true],
    ['SQLITE_IOERR_WRITE', 10 ** 9, false],
    ['SQLITE_IOERR_SHMSIZE', null, false],
    ['SQLITE_CORRUPT', 0, false],
    ['SQLITE_BUSY', 0, false],
    ['EACCES', 0, false],
  ] as const)('%s with %s bytes free → %s', (code, free, full) => {
    expect(isDiskFull(err(code), () => free)).toBe(full);
  });

  it("a real SQLITE_FULL (SQLite's max_page_count) is a full disk", () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-disk-'));
    try {
      const db = new Database(join(dir, 'x.db'));
      db.exec('CREATE TABLE t (x BLOB)');
      db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
      let caught: unknown = null;
      try {
        db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(64 * 1024));
      } catch (e) {
        caught = e;
      }
      db.close();
      expect(caught).toMatchObject({ code: 'SQLITE_FULL' });
      expect(isDiskFull(caught, () => 10 ** 9)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
