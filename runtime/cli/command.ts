import type { Handlers } from '../api/handlers.js';
import type { Actor } from '../audit/audit-log.js';
import type { ProgressEvent } from '../contract/channel.js';

export type OptionSpec = {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  readonly description: string;
};

export interface CliContext {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
  /** The engine's contract handlers, for commands with `dataDir: true`. */
  readonly handlers: Handlers | null;
  readonly actor: Actor;
  readonly json: boolean;
  readonly dataDirFlag: string | undefined;
  /** Progress on stderr when it is a terminal (a bar) and silent otherwise. */
  readonly progress: (event: ProgressEvent) => void;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
}

export interface CliOutput {
  /** The one JSON document printed with --json. */
  readonly json: unknown;
  /** What a person reads without --json. */
  readonly text: string;
  /** 0 success (default), 1 refused or failed. */
  readonly exitCode?: 0 | 1;
  /** Facts for this command's audit record. */
  readonly audit?: Readonly<Record<string, unknown>>;
}

export interface Command {
  /** Words that select it: "trust add". */
  readonly name: string;
  readonly args: string;
  readonly summary: string;
  readonly options?: Readonly<Record<string, OptionSpec>>;
  readonly positionals: readonly [min: number, max: number];
  /** Opens the data directory (and so is audited as a CLI command). */
  readonly dataDir: boolean;
  run(ctx: CliContext): Promise<CliOutput>;
}

export function str(ctx: CliContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === 'string' ? v : undefined;
}
