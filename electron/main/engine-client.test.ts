import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Airlock, createHandlers, SessionTransport } from '../../runtime/index.js';
import type { ChannelName, EventName, Events } from '../../runtime/contract/index.js';
import { EngineClient, type FromEngine, type ToEngine } from './engine-client.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * The real engine behind the client, served the way engine-host.ts serves it (one
 * SessionTransport per connection), with a structured-clone hop like the utility process's port.
 */
function connect() {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-client-'));
  dirs.push(dir);
  const airlock = Airlock.open({ dataDir: join(dir, 'data') });
  const handlers = createHandlers(airlock);
  const connections = new Map<number, SessionTransport>();
  const events: Events[EventName][] = [];
  let client: EngineClient | null = null;
  const deliver = (m: FromEngine) => setImmediate(() => client?.receive(structuredClone(m)));
  client = new EngineClient(
    (message: ToEngine) => {
      const m = structuredClone(message);
      if (m.type === 'close') return void connections.delete(m.connection);
      let t = connections.get(m.connection);
      if (!t) connections.set(m.connection, (t = new SessionTransport(airlock, handlers, 'app:test')));
      void t
        .invoke(m.channel as ChannelName, m.request, {
          onProgress: (payload) => deliver({ type: 'event', event: 'operation:progress', payload }),
        })
        .then((result) => deliver({ type: 'result', id: m.id, result }));
    },
    (_event, payload) => events.push(payload),
  );
  return { client, airlock, events };
}

describe('EngineClient', () => {
  it('relays calls to the engine, each answered with its own result', async () => {
    const { client, airlock } = connect();
    expect(await client.call('auth:status', {}, 1)).toMatchObject({ ok: true, value: { needsSetup: true } });
    expect(
      await client.call('auth:setup', { name: 'admin', password: 'correct horse battery' }, 1),
    ).toMatchObject({
      ok: true,
    });
    const [info, keys, bad] = await Promise.all([
      client.call('system:info', {}, 1),
      client.call('trust:list', {}, 1),
      client.call('models:get', { ref: '' }, 1),
    ]);
    expect(info).toMatchObject({ ok: true, value: { installationId: airlock.installationId } });
    expect(keys).toEqual({ ok: true, value: [] });
    expect(bad).toMatchObject({ ok: false, error: { code: 'USAGE' } });
    expect(client.inFlight).toBe(0);
    await airlock.close();
  });

  it('keeps sessions per connection: a second window is not signed in by the first', async () => {
    const { client, airlock } = connect();
    await client.call('auth:setup', { name: 'admin', password: 'correct horse battery' }, 1);
    expect(await client.call('trust:list', {}, 2)).toMatchObject({
      ok: false,
      error: { code: 'AUTH_REQUIRED' },
    });
    await client.call('audit:verify', {}, 1);
    const records = await client.call('audit:list', { limit: 1 }, 1);
    expect(records).toMatchObject({ ok: true, value: [{ actor: 'admin', action: 'audit.verify' }] });
    client.close(1);
    expect(await client.call('trust:list', {}, 1)).toMatchObject({
      ok: false,
      error: { code: 'AUTH_REQUIRED' },
    });
    await airlock.close();
  });

  it('fails every call in flight, and every later call, when the engine stops', async () => {
    const posted: ToEngine[] = [];
    const client = new EngineClient(
      (m) => posted.push(m),
      () => {},
    );
    const pending = client.call('system:info', {}, 1);
    expect(posted).toHaveLength(1);
    client.stop();
    await expect(pending).resolves.toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    await expect(client.call('trust:list', {}, 1)).resolves.toMatchObject({
      ok: false,
      error: { code: 'INTERNAL', message: expect.stringMatching(/Restart Airlock/) },
    });
    expect(posted).toHaveLength(1);
  });

  it('ignores answers to calls it never made and relays events', () => {
    const seen: unknown[] = [];
    const client = new EngineClient(
      () => {},
      (event, payload) => seen.push([event, payload]),
    );
    client.receive({ type: 'result', id: 999, result: { ok: true, value: 1 } });
    const progress = {
      operationId: 'x',
      phase: 'verifying',
      done: 1,
      total: 2,
      rate: null,
      unit: 'bytes',
    } as const;
    client.receive({ type: 'event', event: 'operation:progress', payload: progress });
    expect(seen).toEqual([['operation:progress', progress]]);
  });
});
