import { z } from 'zod';

/**
 * Pre- and post-processing a model card declares and the engine applies: an image becomes the
 * model's input tensor, and the output tensors become a result a person can read. Steps run in
 * order. Unknown kinds stay loadable (a newer publisher's card), but a model whose card names a
 * step this engine does not know refuses image input with a clear message.
 */

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const size = z.number().int().min(1).max(16_384);
const triple = z.tuple([finite, finite, finite]);

/** Resize to a fixed size. `fill` stretches, `contain` letterboxes (padding), `cover` crops. */
export const resizeStepSchema = z.strictObject({
  kind: z.literal('resize'),
  width: size,
  height: size,
  fit: z.enum(['fill', 'contain', 'cover']).default('fill'),
});

/**
 * Resize a text line to a fixed height, keeping its aspect ratio (width = ceil(height * w / h)),
 * clamped to maxWidth; then zero-pad on the right (after normalisation) up to padToWidth. This is
 * PaddleOCR's `resize_norm_img` for the recogniser and the orientation classifier.
 */
export const resizeToHeightStepSchema = z.strictObject({
  kind: z.literal('resize-to-height'),
  height: size,
  maxWidth: size.optional(),
  padToWidth: size.optional(),
});

/**
 * Resize so the longest side is at most maxSide and both sides are multiples of `multiple`
 * (PaddleOCR's `DetResizeForTest`, limit_type "max").
 */
export const resizeToMultipleStepSchema = z.strictObject({
  kind: z.literal('resize-to-multiple'),
  multiple: z.number().int().min(1).max(1024).default(32),
  maxSide: size.default(960),
});

export const channelOrderStepSchema = z.strictObject({
  kind: z.literal('channel-order'),
  order: z.enum(['rgb', 'bgr', 'gray']),
});

/** value = (pixel * scale - mean[c]) / std[c], per channel in the model's channel order. */
export const normalizeStepSchema = z.strictObject({
  kind: z.literal('normalize'),
  scale: finite.default(1 / 255),
  mean: triple.default([0, 0, 0]),
  std: triple.default([1, 1, 1]),
});

export const layoutStepSchema = z.strictObject({
  kind: z.literal('layout'),
  layout: z.enum(['nchw', 'nhwc']),
});

export const KNOWN_PREPROCESS_KINDS = [
  'resize',
  'resize-to-height',
  'resize-to-multiple',
  'channel-order',
  'normalize',
  'layout',
] as const;

export const knownPreprocessStepSchema = z.discriminatedUnion('kind', [
  resizeStepSchema,
  resizeToHeightStepSchema,
  resizeToMultipleStepSchema,
  channelOrderStepSchema,
  normalizeStepSchema,
  layoutStepSchema,
]);
export type PreprocessStep = z.infer<typeof knownPreprocessStepSchema>;

/** Softmax over the last axis of an output (when the graph emits logits). */
export const softmaxStepSchema = z.strictObject({
  kind: z.literal('softmax'),
  output: z.string().min(1).optional(),
});
/** The best class per item, named from labels.txt when the bundle has one. */
export const argmaxStepSchema = z.strictObject({
  kind: z.literal('argmax'),
  output: z.string().min(1).optional(),
});
/** The k best classes per item with their scores and labels. */
export const topKStepSchema = z.strictObject({
  kind: z.literal('top-k'),
  k: z.number().int().min(1).max(1000).default(5),
  output: z.string().min(1).optional(),
});
/**
 * CTC greedy decoding of [batch, time, classes] probabilities with labels.txt as the dictionary:
 * class `blank` is the CTC blank, dictionary line i is class i + 1, and with `spaceClass` the
 * class after the dictionary is a space (PP-OCR's `use_space_char`).
 */
