/**
 * The desktop app's main process: a thin composition root. It locks the network down, serves the
 * built renderer over app://, starts the engine in a utility process and relays the contract
 * between the window and the engine, validating every sender and channel.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  protocol,
  session,
  utilityProcess,
  type Session,
  type WebContents,
} from 'electron';
import { z } from 'zod';
import { resolveDataDir } from '../../runtime/index.js';
import {
  shellChannels,
  type DialogAnswer,
  type NetworkStatus,
  type Result,
} from '../../runtime/contract/index.js';
import { EngineClient, type FromEngine } from './engine-client.js';
import {
  APP_ENTRY,
  APP_SCHEME,
  CHROMIUM_SWITCHES,
  ENGINE_ENV,
  HOST_RESOLVER_RULES,
  IPC,
  contentTypeOf,
  isAllowedChannel,
  isAppUrl,
  isTrustedSender,
  requestDecision,
  resolveAppPath,
  securityHeaders,
  windowOptions,
} from './policy.js';

const here = dirname(fileURLToPath(import.meta.url));
const rendererDir = resolve(here, '..', 'renderer');
const preloadPath = join(here, '..', 'preload', 'preload.cjs');
const engineEntry = join(here, 'engine-host.js');

// Before anything starts: DNS off, Chromium background fetches off, app:// privileged.
for (const [name, value] of CHROMIUM_SWITCHES) app.commandLine.appendSwitch(name, value);
app.enableSandbox();
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
]);
if (!app.requestSingleInstanceLock()) app.quit();

let blocked = 0;
let checkedAt = new Date().toISOString();
let selfTest = { ok: false, detail: 'not run yet' };

function lockDown(ses: Session): void {
  ses.webRequest.onBeforeRequest((details, callback) => {
    const decision = requestDecision(details.url);
    if (decision.cancel) blocked += 1;
    callback(decision);
  });
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.setSpellCheckerEnabled(false);
  ses.setSpellCheckerDictionaryDownloadURL(`${APP_SCHEME}://airlock/no-dictionaries/`);
  ses.protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const rel = isAppUrl(request.url) ? resolveAppPath(url.pathname) : null;
    const file = rel === null ? null : resolve(rendererDir, rel);
    if (file === null || !(file === rendererDir || file.startsWith(rendererDir + sep))) {
      return new Response('Not found', { status: 404, headers: securityHeaders('text/plain') });
    }
    try {
      return new Response(await readFile(file), {
        status: 200,
        headers: securityHeaders(contentTypeOf(file)),
      });
    } catch {
      return new Response('Not found', { status: 404, headers: securityHeaders('text/plain') });
    }
  });
}

/** Proves the lock: a request to an outside address must be cancelled by the session filter. */
async function checkLock(ses: Session): Promise<void> {
  const before = blocked;
  try {
    await ses.fetch('https://lock-check.airlock.invalid/');
    selfTest = { ok: false, detail: 'a request to an outside address was NOT cancelled' };
  } catch {
    selfTest =
      blocked > before
        ? { ok: true, detail: 'a request to an outside address was cancelled by the session' }
        : { ok: false, detail: 'the request failed, but not because the session cancelled it' };
  }
  checkedAt = new Date().toISOString();
}

function networkStatus(ses: Session): NetworkStatus {
  const dns = app.commandLine.getSwitchValue('host-resolver-rules');
  const checks = [
    { name: 'Every request that is not app:// is cancelled', ok: selfTest.ok, detail: selfTest.detail },
    {
      name: 'DNS resolution disabled',
      ok: dns === HOST_RESOLVER_RULES,
      detail: `host-resolver-rules="${dns}"`,
    },
    {
      name: 'Background networking off',
      ok: app.commandLine.hasSwitch('disable-background-networking'),
      detail: 'component updates, sync and pings disabled',
    },
    {
      name: 'Spellchecker dictionary download off',
      ok: !ses.isSpellCheckerEnabled(),
      detail: 'spellcheck disabled',
    },
  ];
  return {
    transport: 'electron',
    locked: checks.every((c) => c.ok),
    blockedRequests: blocked,
    dnsRule: dns || null,
    checks,
    checkedAt,
  };
}

