/**
 * One handler home: composition refuses a channel served twice, and a channel served by no
 * domain fails to compile (the @ts-expect-error below is checked by `tsc -p tsconfig.json`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Airlock } from '../airlock.js';
import { CHANNEL_NAMES } from '../contract/index.js';
import { composeHandlers, createHandlers } from './handlers.js';
import { systemHandlers } from './system.js';
import { trustHandlers } from './trust.js';

let dir: string;
let airlock: Airlock;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'airlock-handlers-'));
  airlock = Airlock.open({ dataDir: join(dir, 'data') });
});
afterAll(async () => {
  await airlock.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('composeHandlers', () => {
  it('serves every channel of the contract exactly once', () => {
    const handlers = createHandlers(airlock);
    expect(Object.keys(handlers).sort()).toEqual([...CHANNEL_NAMES].sort());
    for (const name of CHANNEL_NAMES) expect(typeof handlers[name]).toBe('function');
  });

  it('refuses a channel served twice, naming it', () => {
    const all = Object.values(createHandlers(airlock)).length;
    expect(all).toBe(CHANNEL_NAMES.length);
    const complete = { ...createHandlers(airlock) };
    expect(() => composeHandlers(complete, trustHandlers(airlock))).toThrow(
      /Two handlers for the channel "trust:list"/,
    );
  });

  it('a channel no domain serves does not compile', () => {
    // @ts-expect-error: only the system and trust domains, so every other channel is missing.
    const partial = composeHandlers(systemHandlers(airlock), trustHandlers(airlock));
    expect(Object.keys(partial)).toHaveLength(5);
  });
});
