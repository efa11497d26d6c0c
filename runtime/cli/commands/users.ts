import { call } from '../../api/handlers.js';
import type { Account } from '../../contract/users.js';
import { AirlockError } from '../../errors.js';
import { str, type CliContext, type Command } from '../command.js';

function line(a: Account): string {
  const os = a.osUsers.length ? a.osUsers.join(', ') : '-';
  return `${a.name.padEnd(20)} ${a.role.padEnd(8)} OS users: ${os.padEnd(20)} password: ${a.hasPassword ? 'yes' : 'no '}${a.lockedUntil ? `  LOCKED until ${a.lockedUntil}` : ''}`;
}

function list(ctx: CliContext, name: string): string[] {
  const v = ctx.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

/** The password from standard input (first line), never from the command line. */
async function passwordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (!text)
    throw new AirlockError(
      'USAGE',
      'No password on standard input. Example: read -rs PW && printf "%s\\n" "$PW" | airlock users set-password NAME',
    );
  return text;
}

const ROLE_HELP =
  'admin (trust keys, policy, imports, accounts), operator (run models, jobs, benchmarks) or auditor (read, verify, export the audit log)';

export const usersCommands: Command[] = [
  {
    name: 'users list',
    args: '',
    summary: 'List accounts, their roles and mapped OS users (admin).',
    positionals: [0, 0],
    dataDir: true,
    async run(ctx) {
      const accounts = await call(ctx.handlers!, 'users:list', {}, ctx);
      return { json: accounts, text: accounts.map(line).join('\n') };
    },
  },
  {
    name: 'users add',
    args: 'NAME --role ROLE [--os-user USER]... [--password-stdin]',
    summary:
      'Create an account (admin). --os-user lets that OS account use the CLI as it; --password-stdin lets it sign in to the app.',
    options: {
      role: { type: 'string', description: ROLE_HELP },
      'os-user': {
        type: 'string',
        multiple: true,
        description: 'OS account name mapped to this account (repeatable)',
      },
      'password-stdin': {
        type: 'boolean',
        description: 'read the app password from the first line of standard input',
      },
    },
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const role = str(ctx, 'role');
      if (!role) throw new AirlockError('USAGE', `"airlock users add" needs --role: ${ROLE_HELP}.`);
      const password = ctx.values['password-stdin'] ? await passwordFromStdin() : undefined;
      const account = await call(
        ctx.handlers!,
        'users:add',
        { name: ctx.positionals[0], role, osUsers: list(ctx, 'os-user'), ...(password ? { password } : {}) },
        ctx,
      );
      return { json: account, text: `Created ${line(account)}` };
    },
  },
  {
    name: 'users remove',
    args: 'NAME',
    summary: 'Delete an account and its OS-user mappings (admin). The last admin cannot be removed.',
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const account = await call(ctx.handlers!, 'users:remove', { name: ctx.positionals[0] }, ctx);
      return {
        json: account,
        text: `Removed account "${account.name}" (${account.role}). Its audit records stay.`,
      };
    },
  },
  {
    name: 'users map',
    args: 'OSUSER --account NAME',
    summary: 'Let an OS account use the CLI as an Airlock account (peer authentication; admin).',
    options: { account: { type: 'string', description: 'the Airlock account' } },
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const accountName = str(ctx, 'account');
      if (!accountName) throw new AirlockError('USAGE', '"airlock users map OSUSER" needs --account NAME.');
      const account = await call(
        ctx.handlers!,
        'users:map',
        { osUser: ctx.positionals[0], account: accountName },
        ctx,
      );
      return { json: account, text: `OS user "${ctx.positionals[0]}" now signs in as ${line(account)}` };
    },
  },
  {
    name: 'users unmap',
    args: 'OSUSER',
    summary: 'Stop an OS account from using the CLI (admin).',
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const account = await call(ctx.handlers!, 'users:unmap', { osUser: ctx.positionals[0] }, ctx);
      return {
        json: account,
        text: `OS user "${ctx.positionals[0]}" is no longer mapped (was "${account.name}").`,
      };
    },
  },
  {
    name: 'users set-role',
    args: 'NAME ROLE',
    summary: "Change an account's role (admin). The last admin cannot be demoted.",
    positionals: [2, 2],
    dataDir: true,
    async run(ctx) {
      const account = await call(
        ctx.handlers!,
        'users:set-role',
        { name: ctx.positionals[0], role: ctx.positionals[1] },
        ctx,
      );
      return { json: account, text: `Changed ${line(account)}` };
    },
  },
  {
    name: 'users set-password',
    args: 'NAME',
    summary: "Set an account's app password from standard input and clear any lockout (admin).",
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const password = await passwordFromStdin();
      const account = await call(
        ctx.handlers!,
        'users:set-password',
        { name: ctx.positionals[0], password },
        ctx,
      );
      return { json: account, text: `Password set for "${account.name}"; its app sessions were ended.` };
    },
  },
];
