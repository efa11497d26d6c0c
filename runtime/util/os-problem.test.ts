import { mkdtempSync, writeFileSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { osDetail, osProblem } from './os-problem.js';

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('osProblem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'os-problem-'));
  const file = join(dir, 'file');
  writeFileSync(file, 'x');

  it('puts real file-system failures in words, keeping the raw text apart', async () => {
    const missing = await failure(() => open(join(dir, 'absent')));
    expect(osProblem(missing)).toBe('it does not exist');
    expect(osDetail(missing).os).toMatch(/ENOENT/);
    expect(osProblem(await failure(() => readdir(file)))).toBe('a part of the path is not a folder');
    expect(osProblem(await failure(() => open(join(file, 'below'))))).toBe(
      'a part of the path is not a folder',
    );
  });

  it('never passes library text through for an unknown failure', () => {
    expect(osProblem(new Error('EWEIRD: something odd'))).toBe('the operating system refused it');
    expect(osProblem(null)).toBe('the operating system refused it');
  });
});
