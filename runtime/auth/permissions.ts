import type { ChannelName } from '../contract/index.js';
import type { Role } from '../contract/users.js';

/** Who may call a channel: no account needed, any signed-in account, or these roles. */
export type Access = 'public' | 'signed-in' | readonly Role[];

const ADMIN: readonly Role[] = ['admin'];
const OPERATE: readonly Role[] = ['admin', 'operator'];
const AUDIT: readonly Role[] = ['admin', 'auditor'];

/**
 * Least privilege, enforced in dispatch for every transport. admin: trust keys, policy, imports,
 * accounts (and what an operator does); operator: run models, batch jobs, benchmarks; auditor:
 * read, verify and export the audit log. Reading what is installed is open to every account.
 * Total over the contract's channels: a new channel without a row here fails to compile.
 */
export const CHANNEL_ACCESS: Readonly<Record<ChannelName, Access>> = {
  'auth:status': 'public',
  'auth:setup': 'public',
  'auth:login': 'public',
  'auth:logout': 'public',
  'auth:change-password': 'signed-in',
  'system:info': 'signed-in',
  'operation:cancel': 'signed-in',
  'trust:list': 'signed-in',
  'trust:add': ADMIN,
  'trust:remove': ADMIN,
  'bundle:inspect': OPERATE,
  'bundle:verify': OPERATE,
  'models:list': 'signed-in',
  'models:get': 'signed-in',
  'models:import': ADMIN,
  'models:disable': ADMIN,
  'models:enable': ADMIN,
  'models:remove': ADMIN,
  // Listing drives is needed by everyone who reads from or writes to a stick (auditors export).
  'media:list': 'signed-in',
  'media:scan': OPERATE,
  'inference:run': OPERATE,
  'jobs:start': OPERATE,
  'jobs:list': OPERATE,
  'jobs:get': OPERATE,
  'jobs:resume': OPERATE,
  'jobs:cancel': OPERATE,
  'bench:run': OPERATE,
  'bench:results': OPERATE,
  'bench:report': OPERATE,
  'bench:tuned': OPERATE,
  'hardware:probe': OPERATE,
  'hardware:get': 'signed-in',
  'policy:show': 'signed-in',
  'policy:apply': ADMIN,
  'policy:allow-downgrade': ADMIN,
  'revocations:list': 'signed-in',
  'revocations:import': ADMIN,
  'audit:list': AUDIT,
  'audit:verify': AUDIT,
  'audit:export': AUDIT,
  'audit:checkpoint': AUDIT,
  'audit:prove': AUDIT,
  'audit:settings': AUDIT,
  'audit:configure': ADMIN,
  'audit:archive': ADMIN,
  'users:list': ADMIN,
  'users:add': ADMIN,
  'users:remove': ADMIN,
  'users:set-role': ADMIN,
  'users:set-password': ADMIN,
  'users:map': ADMIN,
  'users:unmap': ADMIN,
  // Each account sees its own tasks (admins everyone's): filtered in the handler.
  'tasks:list': 'signed-in',
  'tasks:clear': 'signed-in',
  'alerts:list': AUDIT,
  'alerts:ack': AUDIT,
};

/** Who may call a channel; a name outside the contract (never dispatched) is admin only. */
export function accessFor(channel: string): Access {
  return Object.hasOwn(CHANNEL_ACCESS, channel) ? CHANNEL_ACCESS[channel as ChannelName] : ADMIN;
}

/** True when an actor with this role (undefined: not signed in) may call the channel. */
export function allowed(channel: string, role: Role | undefined): boolean {
  const access = accessFor(channel);
  if (access === 'public') return true;
  if (role === undefined) return false;
  return access === 'signed-in' || access.includes(role);
}

/** Every channel of the contract this role may call, sorted (what `auth:status` tells the UI). */
export function channelsAllowed(role: Role): string[] {
  return (Object.keys(CHANNEL_ACCESS) as ChannelName[]).filter((c) => allowed(c, role)).sort();
}
