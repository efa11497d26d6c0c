import { execFileSync } from 'node:child_process';
import { browserUnavailable, chromiumInstall } from './e2e/browser.js';

/**
 * Tests that spawn the real `airlock` command or child processes run the compiled engine in dist/.
 * Build it once (incremental: a no-op when up to date) so a plain `vitest run` never tests stale code.
 */
export default async function setup(): Promise<void> {
  try {
    execFileSync(new URL('../node_modules/.bin/tsc', import.meta.url).pathname, ['-b', 'runtime'], {
      cwd: new URL('..', import.meta.url).pathname,
      stdio: 'inherit',
    });
  } catch {
    // Type errors are reported by the type-check step of `npm test`; tsc still emits, so run on.
    console.warn(
      'global-setup: "tsc -b runtime" reported errors (see above); tests run against what it emitted.',
    );
  }

  // The browser tests run in parallel; unpack the npm package's Chromium (where Debian's is not
  // installed) once here, so they never race to write it. A failure is theirs to report.
  if (browserUnavailable() === null) {
    try {
      console.log(`global-setup: browser tests use ${(await chromiumInstall()).description}`);
    } catch (error) {
      console.warn(`global-setup: ${(error as Error).message}`);
    }
  }
}
