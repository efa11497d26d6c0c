import { createHash, createPublicKey } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Migration } from './migration.js';

/**
 * Trust policies bound to key ids (issue 10). Each applied policy gets, beside it, what it means
 * here: its admin keys, the publisher keys that count and its rules, all by key id
 * (`ResolvedPolicy` in runtime/contract/policy.ts). Admission and the admin-signature check read
 * only that while a policy is in force; a name that later points at another key counts for nothing.
 *
 * A database that already has a policy in force gets its resolution now, as the engine before this
 * migration read it on every decision: admin keys and publisher keys from the trust store (the
 * policy's own keys beside them), a rule's names meaning every such key of that name, an unknown
 * name nothing. Self-contained on purpose: a migration never changes once released.
 */
export const migration0100: Migration = {
  version: 100,
  name: 'trust policies resolved to key ids',
  up(db) {
    db.exec(`
      CREATE TABLE trust_policy_resolved (
        version  INTEGER PRIMARY KEY REFERENCES trust_policy (version),
        resolved TEXT NOT NULL,
        source   TEXT NOT NULL CHECK (source IN ('apply', 'migration'))
      ) STRICT;
      CREATE TRIGGER trust_policy_resolved_no_update BEFORE UPDATE ON trust_policy_resolved
      BEGIN SELECT RAISE(ABORT, 'trust_policy_resolved is append-only'); END;
      CREATE TRIGGER trust_policy_resolved_no_delete BEFORE DELETE ON trust_policy_resolved
      BEGIN SELECT RAISE(ABORT, 'trust_policy_resolved is append-only'); END;
    `);
    const current = db
      .prepare('SELECT version, document FROM trust_policy ORDER BY version DESC LIMIT 1')
      .get() as { version: number; document: string } | undefined;
    if (!current) return;
    db.prepare(
      "INSERT INTO trust_policy_resolved (version, resolved, source) VALUES (?, ?, 'migration')",
    ).run(
      current.version,
      JSON.stringify(resolveAsBefore(db, JSON.parse(current.document) as LegacyDocument)),
    );
  },
};

interface LegacyDocument {
  version: number;
  adminThreshold?: number;
  defaultThreshold?: number;
  keys?: { name: string; publicKeyPem: string }[];
  rules?: { pattern: string; keys: string[]; threshold: number }[];
}

interface Key {
  name: string;
  keyId: string;
  publicKeyPem: string;
}

function resolveAsBefore(db: Database.Database, doc: LegacyDocument) {
  const stored = db
    .prepare('SELECT name, key_id, public_key_pem, role FROM trust_keys ORDER BY name')
    .all() as {
    name: string;
    key_id: string;
    public_key_pem: string;
    role: 'publisher' | 'admin';
  }[];
  const toKey = (k: (typeof stored)[number]): Key => ({
    name: k.name,
    keyId: k.key_id,
    publicKeyPem: k.public_key_pem,
  });
  const candidates: (Key & { source: 'trust-store' | 'policy' })[] = [
    ...stored
      .filter((k) => k.role === 'publisher')
      .map((k) => ({ ...toKey(k), source: 'trust-store' as const })),
  ];
  for (const k of doc.keys ?? []) {
    const key = createPublicKey(k.publicKeyPem);
    candidates.push({
      name: k.name,
      keyId: createHash('sha256')
        .update(key.export({ type: 'spki', format: 'der' }))
        .digest('hex'),
      publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString(),
      source: 'policy',
    });
  }
  const publishers = candidates.filter((k, i) => candidates.findIndex((o) => o.keyId === k.keyId) === i);
  return {
    version: doc.version,
    adminThreshold: doc.adminThreshold ?? 1,
    defaultThreshold: doc.defaultThreshold ?? 1,
    admins: stored.filter((k) => k.role === 'admin').map(toKey),
    publishers,
    rules: (doc.rules ?? []).map((r) => ({
      pattern: r.pattern,
      keyIds: r.keys.includes('*')
        ? '*'
        : [...new Set(candidates.filter((k) => r.keys.includes(k.name)).map((k) => k.keyId))],
      threshold: r.threshold,
    })),
  };
}
