import { z } from 'zod';
import { modelCardSchema, type ModelCard } from '../contract/card.js';
import type { BundleFile } from '../contract/bundle.js';
import { AirlockError } from '../errors.js';
import type { Statement } from './statement.js';

/** Step 4a: the predicate must be a valid model card whose file references exist in the bundle. */
export function parseCard(statement: Statement, files: readonly Pick<BundleFile, 'path'>[]): ModelCard {
  const parsed = modelCardSchema.safeParse(statement.predicate);
  if (!parsed.success) {
    throw new AirlockError(
      'CARD_INVALID',
      `The model card is not valid: ${z.prettifyError(parsed.error)}. Ask the publisher to fix the card and sign a new bundle.`,
      { cause: parsed.error },
    );
  }
  const card = parsed.data;
  const names = new Set(files.map((f) => f.path));
  const stages = card.pipeline
    ? [card.pipeline.detect, card.pipeline.classify, card.pipeline.recognize].filter((st) => st !== undefined)
    : [];
  const refs = [
    card.model,
    ...(card.labels ? [card.labels] : []),
    ...(card.samples ?? []),
    ...stages.flatMap((st) => [st.model, ...(st.labels ? [st.labels] : [])]),
  ];
  for (const ref of refs) {
    if (!names.has(ref)) {
      throw new AirlockError(
        'CARD_INVALID',
        `The model card refers to "${ref}", which is not a file of the bundle. Ask the publisher for a corrected bundle.`,
        { details: { file: ref } },
      );
    }
  }
  return card;
}
