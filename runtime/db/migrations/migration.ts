import type Database from 'better-sqlite3';

/** One schema step. Steps of ten; recorded in PRAGMA user_version. Never edit a released one: add one. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Database.Database): void;
}
