/**
 * The one typed API between UI and engine. Pure TypeScript and zod: the renderer imports types
 * and constants from here, main parses every request with these schemas, the engine implements
 * `Handlers`. Each domain keeps its channels in its own file; add a domain's object below.
 */
import type { AnyChannel, ParsedRequestOf, ProgressEvent, RequestOf, ResponseOf } from './channel.js';
import { alertsChannels } from './alerts.js';
import { auditChannels, auditExportChannels } from './audit.js';
import { benchChannels } from './bench.js';
import { bundleChannels } from './bundle.js';
import { hardwareChannels } from './hardware.js';
import { inferenceChannels } from './inference.js';
import { jobsChannels } from './jobs.js';
import { modelsChannels } from './models.js';
import { policyChannels } from './policy.js';
import { mediaChannels, type MediaChangedEvent } from './media.js';
import { systemChannels } from './system.js';
import { tasksChannels, type TaskInfo } from './tasks.js';
import { trustChannels } from './trust.js';
import { usersChannels } from './users.js';

export const channels = {
  ...systemChannels,
  ...trustChannels,
  ...bundleChannels,
  ...modelsChannels,
  ...inferenceChannels,
  ...jobsChannels,
  ...hardwareChannels,
  ...benchChannels,
  ...auditChannels,
  ...auditExportChannels,
  ...usersChannels,
  ...policyChannels,
  ...mediaChannels,
  ...tasksChannels,
  ...alertsChannels,
} as const satisfies Record<string, AnyChannel>;

export type Channels = typeof channels;
export type ChannelName = keyof Channels;
export const CHANNEL_NAMES = Object.keys(channels) as ChannelName[];

export type Request<K extends ChannelName> = RequestOf<Channels[K]>;
export type ParsedRequest<K extends ChannelName> = ParsedRequestOf<Channels[K]>;
export type Response<K extends ChannelName> = ResponseOf<Channels[K]>;

/** Events the engine pushes to every listener (named `onSomething` on the client side). */
export interface Events {
  'operation:progress': ProgressEvent;
  /** Removable media were inserted or removed (polled; runtime/media/watcher.ts). */
  'media:changed': MediaChangedEvent;
  /** A task of the task centre started, progressed or finished (contract/tasks.ts). */
  'task:changed': TaskInfo;
}
export type EventName = keyof Events;
export const EVENT_NAMES: readonly EventName[] = ['operation:progress', 'media:changed', 'task:changed'];

export function isChannelName(value: unknown): value is ChannelName {
  return typeof value === 'string' && Object.hasOwn(channels, value);
}

export * from './alerts.js';
export * from './audit.js';
export * from './bench.js';
export * from './bundle.js';
export * from './card.js';
export * from './channel.js';
export * from './errors.js';
export * from './hardware.js';
export * from './inference.js';
export * from './jobs.js';
export * from './media.js';
export * from './models.js';
export * from './policy.js';
export * from './processing.js';
export * from './shell.js';
export * from './system.js';
export * from './tensors.js';
export * from './text.js';
export * from './tasks.js';
export * from './trust.js';
export * from './users.js';