/**
 * dialog:open / dialog:save: a native dialog on the calling window, its request parsed with the
 * contract's schema. The window gets the chosen path only (null on cancel), never file contents.
 */
async function nativeDialog(
  channel: 'dialog:open' | 'dialog:save',
  request: unknown,
  sender: WebContents,
): Promise<Result<DialogAnswer>> {
  const usage = (error: z.ZodError): Result<DialogAnswer> => ({
    ok: false,
    error: { code: 'USAGE', message: `Invalid request for ${channel}: ${z.prettifyError(error)}` },
  });
  const win = BrowserWindow.fromWebContents(sender);
  if (channel === 'dialog:open') {
    const parsed = shellChannels['dialog:open'].request.safeParse(request ?? {});
    if (!parsed.success) return usage(parsed.error);
    if (!win) return { ok: true, value: { path: null } };
    const answer = await dialog.showOpenDialog(win, {
      title: parsed.data.title,
      filters: parsed.data.filters,
      properties: parsed.data.kind === 'folder' ? ['openDirectory', 'createDirectory'] : ['openFile'],
    });
    return { ok: true, value: { path: answer.canceled ? null : (answer.filePaths[0] ?? null) } };
  }
  const parsed = shellChannels['dialog:save'].request.safeParse(request ?? {});
  if (!parsed.success) return usage(parsed.error);
  if (!win) return { ok: true, value: { path: null } };
  const answer = await dialog.showSaveDialog(win, {
    title: parsed.data.title,
    filters: parsed.data.filters,
    properties: ['createDirectory', 'showOverwriteConfirmation'],
    ...(parsed.data.defaultName ? { defaultPath: parsed.data.defaultName } : {}),
  });
  return { ok: true, value: { path: answer.canceled || !answer.filePath ? null : answer.filePath } };
}

function startEngine(
  dataDir: string,
  send: (event: string, payload: unknown, connection?: number) => void,
): EngineClient {
  const child = utilityProcess.fork(engineEntry, ['--data-dir', dataDir], {
    serviceName: 'Airlock engine',
    stdio: 'inherit',
    env: { ...process.env, ...ENGINE_ENV },
  });
  const client = new EngineClient(
    (message) => child.postMessage(message),
    (event, payload, connection) => send(event, payload, connection),
  );
  child.on('message', (message: FromEngine) => client.receive(message));
  child.on('exit', () => client.stop());
  return client;
}

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

app.on('window-all-closed', () => app.quit());

void app.whenReady().then(async () => {
  const ses = session.defaultSession;
  lockDown(ses);
  await checkLock(ses);
  const windows = new Set<BrowserWindow>();
  const engine = startEngine(resolveDataDir(undefined), (event, payload, connection) => {
    for (const w of windows)
      if (connection === undefined || w.webContents.id === connection)
        w.webContents.send(IPC.event, event, payload);
  });

  ipcMain.handle(IPC.invoke, async (event, channel: unknown, request: unknown) => {
    if (!isTrustedSender(event.senderFrame?.url)) {
      return {
        ok: false,
        error: { code: 'PERMISSION_DENIED', message: 'Calls are accepted from the Airlock window only.' },
      };
    }
    if (!isAllowedChannel(channel))
      return { ok: false, error: { code: 'USAGE', message: `Unknown channel "${String(channel)}".` } };
    if (channel === 'system:network') return { ok: true, value: networkStatus(ses) };
    if (channel === 'dialog:open' || channel === 'dialog:save')
      return nativeDialog(channel, request, event.sender);
    return engine.call(channel, request, event.sender.id);
  });

  const win = new BrowserWindow(windowOptions(preloadPath));
  const connection = win.webContents.id;
  windows.add(win);
  win.on('closed', () => {
    windows.delete(win);
    engine.close(connection);
  });
  win.once('ready-to-show', () => win.show());
  await win.loadURL(APP_ENTRY);
});
