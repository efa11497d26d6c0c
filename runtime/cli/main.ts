import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { Airlock } from '../airlock.js';
import { createHandlers } from '../api/handlers.js';
import type { Actor } from '../audit/audit-log.js';
import type { ProgressEvent } from '../contract/channel.js';
import { AirlockError, toErrorInfo, UsageError } from '../errors.js';
import { peerIdentity, sudoCaller, type SudoCaller } from '../auth/peer.js';
import { insideDataDir, requireConfiguredDataDir } from '../db/data-dir.js';
import { ownDataDir, resolveDataDir } from '../paths.js';
import type { CliContext, CliOutput, Command, OptionSpec } from './command.js';
import { COMMANDS } from './commands/index.js';
import { escapeForTerminal, escapeJsonForTerminal } from './escape.js';
import { ProgressReporter } from './progress.js';

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  'data-dir': {
    type: 'string',
    description: 'data directory (default: AIRLOCK_HOME, else the per-user Airlock folder)',
  },
  json: { type: 'boolean', description: 'print one JSON document on stdout' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
};

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly isTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  /**
   * The home folder of the account this process runs as, from the user database (not $HOME):
   * through sudo its data directory is the only one opened. Default: os.userInfo().homedir.
   */
  readonly home?: () => string;
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stderr.isTTY),
  env: process.env,
};

function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | null {
  let best: Command | null = null;
  for (const c of COMMANDS) {
    const words = c.name.split(' ');
    if (words.every((w, i) => argv[i] === w) && (!best || words.length > best.name.split(' ').length))
      best = c;
  }
  return best ? { command: best, rest: argv.slice(best.name.split(' ').length) } : null;
}

/** The commands under a group of words ("users", "trust policy"): their names start with it. */
function commandsUnder(group: readonly string[]): Command[] {
  return COMMANDS.filter((c) => {
    const words = c.name.split(' ');
    return words.length > group.length && group.every((w, i) => words[i] === w);
  });
}

/** The longest run of leading words that names a group of commands, or null. */
function findGroup(words: readonly string[]): string[] | null {
  for (let n = words.length; n > 0; n -= 1) {
    if (commandsUnder(words.slice(0, n)).length > 0) return words.slice(0, n);
  }
  return null;
}

function listing(commands: readonly Command[]): string[] {
  return commands.map((c) => `  ${`${c.name} ${c.args}`.trimEnd()}\n      ${c.summary}`);
}

function groupUsage(group: readonly string[]): string {
  const name = group.join(' ');
  return [
    `Usage: airlock ${name} <command> [options]`,
    '',
    'Commands:',
    ...listing(commandsUnder(group)),
    '',
    `"airlock ${name} COMMAND --help" shows a command's options.`,
    '',
  ].join('\n');
}

function usage(command?: Command): string {
  if (command) {
    const options = { ...command.options, ...GLOBAL_OPTIONS };
    const lines = Object.entries(options).map(
      ([name, o]) =>
        `  --${name}${o.type === 'string' ? ' VALUE' : ''}${o.short ? `, -${o.short}` : ''}\n      ${o.description}`,
    );
    // "models" lists the models and also names the group "models disable", "models enable", ...
    const under = commandsUnder(command.name.split(' '));
    const more =
      under.length > 0 ? `\nCommands under "airlock ${command.name}":\n${listing(under).join('\n')}\n` : '';
    return `${`Usage: airlock ${command.name} ${command.args}`.trimEnd()}\n\n${command.summary}\n\nOptions:\n${lines.join('\n')}\n${more}`;
  }
  return [
    'Airlock: verify, install and run signed model bundles offline, with a tamper-evident audit log.',
    '',
    'Usage: airlock <command> [options]   (every command takes --data-dir DIR and --json)',
    '',
    ...listing(COMMANDS),
    '',
    'Exit codes: 0 success, 1 refused or failed, 2 usage. "airlock COMMAND --help" shows its options;',
    '"airlock GROUP --help" (or "airlock help GROUP") the commands of a group, such as "users".',
    '',
  ].join('\n');
}

export function osActor(): Actor {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = process.env['USER'] ?? process.env['USERNAME'] ?? `uid:${process.getuid?.() ?? 'unknown'}`;
  }
  return { name, source: `cli:${process.pid}` };
}

