import type { z } from 'zod';

/**
 * One call of the contract: a request schema (parsed at every transport boundary before the
 * engine sees it) and the response type it resolves to. Names are `domain:verb`.
 */
export interface Channel<Req extends z.ZodType, Res> {
  readonly request: Req;
  /** Phantom: carries the response type; never set at run time. */
  readonly response?: Res;
}

/** `channel<Response>()(requestSchema)`: the response type is explicit, the request inferred. */
export function channel<Res>() {
  return <Req extends z.ZodType>(request: Req): Channel<Req, Res> => ({ request });
}

export type AnyChannel = Channel<z.ZodType, unknown>;
export type RequestOf<C> = C extends Channel<infer Req, unknown> ? z.input<Req> : never;
export type ParsedRequestOf<C> = C extends Channel<infer Req, unknown> ? z.output<Req> : never;
export type ResponseOf<C> = C extends Channel<z.ZodType, infer Res> ? Res : never;

/** Progress of long work (import, benchmark, batch job, export), keyed by the caller's operationId. */
export interface ProgressEvent {
  readonly operationId: string;
  readonly phase: string;
  readonly done: number;
  readonly total: number | null;
  /** Units per second for `done`, when meaningful (bytes/s for copies, items/s for jobs). */
  readonly rate: number | null;
  readonly unit: 'bytes' | 'items' | 'steps';
  readonly message?: string;
}
