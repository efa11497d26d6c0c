import { z } from 'zod';
import { pipelineSchema, postprocessSchema, preprocessSchema } from './processing.js';
import { NO_CONTROL_MESSAGE, SAFE_NAME, SAFE_TEXT } from './text.js';

/** A one-line card field shown to people (publisher, license, a tensor's name): see text.ts. */
const line = (max: number) => z.string().min(1).max(max).regex(SAFE_NAME, NO_CONTROL_MESSAGE);

/** ONNX element types Airlock accepts in cards and tensors (onnxruntime's names). */
export const ELEMENT_TYPES = [
  'float32',
  'float64',
  'float16',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
  'string',
] as const;
export type ElementType = (typeof ELEMENT_TYPES)[number];

export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** Semantic Versioning 2.0.0, as the official regular expression gives it. */
export const SEMVER_PATTERN =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export const modelNameSchema = z
  .string()
  .regex(
    MODEL_NAME_PATTERN,
    'a model name is 1-64 characters: lower-case letters, digits, ".", "_" or "-", starting with a letter or digit',
  );
export const versionSchema = z.string().regex(SEMVER_PATTERN, 'a version is semantic (X.Y.Z, e.g. 1.2.0)');
const isoDate = z.iso.datetime({ offset: true });

/** A dimension is a fixed size or a symbolic name (e.g. "batch"). */
export const dimSchema = z.union([z.number().int().nonnegative(), line(128)]);

export const tensorSpecSchema = z.object({
  name: line(256),
  type: z.enum(ELEMENT_TYPES),
  shape: z.array(dimSchema).max(16),
});
export type TensorSpec = z.infer<typeof tensorSpecSchema>;

// Pre- and post-processing steps and pipelines: see processing.ts.
export { pipelineSchema, postprocessSchema, preprocessSchema };

export const modelCardSchema = z.strictObject({
  name: modelNameSchema,
  version: versionSchema,
  publisher: line(200),
  /** Free text: tabs and line feeds allowed, no other control or bidirectional characters. */
  description: z
    .string()
    .max(10_000)
    .regex(SAFE_TEXT, `tabs and line feeds only: ${NO_CONTROL_MESSAGE}`)
    .default(''),
  created: isoDate,
  expires: isoDate.optional(),
  license: line(200),
  task: line(100),
  /** Payload file holding the ONNX graph. */
  model: line(1024).default('model.onnx'),
  inputs: z.array(tensorSpecSchema).min(1).max(64),
  outputs: z.array(tensorSpecSchema).min(1).max(64),
  labels: line(1024).optional(),
  preprocess: z.array(preprocessSchema).optional(),
  postprocess: z.array(postprocessSchema).optional(),
  /** Reference statistics of inputs/outputs, for drift checks later. */
  referenceStats: z.record(z.string(), z.unknown()).optional(),
  /** Sample inputs shipped in the bundle (payload paths of .json or .npy files). */
  samples: z.array(line(1024)).optional(),
  /** Other models this one chains to, when the bundle is a pipeline. */
  pipeline: pipelineSchema.optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
});
export type ModelCard = z.infer<typeof modelCardSchema>;
export type ModelCardInput = z.input<typeof modelCardSchema>;
