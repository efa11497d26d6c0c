import type { ProcessedResult } from '../contract/processing.js';

/** A post-processed result as a person reads it in a terminal. */
export function describeResult(result: ProcessedResult): string {
  switch (result.kind) {
    case 'text':
      return `text: ${JSON.stringify(result.text)} (confidence ${result.confidence.toFixed(3)})`;
    case 'classes':
      return result.top
        .map((c, i) => `${i + 1}. ${c.label ?? `class ${c.index}`}: ${(c.score * 100).toFixed(1)}%`)
        .join('\n');
    case 'boxes':
      return result.boxes.length === 0
        ? 'no text regions found'
        : result.boxes.map((b) => `box [${b.box.join(', ')}] score ${b.score.toFixed(3)}`).join('\n');
    case 'lines':
      return result.lines.length === 0
        ? 'no text found'
        : result.lines
            .map(
              (l) =>
                `${l.text}    (confidence ${l.confidence.toFixed(3)}${l.angle ? ', turned upright' : ''}, box [${l.box.join(', ')}])`,
            )
            .join('\n');
  }
}
