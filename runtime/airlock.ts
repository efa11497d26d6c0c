import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { AuditLog, type Actor, type AuditEvent } from './audit/audit-log.js';
import { AuditIntegrity } from './audit/integrity.js';
import { Accounts } from './auth/accounts.js';
import { SessionManager } from './auth/sessions.js';
import type { TrustDecision } from './bundle/reader.js';
import type { Statement } from './bundle/statement.js';
import { DEFAULT_LIMITS, type BundleLimits } from './bundle/limits.js';
import { openDatabase, type Db } from './db/database.js';
import { AirlockError, AuditWriteError } from './errors.js';
import { InferenceEngine } from './inference/engine.js';
import { BatchingPool } from './batching/pool.js';
import { dataPaths, type DataPaths } from './paths.js';
import { ModelRegistry } from './store/model-registry.js';
import { ModelStore } from './store/model-store.js';
import { TrustStore } from './trust/trust-store.js';
import { PolicyStore } from './policy/policy-store.js';
import { policyDecision } from './policy/actions.js';

export interface AirlockOptions {
  readonly dataDir: string;
  readonly now?: () => Date;
  readonly limits?: BundleLimits;
  /** Allowance for clocks that disagree when checking a bundle's expiry. */
  readonly clockSkewMs?: number;
  readonly busyTimeoutMs?: number;
}

/**
 * The composition root of the engine: one data directory, one database, and the services over
 * them. Every transport (CLI, Electron IPC, the test loopback) drives it through the contract
 * handlers in runtime/api; nothing here knows which one is calling.
 */
export class Airlock {
  readonly paths: DataPaths;
  readonly db: Db;
  readonly audit: AuditLog;
  /** Installation key, signed checkpoints, rollback detection (issue 5). */
  readonly integrity: AuditIntegrity;
  /** Local accounts and roles; app sessions (issue 5). */
  readonly accounts: Accounts;
  readonly sessions: SessionManager;
  readonly trust: TrustStore;
  /** The signed facility policy, revocations and downgrade allowances (docs/trust-policy.md). */
  readonly policy: PolicyStore;
  readonly registry: ModelRegistry;
  readonly store: ModelStore;
  readonly inference: InferenceEngine;
  /** Worker threads with dynamic batching, for batch jobs, pipelines and concurrent callers. */
  readonly batching: BatchingPool;
  readonly installationId: string;
  readonly limits: BundleLimits;
  readonly clockSkewMs: number;
  readonly now: () => Date;
  /** AbortControllers of long work in flight, by the caller's operationId. */
  readonly operations = new Map<string, AbortController>();

  private constructor(options: AirlockOptions, db: Db, paths: DataPaths) {
    this.paths = paths;
    this.db = db;
    this.now = options.now ?? (() => new Date());
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.clockSkewMs = options.clockSkewMs ?? 5 * 60_000;
    this.installationId = Airlock.installation(db);
    this.audit = new AuditLog(db, this.installationId, this.now);
    this.integrity = new AuditIntegrity(db, paths, this.audit, this.now);
    this.accounts = new Accounts(db, this.audit, this.now);
    this.sessions = new SessionManager(this.accounts, this.now);
    this.trust = new TrustStore(db);
    this.policy = new PolicyStore(db);
    this.registry = new ModelRegistry(db);
    this.store = new ModelStore(paths, db);
    this.inference = new InferenceEngine(this.store);
    this.batching = new BatchingPool(this.store);
  }

  /** Opens (creating if needed) a data directory and cleans up after any interrupted import. */
  static open(options: AirlockOptions): Airlock {
    const paths = dataPaths(options.dataDir);
    try {
      mkdirSync(paths.root, { recursive: true, mode: 0o700 });
      mkdirSync(paths.blobs, { recursive: true });
      mkdirSync(paths.staging, { recursive: true });
    } catch (cause) {
      throw new AirlockError(
        'DATA_DIR_INVALID',
        `Cannot create the data directory ${paths.root}: ${(cause as Error).message}. Choose another with --data-dir or AIRLOCK_HOME.`,
        { cause },
      );
    }
    const db = openDatabase(
      paths.database,
      options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs },
    );
    const airlock = new Airlock(options, db, paths);
    try {
      // The installation key on first start; refuses a database rolled back to an older copy.
      airlock.integrity.start();
    } catch (error) {
      db.close();
      throw error;
    }
    airlock.store.recover();
    return airlock;
  }

  private static installation(db: Db): string {
    return db
      .transaction(() => {
        const existing = db
          .prepare("SELECT value FROM settings WHERE key = 'installation.id'")
          .pluck()
          .get() as string | undefined;
        if (existing) return existing;
        const id = randomUUID();
        db.prepare("INSERT INTO settings (key, value) VALUES ('installation.id', ?)").run(id);
        return id;
      })
      .immediate();
  }

  setting(key: string): string | null {
    return (
      (this.db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(key) as string | undefined) ??
      null
    );
  }

  /**
   * Which keys count for the model a statement names, and how many must sign. Without a signed
   * facility policy: every trusted publisher key, one signature. With one: the first rule whose
   * pattern matches the name (docs/trust-policy.md). Revoked keys never count.
   */
  trustDecision(statement: Statement): TrustDecision {
    return policyDecision(this, statement);
  }

  /** Runs a state change and its audit record in one transaction: both happen or neither does. */
  recorded<T>(actor: Actor, change: () => { result: T; event: AuditEvent }): T {
    try {
      return this.db
        .transaction(() => {
          const { result, event } = change();
          this.audit.append(actor, event);
          return result;
        })
        .immediate();
    } catch (error) {
      if (error instanceof AirlockError) throw error;
      if (
        /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN)/.test(String((error as { code?: unknown }).code))
      ) {
        throw new AuditWriteError(
          `The change and its audit record could not be written (${(error as Error).message}); nothing was changed. Free disk space or close other Airlock processes holding the database, then try again.`,
          { cause: error },
        );
      }
      throw new AirlockError(
        'IO_ERROR',
        `The change could not be saved: ${(error as Error).message}. Nothing was changed.`,
        { cause: error },
      );
    }
  }

  async close(): Promise<void> {
    for (const c of this.operations.values()) c.abort();
    await this.inference.close();
    await this.batching.close();
    try {
      this.integrity.recordHead();
    } catch {
      // The next start compares against the last checkpoint that was written.
    }
    this.db.close();
  }
}
