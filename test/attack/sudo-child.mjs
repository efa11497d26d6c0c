// Child of sudo.test.ts: the real airlock CLI (compiled, dist/) in a process the test starts with
// another uid and gid, the way sudo starts it as the service account. Those uids have no entry in
// /etc/passwd on a test machine, so the service account's home folder (the one thing the CLI takes
// from the user database) comes from AIRLOCK_TEST_SERVICE_HOME; everything else is main() as is.
import { main } from '../../dist/runtime/cli/main.js';

const home = process.env['AIRLOCK_TEST_SERVICE_HOME'];
process.exitCode = await main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: false,
  env: process.env,
  ...(home ? { home: () => home } : {}),
});
