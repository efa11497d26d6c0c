/**
 * The task centre and alerts against the real engine: real bundles and imports, a real batch job
 * through onnxruntime, the real audit log. Calls go through dispatch (`call`), as every transport's do.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, dispatch } from '../../runtime/api/handlers.js';
import type { Actor } from '../../runtime/audit/audit-log.js';
import type { TaskInfo } from '../../runtime/contract/tasks.js';
import { estimateEta } from '../../runtime/tasks/registry.js';
import { auditRows, ctx, environment, signedBundle, testActor, type Env } from './helpers.js';

let env: Env;
let changes: TaskInfo[];
beforeEach(async () => {
  env = await environment();
  changes = [];
  env.airlock.tasks.subscribe((t) => changes.push(t));
});
afterEach(async () => env.close());

const operator: Actor = { name: 'olga', source: testActor.source, role: 'operator' };
const auditor: Actor = { name: 'aude', source: testActor.source, role: 'auditor' };
const task = async (id: string, actor: Actor = testActor) =>
  (await call(env.handlers, 'tasks:list', {}, { actor })).find((t) => t.id === id);

describe('tasks', () => {
  it('an import goes running → completed, with progress, a title naming the model and a link', async () => {
    const bundle = await signedBundle(env.root, env.pub);
    const progress: unknown[] = [];
    await call(
      env.handlers,
      'models:import',
      { path: bundle, operationId: 'imp-1' },
      { ...ctx, onProgress: (e) => progress.push(e) },
    );
    const done = await task('imp-1');
    expect(done).toMatchObject({
      kind: 'import',
      state: 'completed',
      startedBy: 'tester',
      title: `Import classifier 1.0.0 from ${bundle}`,
      summary: 'Installed classifier 1.0.0',
      link: { screen: 'models', ref: 'classifier@1.0.0' },
      error: null,
      etaSeconds: null,
    });
    expect(done!.finishedAt).not.toBeNull();
    expect(progress.length).toBeGreaterThan(0);
    expect(done!.progress).toEqual(progress.at(-1));
    // task:changed: the start (running) first, the end (completed) last.
    const mine = changes.filter((c) => c.id === 'imp-1');
    expect(mine[0]!.state).toBe('running');
    expect(mine.at(-1)!.state).toBe('completed');
  });

  it('an import cancelled by operation:cancel is cancelled, not failed', async () => {
    const bundle = await signedBundle(env.root, env.pub);
    let asked = false;
    await call(
      env.handlers,
      'models:import',
      { path: bundle, operationId: 'imp-c' },
      {
        ...ctx,
        onProgress: () => {
          if (asked) return;
          asked = true;
          void call(env.handlers, 'operation:cancel', { operationId: 'imp-c' }, ctx);
        },
      },
    ).catch((error: unknown) => expect(error).toMatchObject({ code: 'CANCELLED' }));
    expect(asked).toBe(true);
    expect(await task('imp-c')).toMatchObject({ state: 'cancelled', error: null });
    // Work started without an operationId is a task too, under an id made for it.
    const signal = AbortSignal.abort();
    await call(env.handlers, 'models:import', { path: bundle }, { ...ctx, signal }).catch(() => undefined);
    const tasks = await call(env.handlers, 'tasks:list', {}, ctx);
    expect(tasks[0]).toMatchObject({ kind: 'import', state: 'cancelled' });
    expect(tasks[0]!.id).toMatch(/^import:/);
  });

  it('a failing import (not a bundle) is failed with the error code', async () => {
    const file = join(env.root, 'not-a-tar.airlock');
    await writeFile(file, Buffer.from('PK\u0003\u0004 this is a zip file, not a tar '.repeat(40)));
    await call(env.handlers, 'models:import', { path: file, operationId: 'imp-bad' }, ctx);
    const failed = await task('imp-bad');
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'TAR_INVALID' } });
    expect(failed!.summary).toBe('0 installed, 1 rejected');
    // A path with no bundle at all throws: failed with that code.
    await call(
      env.handlers,
      'models:import',
      { path: join(env.root, 'nothing'), operationId: 'imp-none' },
      ctx,
    ).catch(() => undefined);
    expect((await task('imp-none'))!.state).toBe('failed');
  });

  it('a batch job is the task job:ID until it ends, with "N of M files, K failed"', async () => {
    const dir = join(env.root, 'inputs');
    await mkdir(dir);
    for (const n of ['a', 'b', 'c'])
      await writeFile(join(dir, `${n}.json`), JSON.stringify({ x: [[1, 2, 3, 4]] }));
    await writeFile(join(dir, 'd.json'), '{ not json');
    await call(env.handlers, 'models:import', { path: await signedBundle(env.root, env.pub) }, ctx);
    const job = await call(
      env.handlers,
      'jobs:start',
      { model: 'classifier', inputsDir: dir, outFile: join(env.root, 'out.jsonl') },
      ctx,
    );
    expect(job.state).toBe('completed');
    const t = await task(`job:${job.id}`);
    expect(t).toMatchObject({
      kind: 'batch',
      state: 'completed',
      title: `Batch classifier@1.0.0 over ${dir}`,
      summary: `4 of 4 files, ${job.failed} failed`,
      link: { screen: 'run', ref: `job:${job.id}` },
    });
    expect(job.failed).toBeGreaterThanOrEqual(1);
    expect(changes.filter((c) => c.id === `job:${job.id}`)[0]!.state).toBe('running');
  });

  it('a batch job cancelled by its operationId ends cancelled with its counts', async () => {
    const dir = join(env.root, 'many');
    await mkdir(dir);
    for (let i = 0; i < 20; i++)
      await writeFile(join(dir, `${i}.json`), JSON.stringify({ x: [[1, 2, 3, 4]] }));
    let asked = false;
    const job = await call(
      env.handlers,
      'jobs:start',
      { model: 'classifier', inputsDir: dir, outFile: join(env.root, 'many.jsonl'), operationId: 'batch-1' },
      {
        ...ctx,
        onProgress: () => {
          if (asked) return;
          asked = true;
          void call(env.handlers, 'operation:cancel', { operationId: 'batch-1' }, ctx);
        },
      },
    );
    expect(job.state).toBe('cancelled');
    const t = await task(`job:${job.id}`);
    expect(t).toMatchObject({
      state: 'cancelled',
      error: null,
      summary: `${job.done + job.failed} of 20 files, ${job.failed} failed`,
    });
  });

  it('a media scan and an audit export are tasks with their summary and link', async () => {
    const stick = join(env.root, 'stick');
    await mkdir(stick);
    await signedBundle(stick, env.pub);
    await call(env.handlers, 'media:scan', { mountpoint: stick, operationId: 'scan-1' }, ctx);
    expect(await task('scan-1')).toMatchObject({
      kind: 'scan',
      state: 'completed',
      title: `Scan ${stick}`,
      summary: `1 bundle, 0 documents on ${stick}`,
      link: { screen: 'media', ref: stick },
    });
    const out = join(env.root, 'export');
    await call(env.handlers, 'audit:export', { out, operationId: 'exp-1' }, ctx);
    const exported = await task('exp-1');
    expect(exported).toMatchObject({
      kind: 'export',
      state: 'completed',
      link: { screen: 'audit', ref: out },
    });
    expect(exported!.summary).toMatch(/^\d+ records/);
  });

  it('an operator sees only its own tasks; an admin sees all; tasks:clear keeps running ones', async () => {
    const bundle = await signedBundle(env.root, env.pub);
    await call(env.handlers, 'models:import', { path: bundle, operationId: 'admin-imp' }, ctx);
    const { tasks } = env.airlock;
    tasks.begin({ id: 'olga-run', kind: 'scan', title: 'Scan /media/olga', actor: operator });
    expect((await call(env.handlers, 'tasks:list', {}, { actor: operator })).map((t) => t.id)).toEqual([
      'olga-run',
    ]);
    expect((await call(env.handlers, 'tasks:list', {}, ctx)).map((t) => t.id)).toEqual([
      'olga-run',
      'admin-imp',
    ]);
    // The operator's clear cannot forget the admin's finished task; running ones stay.
    expect(await call(env.handlers, 'tasks:clear', {}, { actor: operator })).toEqual({ cleared: 0 });
    expect(await call(env.handlers, 'tasks:clear', {}, ctx)).toEqual({ cleared: 1 });
    expect((await call(env.handlers, 'tasks:list', {}, ctx)).map((t) => t.id)).toEqual(['olga-run']);
    tasks.finish('olga-run', { summary: 'done' });
    expect(await call(env.handlers, 'tasks:clear', {}, { actor: operator })).toEqual({ cleared: 1 });
    expect(await call(env.handlers, 'tasks:list', {}, ctx)).toEqual([]);
  });

  it('progress changes are throttled; the ETA comes from the rate or the elapsed time', () => {
    const { tasks } = env.airlock;
    tasks.begin({ id: 't', kind: 'export', title: 'Export', actor: testActor });
    for (let done = 0; done < 50; done++)
      tasks.progress('t', { operationId: 't', phase: 'p', done, total: 100, rate: 10, unit: 'items' });
    const seen = changes.filter((c) => c.id === 't');
    expect(seen.length).toBeLessThanOrEqual(3);
    expect(tasks.list(testActor)[0]!.etaSeconds).toBe(5);
    expect(
      estimateEta({ operationId: 't', phase: 'p', done: 25, total: 100, rate: null, unit: 'items' }, 5),
    ).toBe(15);
    expect(
      estimateEta({ operationId: 't', phase: 'p', done: 0, total: null, rate: null, unit: 'items' }, 5),
    ).toBeNull();
  });
});

describe('alerts', () => {
  it('a refused call is an alert; ack writes one alert.ack record and it is gone; acking again writes nothing', async () => {
    const refused = await dispatch(
      env.handlers,
      'trust:add',
      { name: 'x', publicKeyPem: 'no' },
      { actor: operator },
    );
    expect(refused.ok ? 'ok' : refused.error.code).toBe('ROLE_FORBIDDEN');
    const { alerts, total } = await call(env.handlers, 'alerts:list', {}, ctx);
    expect(total).toBe(alerts.length);
    const alert = alerts.find((a) => a.action === 'auth.refused')!;
    expect(alert).toMatchObject({ actor: 'olga', outcome: 'refused', target: 'trust:add' });
    expect(alert.message).toMatch(/^olga: auth\.refused refused for trust:add/);
    expect(alert.message).not.toMatch(/\n/);

    const before = auditRows(env).length;
    expect(await call(env.handlers, 'alerts:ack', { seqs: [alert.seq, 999_999] }, ctx)).toEqual({
      acknowledged: 1,
    });
    const rows = auditRows(env);
    expect(rows.length).toBe(before + 1);
    expect(rows.at(-1)).toMatchObject({ action: 'alert.ack', outcome: 'success' });
    expect(JSON.parse(rows.at(-1)!.details)).toEqual({ seqs: [alert.seq] });
    const after = await call(env.handlers, 'alerts:list', {}, ctx);
    expect(after.alerts.map((a) => a.seq)).not.toContain(alert.seq);
    expect(after.total).toBe(total - 1);

    // Twice: harmless, nothing written. A seq that is no alert (a success) is not acknowledged.
    expect(await call(env.handlers, 'alerts:ack', { seqs: [alert.seq, rows[0]!.seq] }, ctx)).toEqual({
      acknowledged: 0,
    });
    expect(auditRows(env).length).toBe(before + 1);
  });

  it('newest first, limited, with the total; an operator calling alerts:list is refused', async () => {
    for (let i = 0; i < 3; i++) await dispatch(env.handlers, 'users:list', {}, { actor: operator });
    const all = await call(env.handlers, 'alerts:list', { limit: 2 }, ctx);
    expect(all.alerts).toHaveLength(2);
    expect(all.total).toBeGreaterThanOrEqual(3);
    expect(all.alerts[0]!.seq).toBeGreaterThan(all.alerts[1]!.seq);
    const refused = await dispatch(env.handlers, 'alerts:list', {}, { actor: operator });
    expect(refused.ok ? 'ok' : refused.error.code).toBe('ROLE_FORBIDDEN');
    // An auditor may read them; its refusal to ack never happened (auditors may ack).
    expect((await call(env.handlers, 'alerts:list', {}, { actor: auditor })).total).toBe(all.total + 1);
  });
});
