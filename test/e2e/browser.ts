/**
 * The Chromium the renderer end-to-end tests drive: Debian's `/usr/bin/chromium` where it is
 * installed (CI installs it), else the headless Chromium shipped inside the npm package
 * `@sparticuz/chromium` (a devDependency), so a machine with only Node and npm runs them too.
 * The package's `executablePath()` unpacks its brotli files from node_modules into the temp dir
 * (`/tmp/chromium`, `/tmp/fonts`); nothing is downloaded. `test/global-setup.ts` unpacks once,
 * before the test files run in parallel.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import tar from 'tar-stream';

export const DEBIAN_CHROMIUM = '/usr/bin/chromium';
const NPM_CHROMIUM = '@sparticuz/chromium';

export interface ChromiumInstall {
  readonly executablePath: string;
  /** What is added to the browser's environment (shared libraries, fonts), if anything. */
  readonly env: Readonly<Record<string, string>>;
  readonly description: string;
}

/** The root of the installed @sparticuz/chromium package, or null. */
function npmChromiumRoot(): string | null {
  try {
    // Its exports map has no ./package.json; its CommonJS entry is build/cjs/index.cjs.
    const entry = createRequire(import.meta.url).resolve(NPM_CHROMIUM);
    return dirname(dirname(dirname(entry)));
  } catch {
    return null;
  }
}

/** Why no Chromium can run here, or null when one can. */
export function browserUnavailable(): string | null {
  if (existsSync(DEBIAN_CHROMIUM)) return null;
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return `${DEBIAN_CHROMIUM} is not installed, and ${NPM_CHROMIUM} ships Chromium for Linux x64 only (this is ${process.platform} ${process.arch})`;
  if (npmChromiumRoot() === null)
    return `${DEBIAN_CHROMIUM} is not installed, and neither is the devDependency ${NPM_CHROMIUM} (run npm ci)`;
  return null;
}

function versionOf(executablePath: string, env: Record<string, string>) {
  const r = spawnSync(executablePath, ['--version'], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}`.trim() };
}

/**
 * The package's Chromium links NSS from the system (libnss3, libnspr4). A machine without them
 * gets the copies the package ships for Amazon Linux (bin/al2023.tar.br), unpacked once.
 */
async function bundledLibraries(root: string, version: string): Promise<string> {
  const dir = join(tmpdir(), `airlock-chromium-${version}-libs`);
  if (existsSync(join(dir, 'libnss3.so'))) return dir;
  const partial = `${dir}.${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const name = header.name.replace(/^lib\//, '');
      if (header.type === 'file' && name && !name.includes('/')) {
        const chunks: Buffer[] = [];
        stream.on('data', (c) => chunks.push(c as Buffer));
        stream.on('end', () => {
          writeFileSync(join(partial, name), Buffer.concat(chunks), { mode: 0o755 });
          next();
        });
      } else {
        stream.on('end', next);
        stream.resume();
      }
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(brotliDecompressSync(readFileSync(join(root, 'bin', 'al2023.tar.br'))));
  await done;
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return dir;
}

/**
 * Unpacks the npm package's Chromium (when not already unpacked) and checks that it runs and is
 * the package's version: `executablePath()` returns whatever `/tmp/chromium` holds, which may be
 * left from another version of the package or from an unpacking that was cut short.
 */
async function npmChromium(root: string): Promise<ChromiumInstall> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const major = pkg.version.split('.')[0];
  const { default: Chromium } = await import('@sparticuz/chromium');
  const env: Record<string, string> = {};
  // Where the machine has no fontconfig set-up at all, use the package's (Open Sans, in /tmp/fonts).
  if (!existsSync('/etc/fonts/fonts.conf')) env['FONTCONFIG_PATH'] = join(tmpdir(), 'fonts');
  let failure = '';
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const executablePath = await Chromium.executablePath();
    let version = versionOf(executablePath, env);
    if (!version.ok && /error while loading shared libraries/.test(version.out)) {
      env['LD_LIBRARY_PATH'] = [await bundledLibraries(root, pkg.version), process.env['LD_LIBRARY_PATH']]
        .filter(Boolean)
        .join(':');
      version = versionOf(executablePath, env);
    }
    if (version.ok && version.out.startsWith(`Chromium ${major}.`)) {
      const extras = [
        ...('LD_LIBRARY_PATH' in env ? ['its own NSS libraries'] : []),
        ...('FONTCONFIG_PATH' in env ? ['its own fonts'] : []),
      ];
      return {
        executablePath,
        env,
        description: `${version.out} from ${NPM_CHROMIUM} ${pkg.version}${extras.length ? ` (with ${extras.join(' and ')})` : ''}`,
      };
    }
    failure = `${executablePath} ${version.ok ? `is ${version.out}` : `does not run: ${version.out}`}`;
    // Stale or cut short: unpack it again.
    rmSync(executablePath, { force: true });
  }
  throw new Error(`${NPM_CHROMIUM} ${pkg.version}: ${failure}`);
}

let resolved: Promise<ChromiumInstall> | null = null;

/** Debian's Chromium, else the npm package's, unpacked and checked (once per process). */
export function chromiumInstall(): Promise<ChromiumInstall> {
  resolved ??= (async () => {
    if (existsSync(DEBIAN_CHROMIUM))
      return { executablePath: DEBIAN_CHROMIUM, env: {}, description: `Debian's ${DEBIAN_CHROMIUM}` };
    const reason = browserUnavailable();
    const root = npmChromiumRoot();
    if (reason !== null || root === null) throw new Error(`No Chromium: ${reason ?? 'not found'}`);
    return npmChromium(root);
  })();
  return resolved;
}
