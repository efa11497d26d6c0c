import { execFileSync } from 'node:child_process';

/**
 * Tests that spawn the real `airlock` command or child processes run the compiled engine in dist/.
 * Build it once (incremental: a no-op when up to date) so a plain `vitest run` never tests stale code.
 */
export default function setup(): void {
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
}
