import type { TensorSpec } from '../contract/card.js';
import {
  KNOWN_PREPROCESS_KINDS,
  knownPreprocessStepSchema,
  type PreprocessStep,
} from '../contract/processing.js';
import type { TensorJson } from '../contract/tensors.js';
import { AirlockError } from '../errors.js';
import { resizeImage, type RawImage } from './image.js';

/** Where the model's pixels came from: used to map detections back onto the original image. */
export interface ImageGeometry {
  readonly originalWidth: number;
  readonly originalHeight: number;
  /** Size of the resized picture inside the tensor (before any padding). */
  readonly width: number;
  readonly height: number;
}

export interface PreparedImage {
  readonly tensor: TensorJson & { data: Float32Array | Uint8Array };
  readonly geometry: ImageGeometry;
}

/** The card's steps, checked and with defaults; an unknown kind refuses the image with what to do. */
export function knownSteps(
  steps: readonly ({ kind: string } & Record<string, unknown>)[] | undefined,
  model: string,
): PreprocessStep[] {
  const out: PreprocessStep[] = [];
  for (const step of steps ?? []) {
    if (!(KNOWN_PREPROCESS_KINDS as readonly string[]).includes(step.kind)) {
      throw new AirlockError(
        'INPUT_INVALID',
        `${model} declares a pre-processing step "${step.kind}" that this version of Airlock does not know, so it cannot turn an image into its input. Give it a tensor input (JSON or .npy), or update Airlock.`,
        { details: { step: step.kind } },
      );
    }
    const parsed = knownPreprocessStepSchema.safeParse(step);
    if (!parsed.success)
      throw new AirlockError(
        'CARD_INVALID',
        `${model} declares an invalid "${step.kind}" pre-processing step: ${parsed.error.issues[0]?.message ?? 'bad fields'}.`,
      );
    out.push(parsed.data);
  }
  return out;
}

/**
 * Applies a card's pre-processing to one decoded image and returns a batch-of-one tensor for the
 * model's image input. Resizing happens first (libvips), then one pass over the pixels does
 * channel order, scale, mean/std and layout; padding (resize-to-height's padToWidth) is zeros.
 */
export async function prepareImage(
  image: RawImage,
  steps: readonly PreprocessStep[],
  spec: TensorSpec,
): Promise<PreparedImage> {
  let current = image;
  let padToWidth = 0;
  let order: 'rgb' | 'bgr' | 'gray' = 'rgb';
  let layout: 'nchw' | 'nhwc' =
    spec.shape.length === 4 && spec.shape[3] === 3 && spec.shape[1] !== 3 ? 'nhwc' : 'nchw';
  let scale = 1;
  let mean: readonly number[] = [0, 0, 0];
  let std: readonly number[] = [1, 1, 1];
  for (const step of steps) {
    switch (step.kind) {
      case 'resize':
        current = await resizeImage(current, step.width, step.height, step.fit);
        break;
      case 'resize-to-height': {
        const ratio = current.width / current.height;
        let width = Math.max(1, Math.ceil(step.height * ratio));
        if (step.maxWidth !== undefined) width = Math.min(width, step.maxWidth);
        current = await resizeImage(current, width, step.height);
        padToWidth = step.padToWidth ?? 0;
        break;
      }
      case 'resize-to-multiple': {
        const longest = Math.max(current.width, current.height);
        const ratio = longest > step.maxSide ? step.maxSide / longest : 1;
        const round = (v: number) =>
          Math.max(step.multiple, Math.round((v * ratio) / step.multiple) * step.multiple);
        current = await resizeImage(current, round(current.width), round(current.height));
        break;
      }
      case 'channel-order':
        order = step.order;
        break;
      case 'normalize':
        scale = step.scale;
        mean = step.mean;
        std = step.std;
        break;
      case 'layout':
        layout = step.layout;
        break;
    }
  }
  const channels = order === 'gray' ? 1 : 3;
  const width = Math.max(current.width, padToWidth);
  const height = current.height;
  const plane = width * height;
  const asBytes = spec.type === 'uint8';
  if (!asBytes && spec.type !== 'float32') {
    throw new AirlockError(
      'INPUT_TYPE_MISMATCH',
      `Input "${spec.name}" is ${spec.type}; images become float32 or uint8 tensors only.`,
      { details: { input: spec.name, type: spec.type } },
    );
  }
  const data = asBytes ? new Uint8Array(plane * channels) : new Float32Array(plane * channels);
  const src = current.data;
  const map = order === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  const mul = std.map((s) => scale / s);
  const add = mean.map((m, i) => -m / std[i]!);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < current.width; x++) {
      const p = (y * current.width + x) * 3;
      const o = y * width + x;
      for (let c = 0; c < channels; c++) {
        const raw =
          order === 'gray' ? 0.299 * src[p]! + 0.587 * src[p + 1]! + 0.114 * src[p + 2]! : src[p + map[c]!]!;
        const v = asBytes ? raw : raw * mul[c]! + add[c]!;
        if (layout === 'nchw') data[c * plane + o] = v;
        else data[o * channels + c] = v;
      }
    }
  }
  const dims = layout === 'nchw' ? [1, channels, height, width] : [1, height, width, channels];
  return {
    tensor: { type: asBytes ? 'uint8' : 'float32', dims, data },
    geometry: {
      originalWidth: image.width,
      originalHeight: image.height,
      width: current.width,
      height: current.height,
    },
  };
}
