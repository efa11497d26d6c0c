import { call } from '../../api/handlers.js';
import { AirlockError } from '../../errors.js';
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
];
