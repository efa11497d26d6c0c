/**
 * docs/trust-policy.md promises a worked example that really works: its sh blocks run here, as
 * written, against the built CLI (bin/airlock.js → dist/), under `set -e`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

it('the worked example of docs/trust-policy.md runs end to end', { timeout: 180_000 }, async () => {
  const doc = await readFile(join(root, 'docs', 'trust-policy.md'), 'utf8');
  const blocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks.length).toBeGreaterThanOrEqual(2);
  const scratch = await mkdtemp(join(tmpdir(), 'airlock-doc-'));
  try {
    const run = spawnSync('bash', ['-e', '-c', blocks.join('\n')], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: scratch, AIRLOCK_HOME: '' },
      timeout: 170_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('[THRESHOLD_NOT_MET]');
    expect(run.stderr).toContain('already in force');
    // One admin account cannot change the keys once a policy is in force (remove, then add).
    expect(run.stderr.match(/cannot change while signed policy version 1 is in force/g)).toHaveLength(2);
    expect(run.stdout).toMatch(/DISABLED classifier@1\.1\.0: signed by revoked key/);
    expect(run.stdout).toContain('[ROLLBACK]');
    expect(run.stdout).toContain('INSTALLED  classifier@1.0.1');
    // The last command counts the audited downgrade allowance.
    expect(run.stdout.trim().split('\n').at(-1)).toBe('1');
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});