function accountHome(): string {
  try {
    return userInfo().homedir;
  } catch (cause) {
    throw new AirlockError(
      'DATA_DIR_UNSAFE',
      `Cannot find the home folder of the account Airlock runs as (${(cause as Error).message}); through sudo its data directory is the only one used. Give the service account a home folder.`,
      { cause },
    );
  }
}

/**
 * The data directory a command opens. Through sudo (a deputy: running as the service account for
 * someone else, who controls the environment and the arguments) only the service account's own
 * one, from its home folder in the user database; --data-dir or AIRLOCK_HOME naming another is
 * refused (DATA_DIR_UNSAFE), and so is every command that opens no data directory: those read
 * and write files the caller names, with the service account's rights (PERMISSION_DENIED).
 */
function dataDirFor(
  command: Command,
  flag: string | undefined,
  io: CliIo,
  caller: SudoCaller | null,
): string | null {
  if (!caller) return command.dataDir ? resolveDataDir(flag, io.env) : null;
  if (!command.dataDir)
    throw new AirlockError(
      'PERMISSION_DENIED',
      `"airlock ${command.name}" opens no data directory: run it as yourself, not through sudo (as another account it would read and write the files you name with that account's rights).`,
    );
  const configured = ownDataDir((io.home ?? accountHome)());
  requireConfiguredDataDir(flag ?? io.env['AIRLOCK_HOME'], configured);
  return configured;
}

/**
 * Through sudo, no argument may name the data directory or a path inside it: the command would
 * read or write the service account's own files (the database, the installation key) for the
 * caller. Refused before the command runs (PERMISSION_DENIED, recorded as a refused command).
 */
function refuseDataDirArguments(
  values: Record<string, string | boolean | string[] | undefined>,
  positionals: readonly string[],
  root: string,
): void {
  const given = [
    ...positionals,
    ...Object.entries(values)
      .filter(([name]) => name !== 'data-dir')
      .flatMap(([, v]) => (typeof v === 'string' ? [v] : Array.isArray(v) ? v : [])),
  ];
  for (const value of given) {
    if (value !== '' && insideDataDir(value, root))
      throw new AirlockError(
        'PERMISSION_DENIED',
        `Through sudo, Airlock takes no path inside its data directory (${value} is in ${root}): it would read or write the service account's own files for you. Name a file or folder of your own.`,
        { details: { path: value } },
      );
  }
}

/** Redacts nothing secret (the CLI never takes secrets as arguments) but keeps the record short. */
function auditArgs(argv: readonly string[]): string[] {
  return argv.slice(0, 40).map((a) => (a.length > 300 ? `${a.slice(0, 300)}…` : a));
}

