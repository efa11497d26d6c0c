import { z } from 'zod';
import { channel, type ProgressEvent } from './channel.js';
import type { ErrorInfo } from './errors.js';

/**
 * The task centre: long work the engine is doing or has done since it started (media scans,
 * imports, batch jobs, benchmarks, hardware probes, audit exports), kept by the engine so it
 * survives leaving the screen that started it and a window reload. Fed by the same progress the
 * caller sees; every change is pushed as the `task:changed` event.
 */
export const TASK_KINDS = ['scan', 'import', 'batch', 'benchmark', 'probe', 'export'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];
export const TASK_STATES = ['running', 'completed', 'failed', 'cancelled'] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** Where the result of a task is shown: a screen and, when there is one, what to open there. */
export interface TaskLink {
  readonly screen: 'media' | 'models' | 'run' | 'benchmark' | 'audit' | 'settings';
  /** A model reference, job id, export folder ... (the screen knows what to do with it). */
  readonly ref?: string;
}

export interface TaskInfo {
  /** The operationId the work was started with (`job:ID` for batch jobs): cancel with `operation:cancel`. */
  readonly id: string;
  readonly kind: TaskKind;
  /** What it is, in words: "Import classifier 1.0.0", "Batch over /media/stick/inputs". */
  readonly title: string;
  /** The account that started it. */
  readonly startedBy: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly state: TaskState;
  /** The latest progress reported, if any. */
  readonly progress: ProgressEvent | null;
  /** Seconds left, estimated from progress so far (null when unknown). */
  readonly etaSeconds: number | null;
  /** Why it failed (state failed). */
  readonly error: ErrorInfo | null;
  /** The outcome in one line once finished: "Installed classifier 1.0.0", "98 of 100 files, 2 failed". */
  readonly summary: string | null;
  readonly link: TaskLink | null;
}

export const tasksChannels = {
  /** Tasks of this engine run, newest first: admins see all, other accounts their own. */
  'tasks:list': channel<TaskInfo[]>()(z.object({})),
  /** Forgets the finished tasks this account may see; running ones stay. */
  'tasks:clear': channel<{ cleared: number }>()(z.object({})),
};
