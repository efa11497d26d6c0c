import { open } from 'node:fs/promises';
import { constants } from 'node:fs';
import type { JobFailure } from '../contract/jobs.js';

/** At most this much of a results file is read for its failed lines, and this many are returned. */
const MAX_READ = 16 * 1024 * 1024;
const MAX_FAILURES = 500;

/** CSV rows as the results writer quotes them (RFC 4180: quotes doubled, fields may hold line breaks). */
function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  return rows;
}

/**
 * The failed inputs of a job with their reasons, from the committed part of its results file
 * (the lines the job has recorded). A file that cannot be read gives none: the counts still say
 * how many failed, and the file itself stays the record.
 */
export async function jobFailures(
  outFile: string,
  format: 'csv' | 'jsonl',
  committedBytes: number,
): Promise<JobFailure[]> {
  let text: string;
  try {
    const fh = await open(outFile, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      if (!(await fh.stat()).isFile()) return [];
      const length = Math.min(committedBytes, MAX_READ);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buffer, 0, length, 0);
      text = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return [];
  }
  const out: JobFailure[] = [];
  if (format === 'jsonl') {
    for (const line of text.split('\n')) {
      if (out.length >= MAX_FAILURES) break;
      if (!line.includes('"ok":false')) continue;
      try {
        const l = JSON.parse(line) as {
          file?: unknown;
          ok?: unknown;
          error?: { code?: unknown; message?: unknown };
        };
        if (l.ok === false && typeof l.file === 'string')
          out.push({
            file: l.file,
            code: typeof l.error?.code === 'string' ? l.error.code : 'FAILED',
            message: typeof l.error?.message === 'string' ? l.error.message : '',
          });
      } catch {
        // A cut last line (the job is writing): the next look reads it whole.
      }
    }
    return out;
  }
  for (const [i, r] of csvRows(text).entries()) {
    if (i === 0 || out.length >= MAX_FAILURES) continue;
    if (r.length >= 5 && r[1] === 'false')
      out.push({ file: r[0]!, code: r[3] || 'FAILED', message: r[4] ?? '' });
  }
  return out;
}