/** Runs the CLI; returns the exit code. */
export async function main(args: readonly string[], io: CliIo = defaultIo): Promise<number> {
  // "airlock help users add" is "airlock users add --help"; "airlock help" alone, "airlock --help".
  const argv = args[0] === 'help' ? [...args.slice(1), '--help'] : args;
  const json = argv.includes('--json');
  // The one place the CLI writes: every text is escaped for the terminal (runtime/cli/escape.ts).
  const out = {
    text: (t: string) => io.stdout(escapeForTerminal(t)),
    log: (t: string) => io.stderr(escapeForTerminal(t)),
    json: (value: unknown) => io.stdout(escapeJsonForTerminal(JSON.stringify(value, jsonReplacer, 2)) + '\n'),
  };
  const fail = (code: number, error: unknown): number => {
    const info = toErrorInfo(error);
    if (json) out.json({ error: info });
    else out.log(`airlock: ${info.message}${code === 2 ? '\nRun "airlock --help" for usage.' : ''}\n`);
    return code;
  };

  const found = findCommand(argv);
  if (!found) {
    const help = argv.includes('--help') || argv.includes('-h');
    // The words before the first option: "users" in "airlock users --help".
    const firstOption = argv.findIndex((a) => a.startsWith('-'));
    const words = firstOption === -1 ? argv : argv.slice(0, firstOption);
    if (words.length === 0 && (argv.length === 0 || help)) {
      out.text(usage());
      return 0;
    }
    if (words.length === 0) return fail(2, new UsageError('No command given.'));
    const group = findGroup(words);
    if (group && group.length === words.length) {
      if (help) {
        out.text(groupUsage(group));
        return 0;
      }
      // A group alone names no command: a usage error, with the commands it could have been.
      return fail(
        2,
        new UsageError(`"airlock ${group.join(' ')}" needs a command.\n${groupUsage(group).trimEnd()}`),
      );
    }
    // The words up to the first one that fits no command: "frobnicate", "users frob".
    const unknown = `Unknown command "${words.slice(0, (group?.length ?? 0) + 1).join(' ')}".`;
    return fail(2, new UsageError(group ? `${unknown}\n${groupUsage(group).trimEnd()}` : unknown));
  }
  const { command, rest } = found;
  let values: Record<string, string | boolean | string[] | undefined>;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: rest,
      options: { ...command.options, ...GLOBAL_OPTIONS } as never,
      allowPositionals: true,
      strict: true,
    });
    values = parsed.values as typeof values;
    positionals = parsed.positionals;
  } catch (error) {
    return fail(2, new UsageError(`${(error as Error).message}\n${usage(command)}`));
  }
  if (values['help']) {
    out.text(usage(command));
    return 0;
  }
  if (positionals.length < command.positionals[0] || positionals.length > command.positionals[1]) {
    return fail(
      2,
      new UsageError(`"airlock ${command.name}" takes ${command.args || 'no arguments'}.\n${usage(command)}`),
    );
  }

  let actor = osActor();
  const dataDirFlag = typeof values['data-dir'] === 'string' ? values['data-dir'] : undefined;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  const reporter = new ProgressReporter(io.isTTY && !json);

  let airlock: Airlock | null = null;
  try {
    const caller = sudoCaller(io.env);
    const dataDir = dataDirFor(command, dataDirFlag, io, caller);
    if (dataDir !== null) {
      const os = actor;
      airlock = Airlock.open({
        dataDir,
        deputy: caller !== null,
        // Peer authentication (runtime/auth) before the start-up changes anything: the OS user
        // must map to an account (the first becomes admin); an unmapped one is refused with
        // AUTH_FAILED and the refusal is audited.
        authenticate: (opened) => {
          // A SUDO_USER that cannot be believed is refused too, and recorded as such.
          const person = opened.audit.attempt(os, 'auth.os-user', os.name, () =>
            peerIdentity(os, opened.paths.root, io.env),
          );
          actor = opened.signIn.authenticateOsUser(person);
        },
      });
    }
    const ctx: CliContext = {
      values,
      positionals,
      handlers: airlock ? createHandlers(airlock) : null,
      actor,
      json,
      dataDirFlag,
      progress: (e: ProgressEvent) => reporter.update(e),
      signal: controller.signal,
      log: (line) => {
        if (!json) out.log(line + '\n');
      },
    };
    let output: CliOutput;
    let exitCode: number;
    try {
      if (caller && airlock) refuseDataDirArguments(values, positionals, airlock.paths.root);
      output = await command.run(ctx);
      exitCode = output.exitCode ?? 0;
    } catch (error) {
      reporter.stop();
      const info = toErrorInfo(error);
      const code = info.code === 'USAGE' ? 2 : 1;
      airlock?.audit.append(actor, {
        action: 'cli.command',
        target: command.name,
        outcome: info.code === 'INTERNAL' ? 'failure' : 'refused',
        details: { args: auditArgs(rest), exitCode: code, error: { code: info.code, message: info.message } },
      });
      return fail(code, error);
    }
    reporter.stop();
    airlock?.audit.append(actor, {
      action: 'cli.command',
      target: command.name,
      outcome: exitCode === 0 ? 'success' : 'refused',
      details: { args: auditArgs(rest), exitCode, ...output.audit },
    });
    if (json) out.json(output.json);
    else if (output.text) out.text(output.text.endsWith('\n') ? output.text : output.text + '\n');
    return exitCode;
  } catch (error) {
    reporter.stop();
    return fail(error instanceof AirlockError && error.code === 'USAGE' ? 2 : 1, error);
  } finally {
    process.removeListener('SIGINT', onSignal);
    await airlock?.close();
  }
}

/** typed arrays and bigints print as plain JSON. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>, (v) =>
      typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v,
    );
  }
  return value;
}
