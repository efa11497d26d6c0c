import {
  KNOWN_POSTPROCESS_KINDS,
  knownPostprocessStepSchema,
  type ClassScore,
  type PostprocessStep,
  type ProcessedResult,
} from '../contract/processing.js';
import type { TensorJson, TensorMapJson } from '../contract/tensors.js';
import { AirlockError } from '../errors.js';
import type { ImageGeometry } from './preprocess.js';

/** Lines of a labels.txt / dictionary file, as written (no trimming: a label may be a space). */
export function parseLabels(text: string): string[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines;
}

export function knownPostSteps(
  steps: readonly ({ kind: string } & Record<string, unknown>)[] | undefined,
  model: string,
): PostprocessStep[] {
  const out: PostprocessStep[] = [];
  for (const step of steps ?? []) {
    if (!(KNOWN_POSTPROCESS_KINDS as readonly string[]).includes(step.kind)) {
      throw new AirlockError(
        'INPUT_INVALID',
        `${model} declares a post-processing step "${step.kind}" that this version of Airlock does not know. Update Airlock, or read the raw output tensors.`,
        { details: { step: step.kind } },
      );
    }
    const parsed = knownPostprocessStepSchema.safeParse(step);
    if (!parsed.success)
      throw new AirlockError(
        'CARD_INVALID',
        `${model} declares an invalid "${step.kind}" post-processing step: ${parsed.error.issues[0]?.message ?? 'bad fields'}.`,
      );
    out.push(parsed.data);
  }
  return out;
}

function floatData(t: TensorJson, name: string): Float32Array | Float64Array {
  if (t.data instanceof Float32Array || t.data instanceof Float64Array) return t.data;
  if (Array.isArray(t.data) && t.data.every((v) => typeof v === 'number'))
    return Float64Array.from(t.data as number[]);
  throw new AirlockError(
    'INFERENCE_FAILED',
    `Output "${name}" is ${t.type}; post-processing needs float scores.`,
  );
}

/** Softmax over the last axis, into a new array. */
export function softmax(data: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let off = 0; off < data.length; off += classes) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, data[off + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += out[off + c] = Math.exp(data[off + c]! - max);
    for (let c = 0; c < classes; c++) out[off + c]! /= sum;
  }
  return out;
}

/** The k best classes of one row, best first (ties: lower index first). */
export function topK(row: ArrayLike<number>, k: number, labels: readonly string[] | null): ClassScore[] {
  const idx = Array.from({ length: row.length }, (_, i) => i);
  idx.sort((a, b) => row[b]! - row[a]! || a - b);
  return idx.slice(0, k).map((index) => ({ index, label: labels?.[index] ?? null, score: row[index]! }));
}

/**
 * CTC greedy decoding of one sequence [time, classes]: best class per step, merge repeats, drop
 * blanks. Class i (i ≥ 1) is dictionary line i - 1; the class after the dictionary is a space when
 * `spaceClass`. Confidence is the mean probability of the kept characters (PaddleOCR's).
 */
export function ctcGreedy(
  seq: ArrayLike<number>,
  time: number,
  classes: number,
  dictionary: readonly string[],
  blank = 0,
  spaceClass = true,
): { text: string; confidence: number } {
  let text = '';
  let sum = 0;
  let kept = 0;
  let previous = -1;
  for (let t = 0; t < time; t++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < classes; c++) {
      const v = seq[t * classes + c]!;
      if (v > bestScore) {
        bestScore = v;
        best = c;
      }
    }
    if (best !== blank && best !== previous) {
      const index = best > blank ? best - 1 : best;
      text +=
        index < dictionary.length
          ? dictionary[index]!
          : spaceClass && index === dictionary.length
            ? ' '
            : '\uFFFD';
      sum += bestScore;
      kept++;
    }
    previous = best;
  }
  return { text, confidence: kept === 0 ? 0 : sum / kept };
}

export interface Box {
  readonly box: [number, number, number, number];
  readonly score: number;
}

/**
 * DB post-processing over a probability map [height, width]: pixels above `threshold` form
 * 8-connected regions; a region whose mean probability reaches `boxThreshold` becomes its bounding
 * box, grown by `unclipRatio` (offset = area × ratio / perimeter, as DB's unclip), scaled back to
 * the original image and clamped to it. Sorted top to bottom, then left to right.
 */
