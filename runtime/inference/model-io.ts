import type * as ort from 'onnxruntime-node';
import { ELEMENT_TYPES, type ElementType, type TensorSpec } from '../contract/card.js';
import { AirlockError } from '../errors.js';
import { openSession, type ModelBytes } from './model-bytes.js';

export interface ModelIo {
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
}

function toSpecs(metadata: readonly ort.InferenceSession.ValueMetadata[], role: string): TensorSpec[] {
  return metadata.map((m) => {
    if (!m.isTensor) {
      throw new AirlockError(
        'MODEL_INVALID',
        `The model's ${role} "${m.name}" is not a tensor (maps and sequences are not supported). Export the model with tensor ${role}s only.`,
      );
    }
    if (!(ELEMENT_TYPES as readonly string[]).includes(m.type)) {
      throw new AirlockError(
        'MODEL_INVALID',
        `The model's ${role} "${m.name}" has element type ${m.type}, which Airlock does not support.`,
      );
    }
    return {
      name: m.name,
      type: m.type as ElementType,
      shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : String(d))),
    };
  });
}

export function sessionIo(session: ort.InferenceSession): ModelIo {
  return {
    inputs: toSpecs(session.inputMetadata, 'input'),
    outputs: toSpecs(session.outputMetadata, 'output'),
  };
}

/**
 * Loads a graph's verified bytes in onnxruntime (CPU, no optimisation work), exactly as a run will
 * open them, and reads its inputs and outputs.
 */
export async function readModelIo(model: ModelBytes): Promise<ModelIo> {
  let session: ort.InferenceSession;
  try {
    session = await openSession(model, {
      graphOptimizationLevel: 'disabled',
      executionProviders: ['cpu'],
    });
  } catch (cause) {
    throw new AirlockError(
      'MODEL_INVALID',
      `The model file is not a valid ONNX model onnxruntime can load (${firstLine((cause as Error).message)}). Ask the publisher to export it again.`,
      { cause },
    );
  }
  try {
    return sessionIo(session);
  } finally {
    await session.release();
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.slice(0, 300);
}

function dimsMatch(declared: TensorSpec['shape'], actual: TensorSpec['shape']): boolean {
  if (declared.length !== actual.length) return false;
  return declared.every((d, i) => {
    const a = actual[i]!;
    // A fixed graph dimension must be declared as that number; a symbolic one may be declared
    // symbolic (any name) or narrowed to a fixed size.
    return typeof a === 'number' ? d === a : true;
  });
}

const describe = (s: TensorSpec) => `${s.name}: ${s.type}[${s.shape.join(', ')}]`;

/** Compares what a card declares with what the graph really has; throws MODEL_IO_MISMATCH on any difference. */
export function compareIo(
  declared: { inputs: readonly TensorSpec[]; outputs: readonly TensorSpec[] },
  actual: ModelIo,
): void {
  for (const role of ['inputs', 'outputs'] as const) {
    const want = declared[role];
    const have = actual[role];
    const problems: string[] = [];
    for (const d of want) {
      const a = have.find((x) => x.name === d.name);
      if (!a) problems.push(`declares ${role.slice(0, -1)} ${describe(d)}, which the graph does not have`);
      else if (a.type !== d.type || !dimsMatch(d.shape, a.shape))
        problems.push(`declares ${describe(d)} but the graph has ${describe(a)}`);
    }
    for (const a of have) {
      if (!want.some((d) => d.name === a.name))
        problems.push(`omits ${role.slice(0, -1)} ${describe(a)} that the graph has`);
    }
    if (problems.length > 0) {
      throw new AirlockError(
        'MODEL_IO_MISMATCH',
        `The model card does not match the ONNX graph: it ${problems.join('; ')}. The card lies about the model; the bundle is refused.`,
        {
          details: { role, problems, declared: want, actual: have },
        },
      );
    }
  }
}
