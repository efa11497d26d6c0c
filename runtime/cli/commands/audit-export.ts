import { call } from '../../api/handlers.js';
import { AirlockError } from '../../errors.js';
import { str, type Command } from '../command.js';

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new AirlockError('USAGE', `${flag} must be a whole number.`);
  return n;
}

export const auditExportCommands: Command[] = [
  {
    name: 'audit export',
    args: '--out DIR [--from ISO] [--to ISO]',
    summary:
      'Write the audit log for an inspector: records (JSONL, CSV), signed checkpoint, public key, manifest and a standalone verify.js (auditor or admin).',
    options: {
      out: { type: 'string', description: 'a new or empty folder (e.g. on a USB stick)' },
      from: { type: 'string', description: 'first record time, ISO 8601 (default: the start)' },
      to: { type: 'string', description: 'last record time, ISO 8601 (default: now)' },
    },
    positionals: [0, 0],
    dataDir: true,
    async run(ctx) {
      const out = str(ctx, 'out');
      if (!out) throw new AirlockError('USAGE', '"airlock audit export" needs --out DIR.');
      const from = str(ctx, 'from');
      const to = str(ctx, 'to');
      const report = await call(
        ctx.handlers!,
        'audit:export',
        { out, ...(from ? { from } : {}), ...(to ? { to } : {}) },
        ctx,
      );
      return {
        json: report,
        text: [
          `Exported records ${report.fromSeq}..${report.toSeq} (${report.count}) to ${report.dir}`,
          `Signed checkpoint: ${report.checkpoint.body.treeSize} records, Merkle root ${report.checkpoint.body.merkleRoot}`,
          `Installation key: ${report.checkpoint.body.keyId}`,
          `Check it anywhere with:  node ${report.dir}/verify.js --key-id ${report.checkpoint.body.keyId}`,
        ].join('\n'),
        audit: { out: report.dir, fromSeq: report.fromSeq, toSeq: report.toSeq },
      };
    },
  },
  {
    name: 'audit checkpoint',
    args: '',
    summary: 'Sign a checkpoint over the whole audit log now (record count, head hash, Merkle root).',
    positionals: [0, 0],
    dataDir: true,
    async run(ctx) {
      const cp = await call(ctx.handlers!, 'audit:checkpoint', {}, ctx);
      return {
        json: cp,
        text: `Checkpoint: ${cp.body.treeSize} records, head ${cp.body.headHash}, Merkle root ${cp.body.merkleRoot}, signed by ${cp.body.keyId}.`,
      };
    },
  },
  {
    name: 'audit prove',
    args: 'SEQ',
    summary: 'Print the RFC 6962 inclusion proof of one audit record.',
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const seq = positiveInt(ctx.positionals[0], 'SEQ');
      const proof = await call(ctx.handlers!, 'audit:prove', { seq }, ctx);
      return { json: proof, text: JSON.stringify(proof, null, 2) };
    },
  },
  {
    name: 'audit retention',
    args: '[--days N | --keep-all] [--checkpoint-every N]',
    summary: 'Show or set the retention period and the checkpoint interval (setting: admin).',
    options: {
      days: {
        type: 'string',
        description: 'move records older than N days to a sealed archive on "audit archive"',
      },
      'keep-all': { type: 'boolean', description: 'no retention period: keep every record in the database' },
      'checkpoint-every': {
        type: 'string',
        description: 'write a signed checkpoint after this many records',
      },
    },
    positionals: [0, 0],
    dataDir: true,
    async run(ctx) {
      const days = positiveInt(str(ctx, 'days'), '--days');
      const every = positiveInt(str(ctx, 'checkpoint-every'), '--checkpoint-every');
      const change = {
        ...(days !== undefined ? { retentionDays: days } : {}),
        ...(ctx.values['keep-all'] ? { retentionDays: null } : {}),
        ...(every !== undefined ? { checkpointEvery: every } : {}),
      };
      const settings = Object.keys(change).length
        ? await call(ctx.handlers!, 'audit:configure', change, ctx)
        : await call(ctx.handlers!, 'audit:settings', {}, ctx);
      return {
        json: settings,
        text: `Retention: ${settings.retentionDays === null ? 'keep everything' : `${settings.retentionDays} days`}; signed checkpoint every ${settings.checkpointEvery} records.`,
      };
    },
  },
  {
    name: 'audit archive',
    args: '[--older-than-days N]',
    summary:
      'Move records older than the retention period into a sealed, verifiable archive under the data directory (admin).',
    options: {
      'older-than-days': { type: 'string', description: 'override the retention setting for this run' },
    },
    positionals: [0, 0],
    dataDir: true,
    async run(ctx) {
      const days = positiveInt(str(ctx, 'older-than-days'), '--older-than-days');
      const r = await call(
        ctx.handlers!,
        'audit:archive',
        days === undefined ? {} : { olderThanDays: days },
        ctx,
      );
      return {
        json: r,
        text: r.archived
          ? `Archived records ${r.fromSeq}..${r.toSeq} (${r.count}) to ${r.dir}; check with "node ${r.dir}/verify.js".`
          : 'No record is old enough to archive.',
      };
    },
  },
];
