import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../runtime/api/handlers.js';
import { auditEnv, type AuditEnv } from './helpers.js';

let env: AuditEnv;
beforeEach(async () => {
  env = await auditEnv();
});
afterEach(async () => env.close());

describe('auth:status says which channels the account may call', () => {
  it('operator: inference:run but not trust:add; auditor: audit:list but not inference:run; nothing audited', async () => {
    const before = env.airlock.audit.head().count;
    const operator = await call(env.handlers, 'auth:status', {}, { actor: env.actorOf('operator') });
    const auditor = await call(env.handlers, 'auth:status', {}, { actor: env.actorOf('auditor') });
    const admin = await call(env.handlers, 'auth:status', {}, { actor: env.admin });
    expect(operator.allowed).toContain('inference:run');
    expect(operator.allowed).not.toContain('trust:add');
    expect(operator.allowed).toContain('tasks:list');
    expect(operator.allowed).not.toContain('alerts:list');
    expect(auditor.allowed).toContain('audit:list');
    expect(auditor.allowed).toContain('alerts:ack');
    expect(auditor.allowed).not.toContain('inference:run');
    expect(admin.allowed).toContain('trust:add');
    // Asking is not an action: no audit record.
    expect(env.airlock.audit.head().count).toBe(before);
  });
});
