import { extname } from 'node:path';
import { z } from 'zod';
import type { TensorSpec } from '../contract/card.js';
import { tensorJsonSchema, tensorMapSchema, type TensorMapJson } from '../contract/tensors.js';
import { AirlockError } from '../errors.js';
import { parseNpy } from '../inference/npy.js';
import { isImageFile } from '../processing/image.js';
import { readRegularFile } from '../util/read-file.js';
import { jsonProblem, parserDetail } from '../util/json-problem.js';

/**
 * The one reader of input files (the Run screen's pick, `airlock run --input`, every file of a
 * batch job, a card's sample input): what kind a file is, reading it safely from a path, and
 * turning a .npy or .json file into the model's tensors.
 */

/** Larger input files are refused before a byte is read. */
export const MAX_INPUT_FILE_BYTES = 512 * 1024 * 1024;

export type InputFileKind = 'image' | 'npy' | 'json';

/** What a file is, by its name: an image, a NumPy array, a JSON tensor map, or nothing Airlock reads. */
export function inputFileKind(name: string): InputFileKind | null {
  if (isImageFile(name)) return 'image';
  const ext = extname(name).toLowerCase();
  return ext === '.npy' ? 'npy' : ext === '.json' ? 'json' : null;
}

/**
 * Reads an input file named by a path, through the one bounded reader (util/read-file.ts): opened
 * without blocking (a FIFO or device cannot stall the engine), checked to be a regular file on the
 * open descriptor (so a swap after the check changes nothing), refused above `max` bytes before
 * a byte is read. `followLinks`: true for a path a person picked (the Run screen, `--input`);
 * false for the files Airlock listed itself (a batch job's input folder, where listing already
 * skipped links).
 */
export async function readInputFile(
  path: string,
  max = MAX_INPUT_FILE_BYTES,
  options: { readonly followLinks?: boolean } = {},
): Promise<Buffer> {
  return readRegularFile(path, {
    maxBytes: max,
    what: 'input file',
    followLinks: options.followLinks ?? true,
    missingCode: 'MEDIA_NOT_FOUND',
    invalidCode: 'INPUT_INVALID',
  });
}

const FORMAT_HINT =
  'Inputs are {"<input name>": {"type": "float32", "dims": [1, 3], "data": [...]}}, one such tensor for a one-input model, or a .npy file.';

/**
 * The model's inputs from a .npy file (a one-input model) or a JSON file: a map of input name to
 * tensor, or a single tensor for a one-input model. `ref` names the model in messages.
 */
export function tensorsFromFile(
  bytes: Uint8Array,
  name: string,
  specs: readonly Pick<TensorSpec, 'name'>[],
  ref: string,
): TensorMapJson {
  const kind = inputFileKind(name);
  const only = specs.length === 1 ? specs[0]!.name : null;
  if (kind === 'npy') {
    if (only === null)
      throw new AirlockError(
        'INPUT_NAME_MISMATCH',
        `A .npy file feeds a model with one input; ${ref} has ${specs.length} (${specs.map((i) => i.name).join(', ')}). Use a JSON input file naming each.`,
      );
    return { [only]: parseNpy(bytes) };
  }
  if (kind === 'json') {
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    } catch (cause) {
      throw new AirlockError('INPUT_INVALID', `${name} is not JSON: ${jsonProblem(cause)}. ${FORMAT_HINT}`, {
        cause,
        details: parserDetail(cause),
      });
    }
    const single = tensorJsonSchema.safeParse(json);
    if (single.success) {
      if (only === null)
        throw new AirlockError(
          'INPUT_NAME_MISMATCH',
          `${name} holds one tensor, but ${ref} takes ${specs.length} inputs (${specs.map((i) => i.name).join(', ')}); map each input name to its tensor.`,
        );
      return { [only]: single.data };
    }
    const parsed = tensorMapSchema.safeParse(json);
    if (!parsed.success)
      throw new AirlockError(
        'INPUT_INVALID',
        `${name} is not an input map: ${z.prettifyError(parsed.error)}. ${FORMAT_HINT}`,
      );
    return parsed.data;
  }
  throw new AirlockError(
    'INPUT_INVALID',
    `${name} is not an input Airlock reads (images, .npy or .json); it was not run.`,
  );
}
