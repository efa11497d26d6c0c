#!/usr/bin/env node
// The `airlock` command: a thin launcher for the compiled engine CLI in dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/runtime/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    'airlock: the engine is not built yet. Run "npm ci" (or "npm run build") in the Airlock folder first.\n',
  );
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
