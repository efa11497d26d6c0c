import { call } from '../../api/handlers.js';
import { createBundle, signBundle } from '../../bundle/writer.js';
import type { BundleInspection, VerificationReport } from '../../contract/bundle.js';
import { readKeyFile } from '../../crypto/keys.js';
import { AirlockError } from '../../errors.js';
import { inspectBundle } from '../../import/importer.js';
import { str, type Command } from '../command.js';

function describeCard(b: Pick<BundleInspection, 'card' | 'files' | 'signatures'>): string {
  const c = b.card;
  const io = (specs: typeof c.inputs) =>
    specs.map((s) => `${s.name}: ${s.type}[${s.shape.join(', ')}]`).join(', ');
  return [
    `${c.name}@${c.version}  (${c.task}, ${c.license})`,
    `  publisher  ${c.publisher}`,
    `  created    ${c.created}${c.expires ? `   expires ${c.expires}` : ''}`,
    // The description may hold line feeds: each further line is indented under "about", so an
    // untrusted card cannot print a line that passes for one of these fields or a signature.
    ...(c.description ? [`  about      ${c.description.replace(/\n/g, '\n             ')}`] : []),
    `  inputs     ${io(c.inputs)}`,
    `  outputs    ${io(c.outputs)}`,
    `  files`,
    ...b.files.map((f) => `    ${f.path.padEnd(28)} ${String(f.size).padStart(12)} B  sha256 ${f.sha256}`),
    `  signatures ${b.signatures.length === 0 ? 'none' : ''}`,
    ...b.signatures.map(
      (s) =>
        `    ${s.keyId}  ${s.trustedAs ? `trusted as "${s.trustedAs}", ${s.valid ? 'valid' : 'INVALID'}` : 'key not in this trust store'}`,
    ),
  ].join('\n');
}

export function describeVerification(r: VerificationReport): string {
  if (r.ok && r.card) {
    return `VERIFIED ${r.card.name}@${r.card.version}: signed by ${r.signers.join(', ')}; ${r.files.length} file(s) match their digests; the graph matches the card.`;
  }
  return `REFUSED ${r.path}: [${r.error?.code}] ${r.error?.message}`;
}

export const bundleCommands: Command[] = [
  {
    name: 'bundle create',
    args: '--model FILE.onnx --name NAME --version X.Y.Z --out FILE.airlock',
    summary: 'Build an unsigned bundle; inputs and outputs are read from the ONNX graph.',
    options: {
      model: { type: 'string', description: 'the ONNX model file' },
      name: { type: 'string', description: 'model name (lower-case letters, digits, . _ -)' },
      version: { type: 'string', description: 'semantic version, e.g. 1.0.0' },
      labels: {
        type: 'string',
        description: 'optional labels file (one label per line), shipped as labels.txt',
      },
      card: {
        type: 'string',
        description: 'optional JSON file with card fields (description, license, task, publisher, ...)',
      },
      expires: { type: 'string', description: 'optional expiry, ISO 8601' },
      publisher: { type: 'string', description: 'publisher name shown in the card' },
      file: { type: 'string', multiple: true, description: 'extra payload file as NAME=PATH (repeatable)' },
      out: { type: 'string', description: 'where to write the bundle (NAME-VERSION.airlock)' },
    },
    positionals: [0, 0],
    dataDir: false,
    async run(ctx) {
      const [model, name, version, out] = ['model', 'name', 'version', 'out'].map((k) => str(ctx, k));
      if (!model || !name || !version || !out)
        throw new AirlockError(
          'USAGE',
          '"airlock bundle create" needs --model, --name, --version and --out.',
        );
      const extraFiles: Record<string, string> = {};
      for (const spec of (ctx.values['file'] as string[] | undefined) ?? []) {
        const eq = spec.indexOf('=');
        if (eq <= 0) throw new AirlockError('USAGE', `--file "${spec}" must be NAME=PATH.`);
        extraFiles[spec.slice(0, eq)] = spec.slice(eq + 1);
      }
      const created = await createBundle({
        model,
        name,
        version,
        out,
        labels: str(ctx, 'labels'),
        card: str(ctx, 'card'),
        expires: str(ctx, 'expires'),
        publisher: str(ctx, 'publisher'),
        extraFiles,
      });
      return {
        json: {
          path: created.path,
          card: created.card,
          files: created.statement.subject.map((s) => ({
            path: s.name,
            size: s.annotations.size,
            sha256: s.digest.sha256,
          })),
        },
        text: `Wrote ${created.path} (unsigned). Sign it with "airlock bundle sign ${created.path} --key KEYFILE".`,
      };
    },
  },
  {
    name: 'bundle sign',
    args: 'FILE.airlock --key KEYFILE',
    summary: 'Add one signature (repeat with other keys for m-of-n).',
    options: { key: { type: 'string', description: 'private key file from "airlock keys generate"' } },
    positionals: [1, 1],
    dataDir: false,
    async run(ctx) {
      const keyFile = str(ctx, 'key');
      if (!keyFile) throw new AirlockError('USAGE', '"airlock bundle sign" needs --key KEYFILE.');
      const pem = await readKeyFile(keyFile, 'private key');
      const signed = await signBundle(ctx.positionals[0]!, pem);
      return {
        json: { path: ctx.positionals[0], ...signed },
        text: `Signed ${ctx.positionals[0]} with key ${signed.keyId} (${signed.signatures} signature(s) now).`,
      };
    },
  },
  {
    name: 'bundle inspect',
    args: 'FILE.airlock',
    summary: 'Show card, files and signatures (no trust store needed; nothing is verified).',
    positionals: [1, 1],
    dataDir: false,
    async run(ctx) {
      const info = await inspectBundle(ctx.positionals[0]!);
      return {
        json: info,
        text: `${info.path} (${info.size} bytes, sha256 ${info.sha256})\n${describeCard(info)}`,
      };
    },
  },
  {
    name: 'bundle verify',
    args: 'FILE.airlock',
    summary: "Run every check against this facility's trust store, without installing.",
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const report = await call(ctx.handlers!, 'bundle:verify', { path: ctx.positionals[0] }, ctx);
      return {
        json: report.ok ? report : { error: report.error, verification: report },
        text: describeVerification(report),
        exitCode: report.ok ? 0 : 1,
        audit: { ok: report.ok, code: report.error?.code ?? null },
      };
    },
  },
];
