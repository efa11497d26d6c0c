import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { call } from '../../api/handlers.js';
import { AirlockError } from '../../errors.js';
import { toPlainJson } from '../../inference/tensors.js';
import { describeResult } from '../../processing/describe.js';
import { str, type Command } from '../command.js';
import { describeApplied, parseRunConfig } from '../run-config.js';

export const modelsCommands: Command[] = [
  {
    name: 'import',
    args: 'PATH',
    summary: 'Verify and install a bundle file, or every bundle in a folder (a mounted USB stick).',
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      // The bar on a terminal: the engine's progress events go to the CLI's reporter.
      const report = await call(
        ctx.handlers!,
        'models:import',
        { path: ctx.positionals[0], operationId: randomUUID() },
        { actor: ctx.actor, signal: ctx.signal, onProgress: ctx.progress },
      );
      const lines = report.items.map((i) =>
        i.outcome === 'rejected'
          ? `REFUSED    ${i.path}: [${i.error?.code}] ${i.error?.message}`
          : `${i.outcome === 'installed' ? 'INSTALLED ' : 'UNCHANGED '} ${i.model?.name}@${i.model?.version} from ${i.path}${i.outcome === 'already-installed' ? ' (already installed)' : ` (signed by ${i.verification?.signers.join(', ')})`}`,
      );
      const firstError = report.items.find((i) => i.error)?.error ?? null;
      return {
        json: firstError ? { ...report, error: firstError } : report,
        text: `${lines.join('\n')}\n${report.installed} installed, ${report.rejected} refused.`,
        exitCode: report.rejected > 0 ? 1 : 0,
        audit: { installed: report.installed, rejected: report.rejected },
      };
    },
  },
  {
    name: 'models',
    args: '',
    summary: 'List installed models.',
    positionals: [0, 0],
    dataDir: true,
    async run(ctx) {
      const models = await call(ctx.handlers!, 'models:list', {}, ctx);
      const text =
        models.length === 0
          ? 'No models installed. Import a bundle with "airlock import PATH".'
          : models
              .map(
                (m) =>
                  `${`${m.name}@${m.version}`.padEnd(36)} ${m.card.task.padEnd(16)} ${m.enabled ? 'enabled ' : 'DISABLED'} signed by ${m.signers.join(', ')}; installed ${m.installedAt}`,
              )
              .join('\n');
      return { json: models, text };
    },
  },
  {
    name: 'models disable',
    args: 'NAME@VERSION --reason TEXT',
    summary: 'Stop a model version from running (admin); it stays installed and the reason is audited.',
    options: { reason: { type: 'string', description: 'why (recorded in the audit log)' } },
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const reason = str(ctx, 'reason');
      if (!reason)
        throw new AirlockError('USAGE', '"airlock models disable" needs --reason TEXT (it is audited).');
      const m = await call(ctx.handlers!, 'models:disable', { ref: ctx.positionals[0]!, reason }, ctx);
      return { json: m, text: `Disabled ${m.name}@${m.version} (${m.disabledReason})` };
    },
  },
  {
    name: 'models enable',
    args: 'NAME@VERSION',
    summary:
      'Let a disabled model version run again (admin), after re-checking its signatures against the current trust store, policy and revocations.',
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const m = await call(ctx.handlers!, 'models:enable', { ref: ctx.positionals[0]! }, ctx);
      return { json: m, text: `Enabled ${m.name}@${m.version}.` };
    },
  },
  {
    name: 'models remove',
    args: 'NAME@VERSION',
    summary:
      'Uninstall a model version (admin): its files leave the store; the highest version ever installed is kept for rollback protection.',
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const r = await call(ctx.handlers!, 'models:remove', { ref: ctx.positionals[0]! }, ctx);
      return {
        json: r,
        text: `Removed ${r.name}@${r.version} (${r.blobsRemoved} file(s), ${(r.bytesFreed / 1048576).toFixed(1)} MiB freed). Versions below ${r.highWater} stay refused as rollbacks.`,
      };
    },
  },
  {
    name: 'run',
    args: 'NAME[@VERSION] --input FILE [--output FILE]',
    summary:
      'Run a model on an image (PNG, JPEG, WebP...), a JSON tensor map or a .npy file; outputs as JSON, plus the readable result when the card declares post-processing.',
    options: {
      input: {
        type: 'string',
        description: 'input file: an image, a JSON tensor map, or .npy for a single-input model',
      },
      output: { type: 'string', description: 'write the outputs (JSON) here instead of stdout' },
      config: {
        type: 'string',
        description:
          'session config: latency | throughput (the tuned choice), default (onnxruntime defaults), or a JSON object; default: the tuned latency choice for this machine',
      },
    },
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const input = str(ctx, 'input');
      if (!input) throw new AirlockError('USAGE', '"airlock run" needs --input FILE.');
      const ref = ctx.positionals[0]!;
      // The engine reads the file by path (image, .npy or .json), as it does for batch jobs.
      const config = parseRunConfig(str(ctx, 'config'));
      const result = await call(
        ctx.handlers!,
        'inference:run',
        { model: ref, file: { path: resolve(input) }, config },
        ctx,
      );
      if (result.config?.note) ctx.log(`note: ${result.config.note}`);
      const outputs = toPlainJson(result.outputs);
      const output = str(ctx, 'output');
      if (output)
        await writeFile(
          output,
          JSON.stringify(result.result ? { result: result.result, outputs } : outputs) + '\n',
        );
      const summary = `${result.model}@${result.version} on ${result.provider} in ${result.latencyMs.toFixed(2)} ms${result.config ? ` (config: ${describeApplied(result.config)})` : ''}`;
      const elements = Object.values(outputs).reduce((n, t) => n + t.data.length, 0);
      const text = result.result
        ? `${describeResult(result.result)}\n${summary}${output ? `; outputs written to ${output}` : ''}`
        : output
          ? `${summary}; outputs written to ${output}`
          : elements <= 1000
            ? `${JSON.stringify(outputs)}\n${summary}`
            : `${summary}; ${Object.entries(outputs)
                .map(([k, t]) => `${k}: ${t.type}[${t.dims.join(', ')}]`)
                .join(', ')} (${elements} values: use --output FILE to save them)`;
      return {
        json: {
          model: result.model,
          version: result.version,
          provider: result.provider,
          latencyMs: result.latencyMs,
          ...(result.config ? { config: result.config } : {}),
          inputDigest: result.inputDigest,
          outputDigest: result.outputDigest,
          ...(result.result ? { result: result.result } : {}),
          ...(output ? { outputFile: output } : { outputs }),
        },
        text,
      };
    },
  },
];
