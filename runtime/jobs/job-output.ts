import type { JobLine } from '../contract/jobs.js';
import type { ProcessedResult } from '../contract/processing.js';

/** The first line of a CSV results file. */
export const CSV_HEADER = 'file,ok,result,error_code,error_message,sha256\n';

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A one-cell summary of a result for CSV (the JSON Lines form keeps everything). */
export function summarize(result: ProcessedResult): string {
  switch (result.kind) {
    case 'text':
      return result.text;
    case 'classes':
      return result.top.map((c) => `${c.label ?? c.index}:${c.score.toFixed(4)}`).join(' ');
    case 'boxes':
      return result.boxes.map((b) => b.box.join(' ')).join('; ');
    case 'lines':
      return result.lines.map((l) => l.text).join(' | ');
  }
}

/** One input's line of a results file, as CSV or JSON Lines. */
export function formatLine(format: 'csv' | 'jsonl', line: JobLine): string {
  if (format === 'jsonl') return JSON.stringify(line) + '\n';
  const result = line.result
    ? summarize(line.result as ProcessedResult)
    : line.outputs
      ? JSON.stringify(line.outputs)
      : '';
  return (
    [line.file, String(line.ok), result, line.error?.code ?? '', line.error?.message ?? '', line.sha256 ?? '']
      .map(csvField)
      .join(',') + '\n'
  );
}
