import { describe, expect, it } from 'vitest';
import { CHANNEL_NAMES, EVENT_NAMES } from '../../runtime/contract/index.js';
import {
  APP_ENTRY,
  CHROMIUM_SWITCHES,
  CONTENT_SECURITY_POLICY,
  HOST_RESOLVER_RULES,
  isAllowedChannel,
  isAllowedEvent,
  isTrustedSender,
  requestDecision,
  resolveAppPath,
  securityHeaders,
  windowOptions,
} from './policy.js';

describe('window options follow the Electron security checklist', () => {
  const options = windowOptions('/opt/airlock/preload.cjs');
  const web = options.webPreferences!;
  it('sandboxes the page and isolates it from Node', () => {
    expect(web.sandbox).toBe(true);
    expect(web.contextIsolation).toBe(true);
    expect(web.nodeIntegration).toBe(false);
    expect(web.nodeIntegrationInWorker).toBe(false);
    expect(web.nodeIntegrationInSubFrames).toBe(false);
    expect(web.preload).toBe('/opt/airlock/preload.cjs');
  });
  it('keeps web security on and every risky feature off', () => {
    expect(web.webSecurity).toBe(true);
    expect(web.allowRunningInsecureContent).toBe(false);
    expect(web.experimentalFeatures).toBe(false);
    expect(web.webviewTag).toBe(false);
    expect(web.navigateOnDragDrop).toBe(false);
    expect(web.spellcheck).toBe(false);
    expect(web.devTools).toBe(false);
  });
  it('loads the app from app://, not file://', () => {
    expect(APP_ENTRY).toBe('app://airlock/index.html');
  });
});

describe('Content-Security-Policy', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0]!, d.split(' ').slice(1)]),
  );
  it('denies by default and allows scripts and styles from the app only', () => {
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('style-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
  });
  it('has no inline script, no eval and no remote source anywhere', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|wasm-unsafe|https?:|\*|ws:/);
  });
  it('is sent on every app:// response with nosniff', () => {
    const headers = securityHeaders('text/html');
    expect(headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('app:// path check', () => {
  it('maps app paths into the renderer folder', () => {
    expect(resolveAppPath('/')).toBe('index.html');
    expect(resolveAppPath('')).toBe('index.html');
    expect(resolveAppPath('/index.html')).toBe('index.html');
    expect(resolveAppPath('/assets/index-abc.js')).toBe('assets/index-abc.js');
    expect(resolveAppPath('/assets//x.css')).toBe('assets/x.css');
  });
  it.each([
    '/../etc/passwd',
    '/assets/../../secret',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/..%2f..%2fetc%2fpasswd',
    '/assets/..%5c..%5cwindows',
    '/a\\..\\b',
    '/index.html%00.js',
    '/C:/Windows/win.ini',
    '/./index.html',
    '/%E0%A4%A',
  ])('refuses %s', (path) => {
    expect(resolveAppPath(path)).toBeNull();
  });
});

describe('network lockdown', () => {
  it('lets app:// through and cancels everything else', () => {
    expect(requestDecision('app://airlock/index.html')).toEqual({ cancel: false });
    expect(requestDecision('app://airlock/assets/a.js')).toEqual({ cancel: false });
    for (const url of [
      'http://127.0.0.1:8080/',
      'http://localhost/',
      'https://example.com/',
      'https://clients2.google.com/service/update2/crx',
      'wss://example.com/socket',
      'ftp://example.com/file',
      'file:///etc/passwd',
      'devtools://devtools/bundled/inspector.html',
      'chrome-extension://abc/x.js',
      'data:text/html,<script>1</script>',
      'blob:https://example.com/uuid',
      'app://other-host/index.html',
      'not a url',
      '',
    ]) {
      expect(requestDecision(url), url).toEqual({ cancel: true });
    }
  });
  it('disables DNS and Chromium background fetches by switch', () => {
    const switches = new Map(CHROMIUM_SWITCHES.map(([k, v]) => [k, v]));
    expect(HOST_RESOLVER_RULES).toBe('MAP * ~NOTFOUND');
    expect(switches.get('host-resolver-rules')).toBe('MAP * ~NOTFOUND');
    for (const name of [
      'disable-background-networking',
      'disable-component-update',
      'disable-sync',
      'no-pings',
      'disable-domain-reliability',
    ]) {
      expect(switches.has(name), name).toBe(true);
    }
  });
});

describe('IPC allow-list and sender check', () => {
  it('allows every contract channel and event, and nothing else', () => {
    for (const name of CHANNEL_NAMES) expect(isAllowedChannel(name)).toBe(true);
    expect(isAllowedChannel('system:network')).toBe(true);
    for (const bad of [
      'fs:read',
      'shell:exec',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      '',
      42,
      null,
      undefined,
      { toString: () => 'system:info' },
    ]) {
      expect(isAllowedChannel(bad), String(bad)).toBe(false);
    }
    for (const name of EVENT_NAMES) expect(isAllowedEvent(name)).toBe(true);
    expect(isAllowedEvent('airlock:invoke')).toBe(false);
  });
  it('accepts calls only from the app:// page', () => {
    expect(isTrustedSender('app://airlock/index.html')).toBe(true);
    for (const url of [
      'file:///opt/airlock/index.html',
      'http://127.0.0.1/',
      'https://airlock/',
      'app://evil/index.html',
      '',
      null,
      undefined,
    ]) {
      expect(isTrustedSender(url), String(url)).toBe(false);
    }
  });
});
