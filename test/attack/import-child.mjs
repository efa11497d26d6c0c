// Child process of kill.test.ts: imports one bundle into a data directory with the compiled engine
// (dist/, built by the test's global setup) and exits. The parent SIGKILLs it at random moments.
import { Airlock } from '../../dist/runtime/airlock.js';
import { importPath } from '../../dist/runtime/import/importer.js';

const [dataDir, bundle] = process.argv.slice(2);
const airlock = Airlock.open({ dataDir });
process.stdout.write('ready\n');
const started = performance.now();
const report = await importPath(airlock, { name: 'kill-test', source: `test:${process.pid}` }, bundle);
const importMs = performance.now() - started;
await airlock.close();
process.stdout.write(
  JSON.stringify({
    importMs,
    installed: report.installed,
    rejected: report.rejected,
    error: report.items[0]?.error ?? null,
  }) + '\n',
);