export function dbBoxes(
  map: ArrayLike<number>,
  height: number,
  width: number,
  geometry: ImageGeometry,
  options: {
    threshold: number;
    boxThreshold: number;
    unclipRatio: number;
    minSize: number;
    maxBoxes: number;
  },
): Box[] {
  const labels = new Int32Array(width * height);
  const stack = new Int32Array(width * height);
  const boxes: Box[] = [];
  let next = 0;
  for (let start = 0; start < width * height; start++) {
    if (labels[start] !== 0 || map[start]! <= options.threshold) continue;
    next++;
    let top = 0;
    stack[top++] = start;
    labels[start] = next;
    let minX = width;
    let minY = height;
    let maxX = -1;
    let maxY = -1;
    let sum = 0;
    let count = 0;
    while (top > 0) {
      const p = stack[--top]!;
      const x = p % width;
      const y = (p - x) / width;
      sum += map[p]!;
      count++;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (labels[q] === 0 && map[q]! > options.threshold) {
            labels[q] = next;
            stack[top++] = q;
          }
        }
      }
    }
    const w = maxX - minX + 1;
    const h = maxY - minY + 1;
    if (Math.min(w, h) < options.minSize) continue;
    const score = sum / count;
    if (score < options.boxThreshold) continue;
    const grow = (w * h * options.unclipRatio) / (2 * (w + h));
    const sx = geometry.originalWidth / geometry.width;
    const sy = geometry.originalHeight / geometry.height;
    const clampX = (v: number) => Math.max(0, Math.min(geometry.originalWidth, v));
    const clampY = (v: number) => Math.max(0, Math.min(geometry.originalHeight, v));
    const box: [number, number, number, number] = [
      Math.round(clampX((minX - grow) * sx)),
      Math.round(clampY((minY - grow) * sy)),
      Math.round(clampX((maxX + 1 + grow) * sx)),
      Math.round(clampY((maxY + 1 + grow) * sy)),
    ];
    if (box[2] - box[0] < options.minSize + 2 || box[3] - box[1] < options.minSize + 2) continue;
    boxes.push({ box, score });
    if (boxes.length >= options.maxBoxes) break;
  }
  // Reading order: rows first (boxes whose tops are within half a line are one row), then left to right.
  boxes.sort((a, b) => a.box[1] - b.box[1]);
  return boxes.sort((a, b) => {
    const sameRow = Math.abs(a.box[1] - b.box[1]) < Math.min(a.box[3] - a.box[1], b.box[3] - b.box[1]) / 2;
    return sameRow ? a.box[0] - b.box[0] : a.box[1] - b.box[1];
  });
}

/**
 * Applies a card's post-processing to a model's outputs: one result per item of the batch (the
 * first axis). `null` when the card declares none. The outputs are not changed.
 */
export function postprocess(
  steps: readonly PostprocessStep[],
  outputs: TensorMapJson,
  defaultOutput: string,
  labels: readonly string[] | null,
  geometry?: ImageGeometry,
): ProcessedResult[] | null {
  if (steps.length === 0) return null;
  const softened = new Map<string, Float32Array>();
  let results: ProcessedResult[] | null = null;
  const pick = (name: string | undefined) => {
    const key = name ?? defaultOutput;
    const t = outputs[key];
    if (!t)
      throw new AirlockError(
        'INFERENCE_FAILED',
        `Post-processing names output "${key}", which the model did not produce (it produced ${Object.keys(outputs).join(', ')}).`,
      );
    return { key, t, data: softened.get(key) ?? floatData(t, key) };
  };
  for (const step of steps) {
    const { key, t, data } = pick(step.output);
    const batch = t.dims[0] ?? 1;
    switch (step.kind) {
      case 'softmax':
        softened.set(key, softmax(data, t.dims.at(-1) ?? 1));
        break;
      case 'argmax':
      case 'top-k': {
        const classes = t.dims.at(-1) ?? 1;
        const k = step.kind === 'argmax' ? 1 : step.k;
        results = [];
        for (let b = 0; b < batch; b++)
          results.push({
            kind: 'classes',
            top: topK(data.subarray(b * classes, (b + 1) * classes), k, labels),
          });
        break;
      }
      case 'ctc-greedy': {
        if (t.dims.length !== 3)
          throw new AirlockError(
            'INFERENCE_FAILED',
            `CTC decoding needs a [batch, time, classes] output; "${key}" is [${t.dims.join(', ')}].`,
          );
        if (!labels)
          throw new AirlockError(
            'MODEL_INVALID',
            'CTC decoding needs the dictionary (labels.txt) in the bundle; this model has none. Ask the publisher for a bundle with its dictionary.',
          );
        const [, time, classes] = t.dims as [number, number, number];
        results = [];
        for (let b = 0; b < batch; b++) {
          const decoded = ctcGreedy(
            data.subarray(b * time * classes, (b + 1) * time * classes),
            time,
            classes,
            labels,
            step.blank,
            step.spaceClass,
          );
          results.push({ kind: 'text', ...decoded });
        }
        break;
      }
      case 'db-boxes': {
        if (!geometry)
          throw new AirlockError(
            'INPUT_INVALID',
            'Text detection maps boxes back onto the input image; run it on an image, not a tensor.',
          );
        const height = t.dims.at(-2) ?? 0;
        const width = t.dims.at(-1) ?? 0;
        results = [];
        for (let b = 0; b < batch; b++) {
          const boxes = dbBoxes(
            data.subarray(b * width * height, (b + 1) * width * height),
            height,
            width,
            geometry,
            step,
          );
          results.push({ kind: 'boxes', boxes });
        }
        break;
      }
    }
  }
  return results;
}
