import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The witness sits beside the data directory, not in it: a backup of the directory does not carry it. */
export function witnessPath(dataDir: string): string {
  return join(dirname(dataDir), `.${basename(dataDir)}.audit-witness`);
}

export interface WitnessBody {
  readonly format: 'airlock.audit.witness/v1';
  readonly installation: string;
  /** The last acknowledged record: its seq and hash. */
  readonly treeSize: number;
  readonly headHash: string;
  readonly ts: string;
}

/** What reading the witness found. */
export type WitnessRead =
  | { readonly kind: 'absent' }
  | { readonly kind: 'unreadable'; readonly why: string }
  | { readonly kind: 'ok'; readonly body: WitnessBody };

const SLOT = 512;

/**
 * The head of the audit log as last acknowledged, kept outside the database and outside the data
 * directory, rewritten in place after every commit (one pwrite of a fixed-size slot, no fsync).
 * It survives a killed process (the kernel keeps the write) and is not part of a backup of the
 * data directory, so a database that lost acknowledged records (its -wal file deleted after a
 * crash, a restored backup) ends below it and is caught at the next start. It is not signed: it
 * does not stand against someone who can write the service account's files (exports and signed
 * checkpoints held elsewhere do); after a power loss it may be behind, never ahead, because the
 * database commit it follows is fsynced first.
 */
export class HeadWitness {
  private fd: number | null = null;

  constructor(readonly file: string) {}

  /** Where an admin moves the witness to accept a deliberate restore (`airlock audit accept-restore`). */
  get acceptedFile(): string {
    return `${this.file}.accepted`;
  }

  read(file = this.file): WitnessRead {
    let info;
    try {
      info = lstatSync(file);
    } catch {
      return { kind: 'absent' };
    }
    if (!info.isFile()) return { kind: 'unreadable', why: `${file} is not a regular file` };
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      return { kind: 'unreadable', why: (error as Error).message };
    }
    try {
      const buf = Buffer.alloc(SLOT);
      const n = readSync(fd, buf, 0, SLOT, 0);
      const body = JSON.parse(buf.subarray(0, n).toString('utf8').trim()) as Partial<WitnessBody>;
      if (
        body.format !== 'airlock.audit.witness/v1' ||
        typeof body.installation !== 'string' ||
        typeof body.treeSize !== 'number' ||
        !Number.isSafeInteger(body.treeSize) ||
        typeof body.headHash !== 'string' ||
        typeof body.ts !== 'string'
      )
        return { kind: 'unreadable', why: `${file} is not an audit witness` };
      return { kind: 'ok', body: body as WitnessBody };
    } catch (error) {
      return { kind: 'unreadable', why: `${file} cannot be read (${(error as Error).message})` };
    } finally {
      closeSync(fd);
    }
  }

  /** Rewrites the slot in place; the file is made (0600, never through a link) on first use. */
  write(body: WitnessBody): void {
    if (this.fd === null) {
      const fd = openSync(this.file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
      if (!fstatSync(fd).isFile()) {
        closeSync(fd);
        throw new Error(`${this.file} is not a regular file`);
      }
      this.fd = fd;
    }
    const text = JSON.stringify(body);
    const slot = Buffer.alloc(SLOT, 0x20);
    slot.write(text, 0, 'utf8');
    slot[SLOT - 1] = 0x0a;
    writeSync(this.fd, slot, 0, SLOT, 0);
  }

  /** Keeps an accepted or replaced witness beside the new one, as evidence. */
  keepAside(from: string, stamp: string): string {
    const to = `${this.file}.${stamp}`;
    renameSync(from, to);
    return to;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
