import type {
  DowngradeAllowance,
  PolicyDocument,
  PolicyVersion,
  ResolvedPolicy,
  Revocation,
  RevocationList,
} from '../contract/policy.js';
import type { Revocations } from '../admission/admit.js';
import type { Envelope } from '../crypto/dsse.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/database.js';
import { AirlockError } from '../errors.js';

interface PolicyRow {
  version: number;
  issued: string;
  document: string;
  envelope: string;
  sha256: string;
  signers: string;
  applied_at: string;
  applied_by: string;
  resolved: string | null;
}

function toVersion(row: Omit<PolicyRow, 'resolved'>): PolicyVersion {
  return {
    version: row.version,
    issued: row.issued,
    sha256: row.sha256,
    appliedAt: row.applied_at,
    appliedBy: row.applied_by,
    signers: JSON.parse(row.signers) as string[],
  };
}

/** The policy in force: its signed document and what it was resolved to here, by key id. */
export type CurrentPolicy = PolicyVersion & { document: PolicyDocument; resolved: ResolvedPolicy };

/**
 * The facility policy tables (migrations 0040 and 0100). Writes run inside the caller's
 * transaction, beside their audit record; decisions over this data are pure functions
 * (runtime/admission/admit.ts, resolve.ts).
 */
export class PolicyStore {
  constructor(private readonly db: Db) {}

  current(): CurrentPolicy | null {
    const row = this.db
      .prepare(
        'SELECT p.*, r.resolved FROM trust_policy p LEFT JOIN trust_policy_resolved r ON r.version = p.version ORDER BY p.version DESC LIMIT 1',
      )
      .get() as PolicyRow | undefined;
    if (!row) return null;
    if (row.resolved === null)
      throw new AirlockError(
        'DB_CORRUPT',
        `Policy version ${row.version} is in force but the database holds no record of the keys it was resolved to (table trust_policy_resolved). The database was changed outside Airlock; restore it from a backup.`,
        { details: { version: row.version } },
      );
    return {
      ...toVersion(row),
      document: JSON.parse(row.document) as PolicyDocument,
      resolved: JSON.parse(row.resolved) as ResolvedPolicy,
    };
  }

  history(): PolicyVersion[] {
    return (this.db.prepare('SELECT * FROM trust_policy ORDER BY version DESC').all() as PolicyRow[]).map(
      toVersion,
    );
  }

  insertPolicy(
    input: {
      document: PolicyDocument;
      resolved: ResolvedPolicy;
      envelope: Envelope;
      sha256: string;
      signers: readonly string[];
    },
    appliedBy: string,
    now: Date,
  ): PolicyVersion {
    const row: Omit<PolicyRow, 'resolved'> = {
      version: input.document.version,
      issued: input.document.issued,
      document: JSON.stringify(input.document),
      envelope: JSON.stringify(input.envelope),
      sha256: input.sha256,
      signers: JSON.stringify(input.signers),
      applied_at: now.toISOString(),
      applied_by: appliedBy,
    };
    this.db
      .prepare(
        'INSERT INTO trust_policy (version, issued, document, envelope, sha256, signers, applied_at, applied_by) VALUES (@version, @issued, @document, @envelope, @sha256, @signers, @applied_at, @applied_by)',
      )
      .run(row);
    this.db
      .prepare("INSERT INTO trust_policy_resolved (version, resolved, source) VALUES (?, ?, 'apply')")
      .run(row.version, JSON.stringify(input.resolved));
    return toVersion(row);
  }

  revokedKeyIds(): Set<string> {
    return new Set(
      this.db.prepare("SELECT value FROM revocations WHERE kind = 'key'").pluck().all() as string[],
    );
  }

  bundleRevocation(sha256: string): Revocation | null {
    const row = this.db
      .prepare("SELECT * FROM revocations WHERE kind = 'bundle' AND value = ?")
      .get(sha256) as RevocationRow | undefined;
    return row ? toRevocation(row) : null;
  }

