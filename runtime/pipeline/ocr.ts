import type { InstalledModel } from '../contract/models.js';
import type { PipelineStage, ProcessedResult, TextLine } from '../contract/processing.js';
import type { TensorMapJson } from '../contract/tensors.js';
import type { ocrPipelineSchema } from '../contract/processing.js';
import type { z } from 'zod';
import { AirlockError } from '../errors.js';
import type { InferenceEngine, SessionConfig } from '../inference/engine.js';
import { sessionIo } from '../inference/model-io.js';
import type { ModelStore } from '../store/model-store.js';
import { cropImage, rotate180, type RawImage } from '../processing/image.js';
import { modelLabels } from '../processing/model-files.js';
import { knownPostSteps, postprocess } from '../processing/postprocess.js';
import { knownSteps, prepareImage } from '../processing/preprocess.js';

type OcrPipeline = z.infer<typeof ocrPipelineSchema>;

/** Runs one stage's graph: the engine's session cache, or a dynamic batcher when one is given. */
export type StageRun = (stage: InstalledModel, inputs: TensorMapJson) => Promise<TensorMapJson>;

/**
 * A stage of a pipeline bundle as an installed model of its own: same bundle, signers and files,
 * its own graph file, its inputs and outputs read from that graph (they were digest-checked at
 * import and are re-hashed when the session first opens).
 */
export async function stageModel(
  engine: InferenceEngine,
  model: InstalledModel,
  stage: PipelineStage,
  config?: SessionConfig,
): Promise<InstalledModel> {
  if (!model.files.some((f) => f.path === stage.model)) {
    throw new AirlockError(
      'MODEL_TAMPERED',
      `${model.name}@${model.version} names pipeline stage "${stage.model}" but no such file was installed with it; re-import its bundle.`,
      { details: { file: stage.model } },
    );
  }
  const synthetic: InstalledModel = {
    ...model,
    bundleSha256:
      stage.model === model.card.model ? model.bundleSha256 : `${model.bundleSha256}#${stage.model}`,
    card: {
      ...model.card,
      model: stage.model,
      preprocess: stage.preprocess,
      postprocess: stage.postprocess,
      ...(stage.labels ? { labels: stage.labels } : {}),
    },
  };
  const { session } = await engine.session(synthetic, config);
  const io = sessionIo(session);
  return { ...synthetic, card: { ...synthetic.card, inputs: io.inputs, outputs: io.outputs } };
}

interface LoadedStage {
  readonly model: InstalledModel;
  readonly labels: string[] | null;
}

async function load(
  engine: InferenceEngine,
  store: ModelStore,
  model: InstalledModel,
  stage: PipelineStage,
  config?: SessionConfig,
): Promise<LoadedStage> {
  const m = await stageModel(engine, model, stage, config);
  return { model: m, labels: await modelLabels(store, m, stage.labels) };
}

async function runStage(
  stage: LoadedStage,
  image: RawImage,
  run: StageRun,
  name: string,
): Promise<ProcessedResult> {
  const spec = stage.model.card.inputs[0]!;
  const prepared = await prepareImage(image, knownSteps(stage.model.card.preprocess, name), spec);
  const outputs = await run(stage.model, { [spec.name]: prepared.tensor });
  const results = postprocess(
    knownPostSteps(stage.model.card.postprocess, name),
    outputs,
    stage.model.card.outputs[0]!.name,
    stage.labels,
    prepared.geometry,
  );
  if (!results?.[0])
    throw new AirlockError(
      'MODEL_INVALID',
      `Pipeline stage ${name} declares no post-processing, so its output cannot feed the next stage. Ask the publisher to fix the card.`,
    );
  return results[0];
}

/**
 * Reads the text in an image: DB detection → crop each region → orientation (turn "180" lines
 * upright) → recognition with CTC decoding. Lines come back in reading order.
 */
export async function runOcr(
  engine: InferenceEngine,
  store: ModelStore,
  model: InstalledModel,
  pipeline: OcrPipeline,
  image: RawImage,
  run: StageRun,
  config?: SessionConfig,
): Promise<ProcessedResult & { kind: 'lines' }> {
  const ref = `${model.name}@${model.version}`;
  const detect = await load(engine, store, model, pipeline.detect, config);
  const classify = pipeline.classify ? await load(engine, store, model, pipeline.classify, config) : null;
  const recognize = await load(engine, store, model, pipeline.recognize, config);
  const found = await runStage(detect, image, run, `${ref} (detect)`);
  if (found.kind !== 'boxes')
    throw new AirlockError(
      'MODEL_INVALID',
      `The detection stage of ${ref} must end with "db-boxes" post-processing.`,
    );
  const lines = await Promise.all(
    found.boxes.map(async ({ box }): Promise<TextLine | null> => {
      let crop = cropImage(image, ...box);
      let angle: 0 | 180 = 0;
      if (classify) {
        const orientation = await runStage(classify, crop, run, `${ref} (classify)`);
        const best = orientation.kind === 'classes' ? orientation.top[0] : undefined;
        if (best && best.label === '180' && best.score >= pipeline.rotateThreshold) {
          crop = rotate180(crop);
          angle = 180;
        }
      }
      const read = await runStage(recognize, crop, run, `${ref} (recognize)`);
      if (read.kind !== 'text')
        throw new AirlockError(
          'MODEL_INVALID',
          `The recognition stage of ${ref} must end with "ctc-greedy" post-processing.`,
        );
      return read.text.trim() === '' ? null : { text: read.text, confidence: read.confidence, box, angle };
    }),
  );
  const kept = lines.filter((l): l is TextLine => l !== null);
  return { kind: 'lines', text: kept.map((l) => l.text).join('\n'), lines: kept };
}