export const ctcGreedyStepSchema = z.strictObject({
  kind: z.literal('ctc-greedy'),
  output: z.string().min(1).optional(),
  blank: z.number().int().min(0).default(0),
  spaceClass: z.boolean().default(true),
});
/**
 * DB text detection post-processing: threshold the probability map, take connected regions,
 * score each by its mean probability, expand it by unclipRatio and map it back to the image.
 */
export const dbBoxesStepSchema = z.strictObject({
  kind: z.literal('db-boxes'),
  output: z.string().min(1).optional(),
  threshold: z.number().min(0).max(1).default(0.3),
  boxThreshold: z.number().min(0).max(1).default(0.6),
  unclipRatio: z.number().min(0).max(10).default(1.5),
  minSize: z.number().min(0).default(3),
  maxBoxes: z.number().int().min(1).max(10_000).default(1000),
});

export const KNOWN_POSTPROCESS_KINDS = ['softmax', 'argmax', 'top-k', 'ctc-greedy', 'db-boxes'] as const;

export const knownPostprocessStepSchema = z.discriminatedUnion('kind', [
  softmaxStepSchema,
  argmaxStepSchema,
  topKStepSchema,
  ctcGreedyStepSchema,
  dbBoxesStepSchema,
]);
export type PostprocessStep = z.infer<typeof knownPostprocessStepSchema>;

/** A step of a kind this engine does not know: kept as data (forward compatibility). */
function unknownStep(known: readonly string[]) {
  return z.looseObject({
    kind: z
      .string()
      .min(1)
      .refine((k) => !known.includes(k), 'a known step kind with invalid fields'),
  });
}
export const preprocessSchema = z.union([knownPreprocessStepSchema, unknownStep(KNOWN_PREPROCESS_KINDS)]);
export const postprocessSchema = z.union([knownPostprocessStepSchema, unknownStep(KNOWN_POSTPROCESS_KINDS)]);

/** One model of a pipeline bundle: a payload file with its own processing. */
export const pipelineStageSchema = z.strictObject({
  /** Payload path of the stage's ONNX graph (the card's `model` for the first stage). */
  model: z.string().min(1),
  /** Payload path of the stage's labels or dictionary, if it has one. */
  labels: z.string().min(1).optional(),
  preprocess: z.array(preprocessSchema).max(32).default([]),
  postprocess: z.array(postprocessSchema).max(32).default([]),
});
export type PipelineStage = z.infer<typeof pipelineStageSchema>;

/**
 * OCR: detect text regions, crop each, turn upside-down lines upright (optional classifier whose
 * labels are "0" and "180"), recognise each line.
 */
export const ocrPipelineSchema = z.strictObject({
  kind: z.literal('ocr'),
  detect: pipelineStageSchema,
  classify: pipelineStageSchema.optional(),
  recognize: pipelineStageSchema,
  /** Rotate a line when the classifier says "180" with at least this score (PaddleOCR cls_thresh). */
  rotateThreshold: z.number().min(0).max(1).default(0.9),
});
export const pipelineSchema = z.discriminatedUnion('kind', [ocrPipelineSchema]);
export type Pipeline = z.infer<typeof pipelineSchema>;

/** One class with its score. */
export interface ClassScore {
  readonly index: number;
  readonly label: string | null;
  readonly score: number;
}

/** A recognised or detected region: axis-aligned box [x0, y0, x1, y1] in image pixels. */
export interface TextLine {
  readonly text: string;
  readonly confidence: number;
  readonly box: readonly [number, number, number, number];
  /** 180 when the line was turned upright before recognition. */
  readonly angle: 0 | 180;
}

/** What post-processing produced, per item of the batch. */
export type ProcessedResult =
  | { readonly kind: 'classes'; readonly top: readonly ClassScore[] }
  | { readonly kind: 'text'; readonly text: string; readonly confidence: number }
  | {
      readonly kind: 'boxes';
      readonly boxes: readonly {
        readonly box: readonly [number, number, number, number];
        readonly score: number;
      }[];
    }
  | { readonly kind: 'lines'; readonly text: string; readonly lines: readonly TextLine[] };