  /**
   * The revocations among these key ids and bundle digests, with the number of the list that
   * revoked each: the admission facts about exactly what is being decided, in one query.
   */
  revocationsFor(keyIds: readonly string[], digests: readonly string[]): Revocations {
    this.scoped ??= this.db.prepare<[string, string]>(
      `SELECT r.kind, r.value, r.reason, l.number FROM revocations r LEFT JOIN revocation_lists l ON l.sha256 = r.list_sha256
       WHERE (r.kind = 'key' AND r.value IN (SELECT value FROM json_each(?)))
          OR (r.kind = 'bundle' AND r.value IN (SELECT value FROM json_each(?)))`,
    );
    const keys = new Map<string, { reason: string; list: number | null }>();
    const bundles = new Map<string, { reason: string; list: number | null }>();
    const rows = this.scoped.all(JSON.stringify(keyIds), JSON.stringify(digests)) as {
      kind: 'key' | 'bundle';
      value: string;
      reason: string;
      number: number | null;
    }[];
    for (const r of rows)
      (r.kind === 'key' ? keys : bundles).set(r.value, { reason: r.reason, list: r.number });
    return { keys, bundles };
  }

  private scoped: Statement<[string, string]> | null = null;

  revocations(): Revocation[] {
    return (this.db.prepare('SELECT * FROM revocations ORDER BY kind, value').all() as RevocationRow[]).map(
      toRevocation,
    );
  }

  hasRevocationList(sha256: string): boolean {
    return this.db.prepare('SELECT 1 FROM revocation_lists WHERE sha256 = ?').get(sha256) !== undefined;
  }

  /** Records a list and its new entries; returns the entries that were not revoked before. */
  insertRevocationList(
    input: { list: RevocationList; envelope: Envelope; sha256: string; signers: readonly string[] },
    importedBy: string,
    now: Date,
  ): Revocation[] {
    const at = now.toISOString();
    this.db
      .prepare(
        'INSERT INTO revocation_lists (sha256, number, issued, envelope, signers, imported_at, imported_by) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        input.sha256,
        input.list.number,
        input.list.issued,
        JSON.stringify(input.envelope),
        JSON.stringify(input.signers),
        at,
        importedBy,
      );
    const insert = this.db.prepare(
      'INSERT INTO revocations (kind, value, reason, list_sha256, imported_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, value) DO NOTHING',
    );
    const added: Revocation[] = [];
    const entries = [
      ...input.list.keys.map((k) => ['key', k.keyId, k.reason] as const),
      ...input.list.bundles.map((b) => ['bundle', b.sha256, b.reason] as const),
    ];
    for (const [kind, value, reason] of entries) {
      if (insert.run(kind, value, reason, input.sha256, at).changes > 0)
        added.push({ kind, value, reason, listSha256: input.sha256, importedAt: at });
    }
    return added;
  }

  grantDowngrade(name: string, version: string, grantedBy: string, now: Date): DowngradeAllowance {
    const at = now.toISOString();
    this.db
      .prepare('INSERT INTO downgrade_allowances (name, version, granted_at, granted_by) VALUES (?, ?, ?, ?)')
      .run(name, version, at, grantedBy);
    return { name, version, grantedAt: at, grantedBy, usedAt: null };
  }

  /** The oldest unused allowance for exactly NAME@VERSION, if any. */
  openDowngrade(name: string, version: string): DowngradeAllowance | null {
    const row = this.db
      .prepare(
        'SELECT * FROM downgrade_allowances WHERE name = ? AND version = ? AND used_at IS NULL ORDER BY granted_at LIMIT 1',
      )
      .get(name, version) as AllowanceRow | undefined;
    return row
      ? {
          name: row.name,
          version: row.version,
          grantedAt: row.granted_at,
          grantedBy: row.granted_by,
          usedAt: row.used_at,
        }
      : null;
  }

  useDowngrade(allowance: DowngradeAllowance, usedBy: string, now: Date): void {
    this.db
      .prepare(
        'UPDATE downgrade_allowances SET used_at = ?, used_by = ? WHERE name = ? AND version = ? AND granted_at = ? AND used_at IS NULL',
      )
      .run(now.toISOString(), usedBy, allowance.name, allowance.version, allowance.grantedAt);
  }
}

interface RevocationRow {
  kind: 'key' | 'bundle';
  value: string;
  reason: string;
  list_sha256: string;
  imported_at: string;
}

interface AllowanceRow {
  name: string;
  version: string;
  granted_at: string;
  granted_by: string;
  used_at: string | null;
}

function toRevocation(row: RevocationRow): Revocation {
  return {
    kind: row.kind,
    value: row.value,
    reason: row.reason,
    listSha256: row.list_sha256,
    importedAt: row.imported_at,
  };
}
