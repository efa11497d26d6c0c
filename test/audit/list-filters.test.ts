import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../runtime/api/handlers.js';
import { auditEnv, type AuditEnv } from './helpers.js';

let env: AuditEnv;
beforeEach(async () => {
  env = await auditEnv();
});
afterEach(async () => env.close());

describe('audit:list filters (issue 11)', () => {
  it('narrows by actor, target, outcome and a from/to time range, on the engine side', async () => {
    const olga = env.actorOf('operator');
    env.clock.advance(60_000);
    env.airlock.audit.append(env.admin, { action: 'test.a', target: 'x', outcome: 'success' });
    env.clock.advance(60_000);
    const mid = env.clock.now().toISOString();
    env.airlock.audit.append(olga, { action: 'test.a', target: 'y', outcome: 'refused' });
    env.clock.advance(60_000);
    env.airlock.audit.append(olga, { action: 'test.b', target: 'x', outcome: 'failure' });
    const all = env.airlock.audit.list({ limit: 10_000 });
    const list = (q: object) => call(env.handlers, 'audit:list', q as never, { actor: env.admin });

    const refused = await list({ outcome: 'refused', limit: 10_000 });
    expect(refused.map((r) => r.seq)).toEqual(all.filter((r) => r.outcome === 'refused').map((r) => r.seq));
    expect(refused.some((r) => r.action === 'test.a' && r.target === 'y')).toBe(true);

    const byOlga = await list({ actor: olga.name, limit: 10_000 });
    expect(byOlga.map((r) => r.seq)).toEqual(all.filter((r) => r.actor === olga.name).map((r) => r.seq));

    const x = await list({ target: 'x', action: 'test.b', limit: 10_000 });
    expect(x.map((r) => [r.action, r.target, r.outcome])).toEqual([['test.b', 'x', 'failure']]);

    const since = await list({ from: mid, limit: 10_000 });
    expect(since.map((r) => r.seq)).toEqual(all.filter((r) => r.ts >= mid).map((r) => r.seq));
    expect(since.length).toBeGreaterThanOrEqual(2);
    const until = await list({ to: mid, limit: 10_000 });
    expect(until.map((r) => r.seq)).toEqual(all.filter((r) => r.ts <= mid).map((r) => r.seq));
    // An offset time is normalised to UTC before comparing.
    const offset = new Date(Date.parse(mid)).toISOString().replace('Z', '+00:00');
    expect((await list({ from: offset, limit: 10_000 })).length).toBe(since.length);
  });
});
