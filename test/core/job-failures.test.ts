import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { CSV_HEADER, formatLine } from '../../runtime/jobs/job-output.js';
import { jobFailures } from '../../runtime/jobs/job-failures.js';
import type { JobLine } from '../../runtime/contract/jobs.js';
import { tempDir } from './helpers.js';

const LINES: JobLine[] = [
  { file: 'a.npy', sha256: 'aa', ok: true, outputs: { y: 1 } },
  {
    file: 'b, "odd".json',
    sha256: 'bb',
    ok: false,
    error: { code: 'INPUT_INVALID', message: 'b.json is not JSON,\nat line 1' },
  },
  { file: 'c.npy', sha256: null, ok: false, error: { code: 'INPUT_SHAPE_MISMATCH', message: 'wrong shape' } },
];

describe('jobFailures: the failed inputs of a results file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('reads them from JSON Lines and from CSV, up to the committed length', async () => {
    for (const format of ['jsonl', 'csv'] as const) {
      const body = (format === 'csv' ? CSV_HEADER : '') + LINES.map((l) => formatLine(format, l)).join('');
      const file = join(dir, `out.${format}`);
      await writeFile(file, body + (format === 'jsonl' ? '{"file":"cut","ok":fal' : 'cut,false'));
      expect(await jobFailures(file, format, Buffer.byteLength(body))).toEqual([
        { file: 'b, "odd".json', code: 'INPUT_INVALID', message: 'b.json is not JSON,\nat line 1' },
        { file: 'c.npy', code: 'INPUT_SHAPE_MISMATCH', message: 'wrong shape' },
      ]);
    }
  });

  it('a missing file gives none', async () => {
    expect(await jobFailures(join(dir, 'nope.jsonl'), 'jsonl', 100)).toEqual([]);
  });
});
