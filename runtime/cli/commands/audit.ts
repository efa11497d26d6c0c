import { existsSync, lstatSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { call } from '../../api/handlers.js';
import { HeadWitness, witnessPath } from '../../audit/head-witness.js';
import { AirlockError } from '../../errors.js';
import { dataPaths, resolveDataDir } from '../../paths.js';
import { CHECKPOINT_FILE } from '../../audit/integrity.js';
import { str, type Command } from '../command.js';

export const auditCommands: Command[] = [
  {
    name: 'audit verify',
    args: '',
    summary: 'Recompute the audit hash chain; names the first record that breaks it.',
    positionals: [0, 0],
    dataDir: true,
    async run(ctx) {
      const report = await call(ctx.handlers!, 'audit:verify', {}, ctx);
      return {
        json: report.ok
          ? report
          : { error: { code: 'AUDIT_CHAIN_BROKEN', message: report.firstBroken!.reason }, report },
        text: report.ok
          ? `Audit chain intact: ${report.count} records, head ${report.headHash}.`
          : `AUDIT CHAIN BROKEN at record ${report.firstBroken!.seq}: ${report.firstBroken!.reason}. ${report.count} records before it verify. Keep this database as evidence.`,
        exitCode: report.ok ? 0 : 1,
      };
    },
  },
  {
    name: 'audit list',
    args: '[--limit N] [--action ACTION]',
    summary: 'Show the latest audit records.',
    options: {
      limit: { type: 'string', description: 'how many records (default 50)' },
      action: { type: 'string', description: 'only this action (e.g. model.install)' },
    },
    positionals: [0, 0],
    dataDir: true,
    async run(ctx) {
      const limit = Number(str(ctx, 'limit') ?? 50);
      if (!Number.isInteger(limit) || limit < 1)
        throw new AirlockError('USAGE', '--limit must be a positive whole number.');
      const action = str(ctx, 'action');
      const records = await call(ctx.handlers!, 'audit:list', { limit, ...(action ? { action } : {}) }, ctx);
      const text = records
        .slice()
        .reverse()
        .map(
          (r) =>
            `${String(r.seq).padStart(6)} ${r.ts} ${r.actor.padEnd(12)} ${r.outcome.padEnd(7)} ${r.action.padEnd(18)} ${r.target}`,
        )
        .join('\n');
      return { json: records, text: text || 'The audit log is empty.' };
    },
  },
  {
    name: 'audit accept-restore',
    args: '',
    summary:
      'After a deliberate restore of the data directory: let Airlock open it; the next start records which acknowledged records the restore lost (run as the owner of the data directory).',
    positionals: [0, 0],
    // Runs while the engine refuses to open: it moves the witness aside and changes nothing else.
    dataDir: false,
    async run(ctx) {
      const dataDir = resolveDataDir(ctx.dataDirFlag);
      const witness = new HeadWitness(witnessPath(dataDir));
      if (!existsSync(witness.file) && !existsSync(join(dataPaths(dataDir).keys, CHECKPOINT_FILE)))
        throw new AirlockError(
          'NOT_FOUND',
          `There is no audit witness at ${witness.file} and no signed checkpoint file: nothing to accept. Start Airlock normally.`,
        );
      const info = lstatSync(dataDir);
      if (typeof process.getuid === 'function' && info.uid !== process.getuid())
        throw new AirlockError(
          'PERMISSION_DENIED',
          `Only the owner of ${dataDir} (uid ${info.uid}) can accept a restore of it; run this as that account.`,
        );
      const read = witness.read();
      if (existsSync(witness.file)) renameSync(witness.file, witness.acceptedFile);
      // The signed checkpoint file of the lost history goes aside too (kept); the start records it.
      const checkpoint = join(dataPaths(dataDir).keys, CHECKPOINT_FILE);
      if (existsSync(checkpoint)) renameSync(checkpoint, `${checkpoint}.accepted-${Date.now()}`);
      const was = read.kind === 'ok' ? read.body : null;
      return {
        json: { accepted: true, witness: was, acceptedFile: witness.acceptedFile },
        text: `Accepted. The next start records the restore${was ? ` (the log had reached record ${was.treeSize} at ${was.ts})` : ''} and opens the restored log; the old witness and checkpoint file are kept beside the new ones.`,
      };
    },
  },
];
