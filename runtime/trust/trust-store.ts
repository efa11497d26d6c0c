import type { TrustKey } from '../contract/trust.js';
import type { Db } from '../db/database.js';
import { AirlockError } from '../errors.js';
import { keyIdOf, parsePublicKey, publicKeyPem } from '../crypto/keys.js';

interface KeyRow {
  name: string;
  key_id: string;
  public_key_pem: string;
  role: 'publisher' | 'admin';
  added_at: string;
  added_by: string;
}

function toKey(row: KeyRow): TrustKey {
  return {
    name: row.name,
    keyId: row.key_id,
    publicKeyPem: row.public_key_pem,
    role: row.role,
    addedAt: row.added_at,
    addedBy: row.added_by,
  };
}

/**
 * The facility's trusted public keys, each with a name. Writes happen inside the caller's
 * transaction so that a change and its audit record commit together.
 */
export class TrustStore {
  constructor(private readonly db: Db) {}

  list(): TrustKey[] {
    return (this.db.prepare('SELECT * FROM trust_keys ORDER BY name').all() as KeyRow[]).map(toKey);
  }

  get(name: string): TrustKey | null {
    const row = this.db.prepare('SELECT * FROM trust_keys WHERE name = ?').get(name) as KeyRow | undefined;
    return row ? toKey(row) : null;
  }

  /** Validates and inserts; the caller wraps this and its audit record in one transaction. */
  add(
    input: { name: string; publicKeyPem: string; role: 'publisher' | 'admin' },
    addedBy: string,
    now: Date,
  ): TrustKey {
    const key = parsePublicKey(input.publicKeyPem, `the public key for "${input.name}"`);
    const keyId = keyIdOf(key);
    const byName = this.get(input.name);
    if (byName) {
      throw new AirlockError(
        'KEY_EXISTS',
        `A trusted key named "${input.name}" already exists (key id ${byName.keyId.slice(0, 16)}…). Remove it first or choose another name.`,
        { details: { name: input.name } },
      );
    }
    const byId = this.db.prepare('SELECT name FROM trust_keys WHERE key_id = ?').get(keyId) as
      { name: string } | undefined;
    if (byId) {
      throw new AirlockError('KEY_EXISTS', `This key is already trusted under the name "${byId.name}".`, {
        details: { name: byId.name, keyId },
      });
    }
    const row: KeyRow = {
      name: input.name,
      key_id: keyId,
      public_key_pem: publicKeyPem(key),
      role: input.role,
      added_at: now.toISOString(),
      added_by: addedBy,
    };
    this.db
      .prepare(
        'INSERT INTO trust_keys (name, key_id, public_key_pem, role, added_at, added_by) VALUES (@name, @key_id, @public_key_pem, @role, @added_at, @added_by)',
      )
      .run(row);
    return toKey(row);
  }

  remove(name: string): TrustKey {
    const existing = this.get(name);
    if (!existing) {
      throw new AirlockError(
        'KEY_NOT_FOUND',
        `No trusted key is named "${name}". "airlock trust list" shows the names.`,
        { details: { name } },
      );
    }
    this.db.prepare('DELETE FROM trust_keys WHERE name = ?').run(name);
    return existing;
  }
}
