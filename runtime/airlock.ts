import { randomUUID } from 'node:crypto';
import { AdmissionGate } from './admission/gate.js';
import { Alerts } from './audit/alerts.js';
import { AuditLog } from './audit/audit-log.js';
import { AuditSettingsStore } from './audit/audit-settings.js';
import { HeadWitness, witnessPath } from './audit/head-witness.js';
import { InstallationKeys, SYSTEM_ACTOR } from './audit/installation-key.js';
import { AuditIntegrity, refuseIfDatabaseGone } from './audit/integrity.js';
import { Accounts } from './auth/accounts.js';
import { SessionManager } from './auth/sessions.js';
import { SignIn } from './auth/sign-in.js';
import { BatchingPool } from './batching/pool.js';
import { BenchStore } from './bench/bench-store.js';
import { DEFAULT_LIMITS, type BundleLimits } from './bundle/limits.js';
import type { InstalledModel } from './contract/models.js';
import { secureDatabaseFiles, secureDataDir } from './db/data-dir.js';
import { openDatabase, type Db } from './db/database.js';
import { diskFullError, freeBytes, isDiskFull } from './db/disk.js';
import { AirlockError } from './errors.js';
import { currentMachine, HardwareStore } from './hardware/hardware-store.js';
import { InferenceEngine } from './inference/engine.js';
import { JobRunner } from './jobs/job-runner.js';
import { JobStore } from './jobs/job-store.js';
import type { DataPaths } from './paths.js';
import { PolicyStore } from './policy/policy-store.js';
import { recheckInstalled, recheckNeeded } from './policy/recheck.js';
import { ModelRunner } from './run/runner.js';
import { ModelRegistry } from './store/model-registry.js';
import { ModelStore } from './store/model-store.js';
import { TrustStore } from './trust/trust-store.js';
import { RunConfigs } from './tuning/resolve.js';
import { TunedStore } from './tuning/tuned-store.js';
import { TaskRegistry } from './tasks/registry.js';
import { Operations } from './util/operations.js';

export interface AirlockOptions {
  readonly dataDir: string;
  readonly now?: () => Date;
  readonly limits?: BundleLimits;
  /** Allowance for clocks that disagree when checking a bundle's expiry. */
  readonly clockSkewMs?: number;
  readonly busyTimeoutMs?: number;
  /**
   * Opened through sudo on behalf of another person: the folders above the data directory must be
   * safe as well (runtime/db/data-dir.ts), and it is used through its real path.
   */
  readonly deputy?: boolean;
  /**
   * Who is calling, asked after the database is open and before anything at start changes or
   * deletes a file (the installation key, checkpoint temp files, recovery, the revocation
   * re-check). Throwing (AUTH_FAILED) closes the database with the start-up left undone.
   */
  readonly authenticate?: (airlock: Airlock) => void;
}

/**
 * The composition root of the engine: one data directory, one database, and every service over
 * them, each built once here and handed the few others it uses. Only the floors above know this
 * class (runtime/api, runtime/cli, runtime/index.ts): every transport (CLI, Electron IPC, the test
 * loopback) drives it through the contract handlers in runtime/api, and nothing below imports it
 * (runtime/README.md; the architecture test holds it).
 */
export class Airlock {
  readonly paths: DataPaths;
  readonly db: Db;
  readonly installationId: string;
  readonly limits: BundleLimits;
  readonly clockSkewMs: number;
  readonly now: () => Date;
  /** This machine's facts and fingerprint (read once per process). */
  readonly machine = currentMachine;

  /** The tamper-evident audit log; every state change is recorded through it (issue 5). */
  readonly audit: AuditLog;
  readonly auditSettings: AuditSettingsStore;
  /** Refusals, failures and integrity findings until acknowledged (by an audit record). */
  readonly alerts: Alerts;
  readonly installationKey: InstallationKeys;
  /** Signed checkpoints, rollback detection, inclusion proofs. */
  readonly integrity: AuditIntegrity;

  /** Local accounts and roles, sign-in, app sessions. */
  readonly accounts: Accounts;
  readonly signIn: SignIn;
  readonly sessions: SessionManager;

  readonly trust: TrustStore;
  /** The signed facility policy, revocations and downgrade allowances (docs/trust-policy.md). */
  readonly policy: PolicyStore;
  readonly registry: ModelRegistry;
  readonly store: ModelStore;
  /** The one door: whether a bundle may be installed, a model may run (runtime/admission). */
  readonly admission: AdmissionGate;

  readonly inference: InferenceEngine;
  /** Worker threads with dynamic batching, for batch jobs, pipelines and concurrent callers. */
  readonly batching: BatchingPool;
  readonly hardware: HardwareStore;
  readonly benchResults: BenchStore;
  readonly tuned: TunedStore;
  readonly configs: RunConfigs;
  /** The one run path (runtime/run). */
  readonly runner: ModelRunner;
  readonly jobStore: JobStore;
  readonly jobs: JobRunner;
  /** Long work in flight, cancellable by operationId. */
  readonly operations = new Operations();
  /** The task centre: every long operation of this engine run, its progress and outcome. */
  readonly tasks: TaskRegistry;

