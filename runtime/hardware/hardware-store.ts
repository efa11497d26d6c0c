import type { Db } from '../db/database.js';
import type { HardwareProfile } from '../contract/hardware.js';
import { machineFacts, type MachineFacts } from './probe.js';

/** Hardware profiles in SQLite, one row per machine fingerprint (the latest probe of it). */
export class HardwareStore {
  constructor(private readonly db: Db) {}

  save(profile: HardwareProfile): void {
    this.db
      .prepare(
        `INSERT INTO hardware_profiles (fingerprint, profile, first_seen, probed_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (fingerprint) DO UPDATE SET profile = excluded.profile, probed_at = excluded.probed_at`,
      )
      .run(profile.fingerprint, JSON.stringify(profile), profile.probedAt, profile.probedAt);
  }

  /** The most recent probe of any machine that used this data directory. */
  latest(): HardwareProfile | null {
    const row = this.db
      .prepare('SELECT profile FROM hardware_profiles ORDER BY probed_at DESC, rowid DESC LIMIT 1')
      .pluck()
      .get() as string | undefined;
    return row ? (JSON.parse(row) as HardwareProfile) : null;
  }

  get(fingerprint: string): HardwareProfile | null {
    const row = this.db
      .prepare('SELECT profile FROM hardware_profiles WHERE fingerprint = ?')
      .pluck()
      .get(fingerprint) as string | undefined;
    return row ? (JSON.parse(row) as HardwareProfile) : null;
  }
}

let current: Promise<MachineFacts> | null = null;

/** This machine's facts and fingerprint, read once per process (they do not change while it runs). */
export function currentMachine(): Promise<MachineFacts> {
  current ??= machineFacts().catch((error: unknown) => {
    current = null;
    throw error;
  });
  return current;
}
