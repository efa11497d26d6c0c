import { z } from 'zod';
import { runConfigSchema, type AppliedConfig } from './bench.js';
import { channel } from './channel.js';
import type { ProcessedResult } from './processing.js';
import { tensorMapSchema, type TensorMapJson } from './tensors.js';

export interface InferenceResult {
  readonly model: string;
  readonly version: string;
  readonly outputs: TensorMapJson;
  readonly latencyMs: number;
  readonly provider: string;
  /** SHA-256 over the canonical encoding of the inputs / outputs (names, types, dims, bytes). */
  readonly inputDigest: string;
  readonly outputDigest: string;
  /** What the card's post-processing made of the outputs (labels, text, lines): the first item. */
  readonly result?: ProcessedResult;
  /** Post-processed results for every item of the batch, when the card declares post-processing. */
  readonly results?: readonly ProcessedResult[];
  /** The session configuration used (tuned, default or explicit) and why. */
  readonly config?: AppliedConfig;
}

/**
 * An image as a model input: the engine decodes it and applies the card's pre-processing. A path
 * is read by the engine (CLI, jobs); a UI sends the bytes. Exactly one of the two.
 */
export const imageInputSchema = z
  .strictObject({
    path: z.string().min(1).max(4096).optional(),
    bytes: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'bytes must be a Uint8Array').optional(),
    /** File name for messages and the audit record. */
    name: z.string().min(1).max(500).optional(),
  })
  .refine(
    (i) => (i.path === undefined) !== (i.bytes === undefined),
    'give exactly one of "path" and "bytes"',
  );
export type ImageInput = z.infer<typeof imageInputSchema>;

/**
 * An input file as the user picked it: an image, a NumPy .npy array (for a one-input model) or a
 * JSON tensor map (or one tensor, for a one-input model). The engine reads it by its name's
 * extension with the same reader batch jobs use, so no transport parses tensors on its own.
 */
export const inputFileSchema = imageInputSchema;
export type InputFile = ImageInput;

export const inferenceChannels = {
  'inference:run': channel<InferenceResult>()(
    z
      .object({
        model: z.string().min(1).max(200).describe('NAME or NAME@VERSION'),
        inputs: tensorMapSchema.optional(),
        image: imageInputSchema.optional(),
        /** An input file (image, .npy or .json), read by the engine. */
        file: inputFileSchema.optional(),
        /** "latency" | "throughput" (the tuned choice), "default", or a config object; default: the tuned latency choice. */
        config: runConfigSchema.optional(),
        /** Merge with other concurrent calls for this model (dynamic batching in a worker thread). */
        batched: z.boolean().optional(),
      })
      .refine(
        (r) => [r.inputs, r.image, r.file].filter((v) => v !== undefined).length === 1,
        'give exactly one of "inputs" (tensors), "image" and "file"',
      ),
  ),
};
