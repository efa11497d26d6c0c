/**
 * The loopback-only test transport: serves the built renderer and the contract over HTTP on
 * 127.0.0.1, so Playwright can drive the real UI against the real engine in Debian's Chromium.
 * It lives under test/ (never in runtime/ or the Electron app's code path): Airlock itself never
 * opens a socket. POST /invoke/{channel} → dispatch(); GET /events → server-sent events.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Airlock, createHandlers, SessionTransport, type Handlers } from '../../runtime/index.js';
import {
  shellChannels,
  type DialogAnswer,
  type NetworkStatus,
  type Result,
} from '../../runtime/contract/index.js';
import { z } from 'zod';
import { contentTypeOf, resolveAppPath, securityHeaders } from '../../electron/main/policy.js';

export interface LoopbackServer {
  readonly url: string;
  readonly airlock: Airlock;
  readonly handlers: Handlers;
  /** Every event pushed to the page, in order (tests check progress was reported). */
  readonly events: { event: string; payload: unknown }[];
  /**
   * The native dialogs (dialog:open, dialog:save), answered from a queue the test fills: each
   * `answer` is used once, first in first out; with the queue empty a dialog answers
   * {path: null} (the person cancelled). `asked` lists every dialog the page opened.
   */
  readonly dialogs: {
    answer(path: string | null): void;
    readonly asked: { channel: 'dialog:open' | 'dialog:save'; request: unknown }[];
  };
  close(): Promise<void>;
}

export interface LoopbackOptions {
  readonly dataDir: string;
  /** The built renderer (renderer/dist). */
  readonly staticDir: string;
  /** The port on 127.0.0.1 (default: any free one). */
  readonly port?: number;
}

const MAX_BODY = 64 * 1024 * 1024;

function json(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      return Array.from(v as unknown as ArrayLike<number | bigint>, (x) =>
        typeof x === 'bigint' ? x.toString() : x,
      );
    }
    return v;
  });
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startLoopbackServer(options: LoopbackOptions): Promise<LoopbackServer> {
  const airlock = Airlock.open({ dataDir: options.dataDir });
  const handlers = createHandlers(airlock);
  // One browser, one connection: the session it signs in with (auth:setup / auth:login) signs
  // every later call, exactly as Electron main keeps one per window.
  const transport = new SessionTransport(airlock, handlers, `loopback:${process.pid}`);
  const streams = new Set<ServerResponse>();
  const startedAt = new Date().toISOString();
  let origin = '';

  const events: { event: string; payload: unknown }[] = [];
  const broadcast = (event: string, payload: unknown) => {
    events.push({ event, payload });
    const line = `data: ${json({ event, payload })}\n\n`;
    for (const s of streams) s.write(line);
  };

  // The task centre's changes, for the account this connection signed in with (as tasks:list).
  const unsubscribe = airlock.tasks.subscribe((task) => {
    if (transport.sees(task)) broadcast('task:changed', task);
  });

  const answers: (string | null)[] = [];
  const asked: { channel: 'dialog:open' | 'dialog:save'; request: unknown }[] = [];
  const dialog = (channel: 'dialog:open' | 'dialog:save', request: unknown): Result<DialogAnswer> => {
    const parsed = shellChannels[channel].request.safeParse(request ?? {});
    if (!parsed.success)
      return {
        ok: false,
        error: { code: 'USAGE', message: `Invalid request for ${channel}: ${z.prettifyError(parsed.error)}` },
      };
    asked.push({ channel, request: parsed.data });
    return { ok: true, value: { path: answers.length > 0 ? answers.shift()! : null } };
  };

  const network = (): NetworkStatus => ({
    transport: 'loopback',
    locked: false,
    blockedRequests: 0,
    dnsRule: null,
    checks: [
      { name: 'Bound to 127.0.0.1 only', ok: true, detail: `test transport at ${origin}` },
      {
        name: 'Session request filter',
        ok: false,
        detail: 'only the desktop app cancels non-app:// requests',
      },
    ],
    checkedAt: startedAt,
  });

  const server = createServer((req, res) => {
    void (async () => {
      // Loopback only, and only for our own origin (no DNS-rebinding, no cross-site POST).
      if (req.socket.remoteAddress !== '127.0.0.1' || req.headers.host !== origin.replace('http://', '')) {
        res.writeHead(403).end();
        return;
      }
      const url = new URL(req.url ?? '/', origin);
      if (req.method === 'POST' && url.pathname.startsWith('/invoke/')) {
        if (req.headers.origin !== undefined && req.headers.origin !== origin) {
          res.writeHead(403).end();
          return;
        }
        const name = decodeURIComponent(url.pathname.slice('/invoke/'.length));
        let request: unknown;
        try {
          // File bytes travel as {"$bytes": base64} and become a Uint8Array again, as over IPC.
          request = JSON.parse((await body(req)) || '{}', (_key, v: unknown) =>
            v !== null && typeof v === 'object' && typeof (v as { $bytes?: unknown }).$bytes === 'string'
              ? new Uint8Array(Buffer.from((v as { $bytes: string }).$bytes, 'base64'))
              : v,
          );
        } catch {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(json({ ok: false, error: { code: 'USAGE', message: 'The request body is not JSON.' } }));
          return;
        }
        const result =
          name === 'system:network'
            ? { ok: true, value: network() }
            : name === 'dialog:open' || name === 'dialog:save'
              ? dialog(name, request)
              : await transport.invoke(name as Parameters<typeof transport.invoke>[0], request, {
                  onProgress: (e) => broadcast('operation:progress', e),
                });
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(json(result));
        return;
      }
      if (req.method === 'GET' && url.pathname === '/events') {
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-store',
          connection: 'keep-alive',
        });
        res.write(': connected\n\n');
        streams.add(res);
        req.on('close', () => streams.delete(res));
        return;
      }
      if (req.method !== 'GET') {
        res.writeHead(405).end();
        return;
      }
      const rel = resolveAppPath(url.pathname);
      if (rel === null) {
        res.writeHead(404).end();
        return;
      }
      try {
        const data = await readFile(join(options.staticDir, rel));
        res.writeHead(200, securityHeaders(contentTypeOf(rel)));
        res.end(data);
      } catch {
        res.writeHead(404).end();
      }
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    airlock,
    handlers,
    events,
    dialogs: {
      answer: (path) => {
        answers.push(path);
      },
      asked,
    },
    close: async () => {
      unsubscribe();
      for (const s of streams) s.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await airlock.close();
    },
  };
}
