/**
 * Helpers for the issue 5 tests: a real data directory whose first admin is made the way the CLI
 * makes it (peer authentication of an OS user), accounts of every role, and a controllable clock.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Airlock } from '../../runtime/airlock.js';
import { createHandlers, type Handlers } from '../../runtime/api/handlers.js';
import type { Actor } from '../../runtime/audit/audit-log.js';
import type { Role } from '../../runtime/contract/users.js';

export const SOURCE = `test:${process.pid}`;

export class Clock {
  t = Date.parse('2026-03-01T08:00:00.000Z');
  now = (): Date => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface AuditEnv {
  readonly root: string;
  readonly dataDir: string;
  airlock: Airlock;
  handlers: Handlers;
  readonly clock: Clock;
  readonly admin: Actor;
  reopen(options?: { busyTimeoutMs?: number }): Promise<void>;
  actorOf(role: Role): Actor;
  close(): Promise<void>;
}

export async function auditEnv(): Promise<AuditEnv> {
  const root = await mkdtemp(join(tmpdir(), 'airlock-audit-'));
  const dataDir = join(root, 'data');
  const clock = new Clock();
  let airlock = Airlock.open({ dataDir, now: clock.now });
  const admin = airlock.signIn.authenticateOsUser({ name: 'facility-admin', source: SOURCE });
  await airlock.accounts.add(admin, { name: 'olga', role: 'operator', osUsers: ['olga-os'] });
  await airlock.accounts.add(admin, { name: 'aude', role: 'auditor', osUsers: ['aude-os'] });
  const env: AuditEnv = {
    root,
    dataDir,
    airlock,
    handlers: createHandlers(airlock),
    clock,
    admin,
    async reopen(options = {}) {
      await env.airlock.close();
      airlock = Airlock.open({ dataDir, now: clock.now, ...options });
      env.airlock = airlock;
      env.handlers = createHandlers(airlock);
    },
    actorOf(role) {
      const os = role === 'admin' ? 'facility-admin' : role === 'operator' ? 'olga-os' : 'aude-os';
      return env.airlock.signIn.authenticateOsUser({ name: os, source: SOURCE });
    },
    async close() {
      await env.airlock.close().catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
  return env;
}

export function fill(airlock: Airlock, actor: Actor, n: number, batch = 500): void {
  for (let i = 0; i < n; i += batch) {
    const events = Array.from({ length: Math.min(batch, n - i) }, (_, j) => ({
      action: 'test.event',
      target: `t${i + j}`,
      outcome: 'success' as const,
      details: { i: i + j },
    }));
    airlock.audit.appendMany(actor, events);
  }
}

export function auditCount(airlock: Airlock): number {
  return airlock.db.prepare('SELECT count(*) FROM audit_log').pluck().get() as number;
}
