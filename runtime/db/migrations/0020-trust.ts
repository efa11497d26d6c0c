import type { Migration } from './migration.js';

export const migration0020: Migration = {
  version: 20,
  name: 'trust store',
  up(db) {
    db.exec(`
      CREATE TABLE trust_keys (
        name           TEXT PRIMARY KEY,
        key_id         TEXT NOT NULL UNIQUE,
        public_key_pem TEXT NOT NULL,
        role           TEXT NOT NULL CHECK (role IN ('publisher', 'admin')),
        added_at       TEXT NOT NULL,
        added_by       TEXT NOT NULL
      ) STRICT;
    `);
  },
};
