import semver from 'semver';
import type { BundleFile } from '../contract/bundle.js';
import type { ModelCard } from '../contract/card.js';
import type { InstalledModel } from '../contract/models.js';
import type { Db } from '../db/database.js';
import { AirlockError } from '../errors.js';

interface ModelRow {
  name: string;
  version: string;
  bundle_sha256: string;
  card: string;
  envelope: string;
  signers: string;
  installed_at: string;
  installed_by: string;
  enabled: number;
  disabled_reason: string | null;
}

export interface NewModel {
  readonly card: ModelCard;
  readonly bundleSha256: string;
  readonly envelope: unknown;
  readonly signers: readonly string[];
  readonly files: readonly BundleFile[];
}

/**
 * Versions newest first, as a total order over distinct version strings: semantic-version
 * precedence, then build metadata (semver's compareBuild), then the text itself. Whatever order
 * SQLite returns rows in, the same versions always sort the same.
 */
export function compareVersionsDescending(a: string, b: string): number {
  return semver.compareBuild(b, a) || (a < b ? 1 : a > b ? -1 : 0);
}

/**
 * The installed-models tables, and the only module that writes them (install, enable, disable,
 * remove, the high-water mark). Writes run inside the caller's recorded transaction, beside their
 * audit record; whether a model may be installed or run is decided in runtime/admission.
 */
export class ModelRegistry {
  constructor(private readonly db: Db) {}

  private files(name: string, version: string): BundleFile[] {
    return this.db
      .prepare('SELECT path, sha256, size FROM model_files WHERE name = ? AND version = ? ORDER BY path')
      .all(name, version) as BundleFile[];
  }

  private toModel(row: ModelRow): InstalledModel {
    return {
      name: row.name,
      version: row.version,
      card: JSON.parse(row.card) as ModelCard,
      bundleSha256: row.bundle_sha256,
      files: this.files(row.name, row.version),
      signers: JSON.parse(row.signers) as string[],
      installedAt: row.installed_at,
      installedBy: row.installed_by,
      enabled: row.enabled === 1,
      disabledReason: row.disabled_reason,
    };
  }

  list(): InstalledModel[] {
    const rows = this.db.prepare('SELECT * FROM models').all() as ModelRow[];
    rows.sort((a, b) => a.name.localeCompare(b.name) || compareVersionsDescending(a.version, b.version));
    return rows.map((r) => this.toModel(r));
  }

  bySha256(sha256: string): InstalledModel | null {
    const row = this.db.prepare('SELECT * FROM models WHERE bundle_sha256 = ?').get(sha256) as
      ModelRow | undefined;
    return row ? this.toModel(row) : null;
  }

  find(name: string, version: string): InstalledModel | null {
    const row = this.db.prepare('SELECT * FROM models WHERE name = ? AND version = ?').get(name, version) as
      ModelRow | undefined;
    return row ? this.toModel(row) : null;
  }

  /**
   * The installed version of NAME equal to VERSION under semantic-version precedence (build
   * metadata does not count: 1.0.0+build equals 1.0.0), if any; the newest by
   * compareVersionsDescending when a database from before that rule holds several.
   */
  findEqual(
    name: string,
    version: string,
  ): { readonly version: string; readonly bundleSha256: string } | null {
    const rows = this.db.prepare('SELECT version, bundle_sha256 FROM models WHERE name = ?').all(name) as {
      version: string;
      bundle_sha256: string;
    }[];
    const equal = rows
      .filter((r) => semver.eq(r.version, version))
      .sort((a, b) => compareVersionsDescending(a.version, b.version))[0];
    return equal ? { version: equal.version, bundleSha256: equal.bundle_sha256 } : null;
  }

  /**
   * NAME@VERSION, or NAME: its highest enabled version, else (every version disabled) its highest
   * version, which admission then refuses to run with the reason it was disabled. "Highest" is
   * compareVersionsDescending: never the order SQLite happens to return rows in.
   */
  resolve(ref: string): InstalledModel {
    const at = ref.lastIndexOf('@');
    const name = at > 0 ? ref.slice(0, at) : ref;
    const version = at > 0 ? ref.slice(at + 1) : null;
    if (version) {
      const m = this.find(name, version);
      if (!m)
        throw new AirlockError(
          'MODEL_NOT_FOUND',
          `Model ${name}@${version} is not installed. "airlock models" lists what is.`,
          { details: { ref } },
        );
      return m;
    }
    const rows = this.db.prepare('SELECT * FROM models WHERE name = ?').all(name) as ModelRow[];
    rows.sort((a, b) => compareVersionsDescending(a.version, b.version));
    const versions = rows.map((r) => this.toModel(r));
    if (versions.length === 0)
      throw new AirlockError(
        'MODEL_NOT_FOUND',
        `No model named "${name}" is installed. "airlock models" lists what is; import its bundle first.`,
        { details: { ref } },
      );
    return versions.find((m) => m.enabled) ?? versions[0]!;
  }

  /** The signed envelope a version was installed from, as stored (JSON). */
  envelope(name: string, version: string): unknown {
    const row = this.db
      .prepare('SELECT envelope FROM models WHERE name = ? AND version = ?')
      .pluck()
      .get(name, version) as string | undefined;
    return row === undefined ? null : JSON.parse(row);
  }

  highWater(name: string): string | null {
    return (
      (this.db.prepare('SELECT version FROM version_high_water WHERE name = ?').pluck().get(name) as
        string | undefined) ?? null
    );
  }

  insert(model: NewModel, installedBy: string, now: Date): void {
    const { card } = model;
    this.db
      .prepare(
        `INSERT INTO models (name, version, bundle_sha256, card, envelope, signers, installed_at, installed_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        card.name,
        card.version,
        model.bundleSha256,
        JSON.stringify(card),
        JSON.stringify(model.envelope),
        JSON.stringify(model.signers),
        now.toISOString(),
        installedBy,
      );
    const insertFile = this.db.prepare(
      'INSERT INTO model_files (name, version, path, sha256, size) VALUES (?, ?, ?, ?, ?)',
    );
    for (const f of model.files) insertFile.run(card.name, card.version, f.path, f.sha256, f.size);
    const hwm = this.highWater(card.name);
    if (!hwm || semver.gt(card.version, hwm)) {
      this.db
        .prepare(
          'INSERT INTO version_high_water (name, version, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at',
        )
        .run(card.name, card.version, now.toISOString());
    }
  }

  /** Stops a version from running (kept installed, so the audit trail can still name its files). */
  disable(name: string, version: string, reason: string): boolean {
    return (
      this.db
        .prepare(
          'UPDATE models SET enabled = 0, disabled_reason = ? WHERE name = ? AND version = ? AND enabled = 1',
        )
        .run(reason, name, version).changes > 0
    );
  }

  enable(name: string, version: string): void {
    this.db
      .prepare('UPDATE models SET enabled = 1, disabled_reason = NULL WHERE name = ? AND version = ?')
      .run(name, version);
  }

  /** Deletes a version's rows (the high-water mark stays); returns the blobs no other model uses. */
  remove(name: string, version: string): string[] {
    const files = this.files(name, version);
    this.db.prepare('DELETE FROM models WHERE name = ? AND version = ?').run(name, version);
    return [...new Set(files.map((f) => f.sha256))].filter((sha256) => !this.blobInUse(sha256));
  }

  /** Whether any installed model still has a file with this digest. */
  blobInUse(sha256: string): boolean {
    return this.db.prepare('SELECT 1 FROM model_files WHERE sha256 = ? LIMIT 1').get(sha256) !== undefined;
  }
}
