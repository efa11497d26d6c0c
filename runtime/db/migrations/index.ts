import type { Migration } from './migration.js';
import { migration0010 } from './0010-core.js';
import { migration0020 } from './0020-trust.js';
import { migration0030 } from './0030-models.js';
import { migration0070 } from './0070-jobs.js';
import { migration0080 } from './0080-accounts.js';
import { migration0090 } from './0090-audit-integrity.js';
import { migration0040 } from './0040-policy.js';
import { migration0060 } from './0060-hardware-bench.js';
import { migration0100 } from './0100-policy-key-ids.js';

export type { Migration } from './migration.js';

export const MIGRATIONS: readonly Migration[] = [
  migration0010,
  migration0020,
  migration0030,
  migration0040,
  migration0060,
  migration0070,
  migration0080,
  migration0090,
  migration0100,
];
