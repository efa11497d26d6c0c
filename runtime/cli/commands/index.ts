import type { Command } from '../command.js';
import { auditCommands } from './audit.js';
import { batchCommands } from './batch.js';
import { benchCommands } from './bench.js';
import { auditExportCommands } from './audit-export.js';
import { usersCommands } from './users.js';
import { bundleCommands } from './bundle.js';
import { demoCommands } from './demo.js';
import { hardwareCommands } from './hardware.js';
import { keysCommands } from './keys.js';
import { modelsCommands } from './models.js';
import { policyCommands } from './policy.js';
import { mediaCommands } from './media.js';
import { trustCommands } from './trust.js';

/** Every CLI command; each domain keeps its own list. */
export const COMMANDS: readonly Command[] = [
  ...keysCommands,
  ...trustCommands,
  ...policyCommands,
  ...mediaCommands,
  ...bundleCommands,
  ...modelsCommands,
  ...batchCommands,
  ...hardwareCommands,
  ...benchCommands,
  ...auditCommands,
  ...auditExportCommands,
  ...usersCommands,
  ...demoCommands,
];
