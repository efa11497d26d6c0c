import { useState } from 'react';
import type { ProcessedResult } from '../../../../runtime/contract/index.js';

export interface DrawnBox {
  readonly box: readonly [number, number, number, number];
  readonly label: string;
}

/** The boxes a result carries (detections, OCR lines), in image pixels, with what to write on them. */
export function boxesOf(result: ProcessedResult): DrawnBox[] {
  if (result.kind === 'boxes')
    return result.boxes.map((b) => ({ box: b.box, label: `${(b.score * 100).toFixed(0)}%` }));
  if (result.kind === 'lines') return result.lines.map((l) => ({ box: l.box, label: l.text }));
  return [];
}

/** The input image with the result's boxes drawn over it (an SVG in the image's own pixels). */
export function BoxOverlay({ image, boxes }: { image: string; boxes: readonly DrawnBox[] }) {
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);
  return (
    <figure className="run-overlay" data-testid="result-overlay">
      <div className="run-overlay-frame">
        <img
          src={image}
          alt="Input with the detected regions"
          onLoad={(e) => setSize({ w: e.currentTarget.naturalWidth, h: e.currentTarget.naturalHeight })}
        />
        {size ? (
          <svg viewBox={`0 0 ${size.w} ${size.h}`} preserveAspectRatio="none" aria-hidden="true">
            {boxes.map((b, i) => {
              const [x0, y0, x1, y1] = b.box;
              return (
                <g key={i} data-testid="overlay-box">
                  <rect x={x0} y={y0} width={Math.max(1, x1 - x0)} height={Math.max(1, y1 - y0)} />
                  <text x={x0 + 2} y={Math.max(10, y0 - 3)} fontSize={Math.max(10, size.h / 30)}>
                    {b.label}
                  </text>
                </g>
              );
            })}
          </svg>
        ) : null}
      </div>
      <figcaption className="muted small">
        {boxes.length} region{boxes.length === 1 ? '' : 's'} drawn on the input.
      </figcaption>
    </figure>
  );
}
