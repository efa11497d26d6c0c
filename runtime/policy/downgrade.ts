import semver from 'semver';
import type { Actor } from '../audit/audit-log.js';
import { SEMVER_PATTERN } from '../contract/card.js';
import type { DowngradeAllowance } from '../contract/policy.js';
import { AirlockError } from '../errors.js';
import type { ModelRegistry } from '../store/model-registry.js';
import type { PolicyServices } from './services.js';

/** A one-time, audited permission to install NAME@VERSION below the high-water mark. */
export function allowDowngrade(
  services: Pick<PolicyServices, 'policy' | 'audit' | 'now'> & { registry: Pick<ModelRegistry, 'highWater'> },
  actor: Actor,
  name: string,
  version: string,
): DowngradeAllowance {
  if (!SEMVER_PATTERN.test(version))
    throw new AirlockError('USAGE', `"${version}" is not a semantic version (X.Y.Z).`);
  const high = services.registry.highWater(name);
  if (!high || !semver.lt(version, high)) {
    throw new AirlockError(
      'USAGE',
      `${name}@${version} is not below the high-water mark (${high ?? 'none: nothing was ever installed under that name'}); it needs no downgrade allowance.`,
      { details: { highWater: high } },
    );
  }
  return services.audit.recorded(actor, () => ({
    result: services.policy.grantDowngrade(name, version, actor.name, services.now()),
    event: {
      action: 'model.downgrade.allow',
      target: `${name}@${version}`,
      outcome: 'success',
      details: {
        highWater: high,
        note: 'one import of exactly this version may go below the high-water mark',
      },
    },
  }));
}
