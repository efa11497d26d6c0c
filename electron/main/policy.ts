/**
 * The shell's security decisions as pure functions over plain data, so they are unit-tested
 * without the Electron binary. Only types come from electron here (erased at build time).
 */
import type { BrowserWindowConstructorOptions } from 'electron';
import { CHANNEL_NAMES, EVENT_NAMES, SHELL_CHANNEL_NAMES } from '../../runtime/contract/index.js';

/** The custom scheme serving the built renderer (instead of file://). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'airlock';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

/**
 * Content-Security-Policy for every page the shell serves: scripts and styles from the app only,
 * no inline script, no eval, nothing fetched from anywhere else, no frames, no plugins.
 * (Inline style *attributes* set through the DOM by React are not governed by style-src.)
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "frame-src 'none'",
  "object-src 'none'",
  "worker-src 'none'",
  "manifest-src 'none'",
].join('; ');

/** Response headers for app:// responses. */
export function securityHeaders(contentType: string): Record<string, string> {
  return {
    'content-type': contentType,
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'referrer-policy': 'no-referrer',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=()',
    'cache-control': 'no-store',
  };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

export function contentTypeOf(path: string): string {
  const dot = path.lastIndexOf('.');
  return CONTENT_TYPES[dot >= 0 ? path.slice(dot).toLowerCase() : ''] ?? 'application/octet-stream';
}

/**
 * Maps an app:// (or loopback) URL path to a file under the renderer's dist folder, or null when
 * it would leave that folder or is otherwise not a plain relative path. Works on POSIX-style
 * relative paths; the caller joins the result onto the dist root.
 */
export function resolveAppPath(urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const parts = decoded.split('/').filter((p) => p.length > 0);
  if (parts.some((p) => p === '..' || p === '.' || /^[a-zA-Z]:$/.test(p))) return null;
  if (parts.length === 0) return 'index.html';
  return parts.join('/');
}

/** Whether a URL is one the app itself serves (app://airlock/...). */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/**
 * The session's request filter: only app:// passes; everything else (http, https, ws, ftp, file,
 * devtools, chrome-extension, unparsable URLs) is cancelled.
 */
export function requestDecision(url: string): { cancel: boolean } {
  return { cancel: !isAppUrl(url) };
}

/** Whether an IPC message may be served: it must come from the app's own page (top frame). */
export function isTrustedSender(frameUrl: string | undefined | null): boolean {
  return typeof frameUrl === 'string' && isAppUrl(frameUrl);
}

const ALLOWED_CHANNELS = new Set<string>([...CHANNEL_NAMES, ...SHELL_CHANNEL_NAMES]);
const ALLOWED_EVENTS = new Set<string>(EVENT_NAMES);

export function isAllowedChannel(name: unknown): name is string {
  return typeof name === 'string' && ALLOWED_CHANNELS.has(name);
}

export function isAllowedEvent(name: unknown): name is string {
  return typeof name === 'string' && ALLOWED_EVENTS.has(name);
}

/** The IPC channel names the preload and main use on the wire. */
export const IPC = { invoke: 'airlock:invoke', event: 'airlock:event' } as const;

/**
 * DNS off for the whole browser process: every host maps to an unresolvable address, so even a
 * request that escaped the session filter could not resolve a name.
 */
export const HOST_RESOLVER_RULES = 'MAP * ~NOTFOUND';

/** Chromium switches that stop background fetches (updates, metrics, sync, safe browsing, ...). */
export const CHROMIUM_SWITCHES: readonly (readonly [string, string?])[] = [
  ['host-resolver-rules', HOST_RESOLVER_RULES],
  ['disable-background-networking'],
  ['disable-component-update'],
  ['disable-domain-reliability'],
  ['disable-sync'],
  ['disable-breakpad'],
  ['no-pings'],
  ['disable-client-side-phishing-detection'],
  ['disable-default-apps'],
  ['no-default-browser-check'],
  [
    'disable-features',
    'AutofillServerCommunication,OptimizationHints,MediaRouter,DialMediaRouteProvider,Translate,SpareRendererForSitePerProcess,NetworkTimeServiceQuerying,CertificateTransparencyComponentUpdater',
  ],
  ['proxy-server', 'http://0.0.0.0:0'],
  ['proxy-bypass-list', '<-loopback>'],
];

/** Environment for the engine process: onnxruntime and Node telemetry/update checks off. */
export const ENGINE_ENV: Readonly<Record<string, string>> = {
  ORT_DISABLE_TELEMETRY: '1',
  ORT_TELEMETRY_ENABLED: '0',
  NO_UPDATE_NOTIFIER: '1',
  npm_config_update_notifier: 'false',
};

/** The main window, per Electron's security checklist. */
export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 840,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Airlock',
    backgroundColor: '#12161c',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      enableWebSQL: false,
      devTools: false,
      v8CacheOptions: 'none',
    },
  };
}

/** The fuses flipped on the packaged binary (electron-builder's electronFuses). */
export const FUSES = {
  runAsNode: false,
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  loadBrowserProcessSpecificV8Snapshot: false,
  grantFileProtocolExtraPrivileges: false,
} as const;