  private constructor(options: AirlockOptions, db: Db, paths: DataPaths, witness: HeadWitness) {
    this.paths = paths;
    this.db = db;
    this.now = options.now ?? (() => new Date());
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.clockSkewMs = options.clockSkewMs ?? 5 * 60_000;
    this.installationId = Airlock.installation(db);
    this.tasks = new TaskRegistry(this.now);

    this.audit = new AuditLog(db, this.installationId, this.now);
    this.auditSettings = new AuditSettingsStore(db, this.audit);
    this.alerts = new Alerts(db, this.audit);
    this.installationKey = new InstallationKeys(db, paths.keys, this.audit);
    this.integrity = new AuditIntegrity(
      db,
      paths,
      this.audit,
      this.installationKey,
      this.auditSettings,
      witness,
      this.now,
    );

    this.accounts = new Accounts(db, this.audit, this.now);
    this.signIn = new SignIn(this.accounts, this.audit, this.now);
    this.sessions = new SessionManager(this.accounts, this.now);

    this.trust = new TrustStore(db);
    this.policy = new PolicyStore(db);
    this.registry = new ModelRegistry(db);
    this.store = new ModelStore(paths, db);
    this.admission = new AdmissionGate({
      trust: this.trust,
      policy: this.policy,
      registry: this.registry,
      now: this.now,
      clockSkewMs: this.clockSkewMs,
    });

    this.inference = new InferenceEngine(this.store);
    this.batching = new BatchingPool(this.store);
    this.hardware = new HardwareStore(db);
    this.benchResults = new BenchStore(db);
    this.tuned = new TunedStore(db);
    this.configs = new RunConfigs({ tuned: this.tuned, hardware: this.hardware, machine: this.machine });
    this.runner = new ModelRunner(this);
    this.jobStore = new JobStore(db);
    this.jobs = new JobRunner({
      jobs: this.jobStore,
      runner: this.runner,
      configs: this.configs,
      audit: this.audit,
      operations: this.operations,
      tasks: this.tasks,
      now: this.now,
    });
  }

  /**
   * Opens (creating if needed) a data directory. First only what is needed to know who calls:
   * the directory and its entries are checked (no links, owned by this account, writable by
   * nobody else; DATA_DIR_UNSAFE) and made private, and the database is opened and migrated.
   * Then `authenticate`, if given. Only then the start-up that changes files: the installation
   * key on first start, the refusal of a database rolled back to an older copy, the clean-up after
   * an interrupted import, the revocation re-check of installed models.
   */
  static open(options: AirlockOptions): Airlock {
    const paths = secureDataDir(options.dataDir, { deputy: options.deputy ?? false });
    const witness = new HeadWitness(witnessPath(paths.root));
    refuseIfDatabaseGone(paths.database, witness);
    const db = openDatabase(
      paths.database,
      options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs },
    );
    let airlock: Airlock | null = null;
    try {
      secureDatabaseFiles(paths);
      airlock = new Airlock(options, db, paths, witness);
      options.authenticate?.(airlock);
      airlock.start();
      return airlock;
    } catch (error) {
      airlock?.integrity.release();
      db.close();
      if (!(error instanceof AirlockError) && isDiskFull(error, () => freeBytes(paths.root)))
        throw diskFullError(paths.root, error, 'the data directory cannot be opened');
      throw error;
    }
  }

  /** The start-up that writes and deletes: after the caller is known (see `open`). */
  private start(): void {
    // The installation key on first start; refuses a database rolled back to an older copy.
    this.integrity.start();
    this.store.recover();
    this.recheckAtStart();
  }

  /**
   * The revocation re-check at start: a model that admission now refuses (its bundle or a signer
   * it needs was revoked, here or by another process) is disabled before anything can run it,
   * audited. Read only unless something must change, so a start takes no write lock for it.
   */
  private recheckAtStart(): void {
    if (!recheckNeeded(this)) return;
    this.audit.recorded(SYSTEM_ACTOR, () => {
      const disabled = recheckInstalled(this);
      return {
        result: null,
        event: disabled.map((d) => ({
          action: 'model.disable',
          target: `${d.name}@${d.version}`,
          outcome: 'success' as const,
          details: { reason: d.reason, by: 'revocation re-check at start' },
        })),
      };
    });
  }

  /** Closes the sessions and workers holding an installed model's files. */
  async dropSessions(model: InstalledModel): Promise<void> {
    await this.inference.forget(model.bundleSha256);
    const graph = model.files.find((f) => f.path === model.card.model)?.sha256;
    if (graph) await this.batching.forget(graph);
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

  async close(): Promise<void> {
    this.operations.cancelAll();
    await this.inference.close();
    await this.batching.close();
    try {
      this.integrity.stop();
    } catch {
      // The next start compares against the last checkpoint that was written.
    }
    this.db.close();
  }
}
