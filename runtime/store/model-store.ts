import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import {
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../db/database.js';
import type { DataPaths } from '../paths.js';
import { sha256File } from '../util/hash.js';
import { isAlive } from '../util/pid.js';
import { readRegularFile } from '../util/read-file.js';
import { DEFAULT_LIMITS } from '../bundle/limits.js';

/** One import's staging area: files land here while they are hashed, then move into the store. */
export class Staging {
  private readonly files = new Map<string, string>();
  private counter = 0;

  constructor(readonly dir: string) {}

  /** A write stream for a payload file; `flush` makes close fsync the data. */
  sink(path: string): WriteStream {
    const file = join(this.dir, String(this.counter++).padStart(4, '0'));
    this.files.set(path, file);
    return createWriteStream(file, { flags: 'wx', mode: 0o644, flush: true });
  }

  fileFor(path: string): string {
    const file = this.files.get(path);
    if (!file) throw new Error(`nothing staged for ${path}`);
    return file;
  }

  /** The staged bytes of a payload file (null when nothing was staged for it). */
  async read(path: string): Promise<Buffer | null> {
    const file = this.files.get(path);
    return file ? readStoredFile(file) : null;
  }

  async discard(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Content-addressed blob store: store/sha256/<hex>. Blobs arrive by rename from staging (same
 * file system, atomic), and a blob without a database row is garbage that `recover` removes, so a
 * crash at any point leaves the old state or the complete new one.
 */
export class ModelStore {
  constructor(
    private readonly paths: DataPaths,
    private readonly db: Db,
  ) {}

  blobPath(sha256: string): string {
    return join(this.paths.blobs, sha256);
  }

  async newStaging(): Promise<Staging> {
    const dir = join(this.paths.staging, `${process.pid}-${randomUUID()}`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new Staging(dir);
  }

  /**
   * Moves verified staged files into the store. Synchronous on purpose: the caller runs it inside
   * the IMMEDIATE transaction that inserts the model rows, so the database write lock orders it
   * against `recover` in other processes. Idempotent: an existing blob is kept.
   */
  commitSync(staging: Staging, files: readonly { path: string; sha256: string }[]): void {
    mkdirSync(this.paths.blobs, { recursive: true, mode: 0o700 });
    for (const f of files) {
      const target = this.blobPath(f.sha256);
      if (!existsSync(target)) renameSync(staging.fileFor(f.path), target);
    }
    syncDirSync(this.paths.blobs);
  }

  /**
   * A blob's bytes, read once from a regular file (a link or a FIFO in its place is not
   * followed): null when it is missing or unreadable. The caller hashes these very bytes against
   * the signed digest and hands the same bytes on, so nothing can change between check and use.
   */
  async read(sha256: string): Promise<Buffer | null> {
    return readStoredFile(this.blobPath(sha256));
  }

  /** Re-hashes a blob (before a model is loaded): true when it still holds what was installed. */
  async check(sha256: string): Promise<boolean> {
    try {
      return (await sha256File(this.blobPath(sha256))).sha256 === sha256;
    } catch {
      return false;
    }
  }

  /**
   * At start (after the caller is authenticated): removes staging folders left by interrupted
   * imports (their process is gone), and blobs no model row references (a crash between the
   * rename and the commit). Runs under the database write lock so it never races a live import in
   * another process. Deletes only what it made, judged by lstat: a folder named like its staging
   * folders, a regular file named by a SHA-256. Links, other names and other kinds of entry are
   * left alone (a link is never followed, nor deleted for what it points at).
   */
  recover(): { staging: number; blobs: number } {
    mkdirSync(this.paths.staging, { recursive: true, mode: 0o700 });
    mkdirSync(this.paths.blobs, { recursive: true, mode: 0o700 });
    let staging = 0;
    for (const name of readdirSync(this.paths.staging)) {
      const match = STAGING_NAME.exec(name);
      if (!match) continue;
      const pid = Number(match[1]);
      if (pid === process.pid || isAlive(pid)) continue;
      const path = join(this.paths.staging, name);
      if (!isKind(path, 'dir')) continue;
      rmSync(path, { recursive: true, force: true });
      staging += 1;
    }
    const blobs = this.db
      .transaction(() => {
        const referenced = new Set(
          this.db.prepare('SELECT DISTINCT sha256 FROM model_files').pluck().all() as string[],
        );
        let removed = 0;
        for (const name of readdirSync(this.paths.blobs)) {
          if (!BLOB_NAME.test(name) || referenced.has(name)) continue;
          const path = join(this.paths.blobs, name);
          if (!isKind(path, 'file')) continue;
          rmSync(path, { force: true });
          removed += 1;
        }
        return removed;
      })
      .immediate();
    return { staging, blobs };
  }
}

/**
 * The bytes of a file the store made (a blob, a staged file): a regular file, not through a link,
 * bounded by the largest payload file a bundle may hold; null when that is not what is there.
 */
async function readStoredFile(path: string): Promise<Buffer | null> {
  try {
    return await readRegularFile(path, {
      maxBytes: DEFAULT_LIMITS.maxFileBytes,
      what: 'installed file',
      followLinks: false,
    });
  } catch {
    return null;
  }
}

/** The names this store gives: staging folders `<pid>-<uuid>` (newStaging), blobs `<sha256 hex>`. */
const STAGING_NAME = /^([1-9][0-9]{0,9})-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BLOB_NAME = /^[0-9a-f]{64}$/;

/** A real folder or regular file (lstat: a link is neither). */
function isKind(path: string, kind: 'dir' | 'file'): boolean {
  try {
    const st = lstatSync(path);
    return kind === 'dir' ? st.isDirectory() : st.isFile();
  } catch {
    return false;
  }
}

function syncDirSync(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Windows cannot open directories for fsync; NTFS journals the rename itself.
  }
}
