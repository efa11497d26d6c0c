import { z } from 'zod';
import { channel } from './channel.js';
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
}

export const inferenceChannels = {
  'inference:run': channel<InferenceResult>()(
    z.object({
      model: z.string().min(1).max(200).describe('NAME or NAME@VERSION'),
      inputs: tensorMapSchema,
    }),
  ),
};
