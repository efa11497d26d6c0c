import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { keyIdOf } from '../crypto/keys.js';
import type { Db } from '../db/database.js';
import { AirlockError } from '../errors.js';
import type { Actor, AuditLog } from './audit-log.js';
import { osProblem } from '../util/os-problem.js';

export const INSTALLATION_KEY_FILE = 'installation.key';
export const INSTALLATION_PUB_FILE = 'installation.pub';

/** The engine itself, for records it writes on its own (key creation, missing checkpoint file, re-checks). */
export const SYSTEM_ACTOR: Actor = { name: 'airlock', source: `engine:${process.pid}`, role: 'admin' };

export interface InstallationKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  readonly keyId: string;
}

/**
 * Writes a file so that it is either the old or the new one after a crash: temp file, fsync,
 * rename. The temp file is opened without following a link, and gets `mode` even when a stale
 * one of the same name was there.
 */
export function writeFileDurable(file: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0),
    mode,
  );
  try {
    fchmodSync(fd, mode);
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/**
 * The installation's own Ed25519 key (NIST AU-10), in the data directory's keys/ folder: made on
 * first start, announced once in the audit log (an exported log names the key that must have
 * signed it), and read once per process.
 */
export class InstallationKeys {
  private cache: InstallationKey | null = null;

  constructor(
    private readonly db: Db,
    private readonly keysDir: string,
    private readonly audit: Pick<AuditLog, 'recorded'>,
  ) {}

  get(): InstallationKey {
    if (this.cache) return this.cache;
    const keyFile = join(this.keysDir, INSTALLATION_KEY_FILE);
    const pubFile = join(this.keysDir, INSTALLATION_PUB_FILE);
    const made = !existsSync(keyFile) && this.publishNewKey(keyFile);
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(readFileSync(keyFile, 'utf8'));
    } catch (cause) {
      throw new AirlockError(
        'KEY_INVALID',
        `The installation key ${keyFile} cannot be read (${(cause as NodeJS.ErrnoException).code ? osProblem(cause) : 'it is not a PEM private key'}). Restore it from backup; the audit log cannot be signed without it.`,
        { cause, details: { os: (cause as Error).message } },
      );
    }
    const publicKey = createPublicKey(privateKey);
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const keyId = keyIdOf(publicKey);
    if (made || !existsSync(pubFile)) writeFileDurable(pubFile, publicKeyPem);
    this.cache = { privateKey, publicKey, publicKeyPem, keyId };
    return this.cache;
  }

  /**
   * Records the key in the log once (an exported log names the key that must have signed it);
   * at start, after the checks that may refuse it, so a refused start writes nothing.
   */
  announce(): void {
    const { keyId, publicKeyPem } = this.get();
    // Checked again under the write lock: two processes starting together announce once.
    if (this.recordedKeyId() !== keyId) {
      this.audit.recorded(SYSTEM_ACTOR, () => {
        const recorded = this.recordedKeyId();
        if (recorded === keyId) return { result: null, event: [] };
        this.db
          .prepare(
            "INSERT INTO settings (key, value) VALUES ('audit.key.id', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
          )
          .run(keyId);
        return {
          result: null,
          event: {
            action: 'audit.key.create',
            target: keyId,
            outcome: recorded ? 'failure' : 'success',
            details: {
              keyId,
              publicKeyPem,
              ...(recorded
                ? { replaces: recorded, reason: 'the installation key file was missing or replaced' }
                : {}),
            },
          },
        };
      });
    }
  }

  private recordedKeyId(): string | null {
    return (
      (this.db.prepare("SELECT value FROM settings WHERE key = 'audit.key.id'").pluck().get() as
        string | undefined) ?? null
    );
  }

  /**
   * Makes a key and publishes it with link(2), which fails if another process starting at the
   * same moment published one first: then that one is used. Returns whether this process made it.
   */
  private publishNewKey(keyFile: string): boolean {
    mkdirSync(this.keysDir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    const tmp = `${keyFile}.tmp-${process.pid}`;
    writeFileDurable(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
    try {
      linkSync(tmp, keyFile);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
}
