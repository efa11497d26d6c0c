// Child of crash.test.ts: logs as fast as it can and prints "seq hash" after each append has
// returned (so the record is acknowledged as durable), until the parent kills it with SIGKILL.
import { Airlock } from '../../dist/runtime/airlock.js';

const dataDir = process.argv[2];
const airlock = Airlock.open({ dataDir });
const actor = { name: 'crash-test', source: `test:${process.pid}`, role: 'operator' };
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const records =
    i % 3 === 0
      ? airlock.audit.appendMany(
          actor,
          Array.from({ length: 5 }, (_, j) => ({
            action: 'test.burst',
            target: `b${i}.${j}`,
            outcome: 'success',
            details: { i, j },
          })),
        )
      : [
          airlock.audit.append(actor, {
            action: 'test.event',
            target: `e${i}`,
            outcome: 'success',
            details: { i, pad: 'x'.repeat(i % 200) },
          }),
        ];
  const last = records.at(-1);
  process.stdout.write(`${last.seq} ${last.hash}\n`);
}
