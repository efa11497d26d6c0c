/**
 * The loopback test transport's own channels and events, over real HTTP against the real engine:
 * dialogs answered from the test's queue, task:changed only for the account signed in.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLoopbackServer, type LoopbackServer } from './loopback-server.js';

let root: string;
let server: LoopbackServer;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'airlock-loopback-'));
  server = await startLoopbackServer({ dataDir: join(root, 'data'), staticDir: join(root, 'static') });
});
afterEach(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

const invoke = async (channel: string, request: unknown = {}) =>
  (await (
    await fetch(`${server.url}/invoke/${channel}`, { method: 'POST', body: JSON.stringify(request) })
  ).json()) as { ok: boolean; value?: unknown; error?: { code: string } };

describe('the loopback transport', () => {
  it('answers dialogs from the queue, first in first out, then {path: null}; a bad request is USAGE', async () => {
    server.dialogs.answer('/media/stick/classifier.airlock');
    server.dialogs.answer('/tmp/out.csv');
    const open = {
      kind: 'file',
      title: 'Choose a bundle',
      filters: [{ name: 'Bundles', extensions: ['airlock'] }],
    };
    expect(await invoke('dialog:open', open)).toEqual({
      ok: true,
      value: { path: '/media/stick/classifier.airlock' },
    });
    expect(await invoke('dialog:save', { title: 'Save results', defaultName: 'out.csv' })).toEqual({
      ok: true,
      value: { path: '/tmp/out.csv' },
    });
    expect(await invoke('dialog:open', { kind: 'folder', title: 'Inputs' })).toEqual({
      ok: true,
      value: { path: null },
    });
    expect((await invoke('dialog:open', { kind: 'disk', title: 'x' })).error?.code).toBe('USAGE');
    expect(server.dialogs.asked.map((a) => a.channel)).toEqual(['dialog:open', 'dialog:save', 'dialog:open']);
    expect(server.dialogs.asked[0]!.request).toEqual(open);
  });

  it('pushes task:changed only once signed in, for what the account may see', async () => {
    const { tasks } = server.airlock;
    const someone = { name: 'olga', source: 'test', role: 'operator' as const };
    tasks.begin({ id: 'before', kind: 'scan', title: 'Scan', actor: someone });
    expect(server.events.filter((e) => e.event === 'task:changed')).toEqual([]);
    expect((await invoke('auth:setup', { name: 'admin', password: 'correct horse battery' })).ok).toBe(true);
    tasks.finish('before', { summary: 'nothing found' });
    const pushed = server.events.filter((e) => e.event === 'task:changed');
    expect(pushed.map((e) => e.payload)).toMatchObject([{ id: 'before', state: 'completed' }]);
    expect(((await invoke('tasks:list')).value as { id: string }[]).map((t) => t.id)).toEqual(['before']);
  });
});
