import type { RevocationServices } from './services.js';

export interface DisabledModel {
  readonly name: string;
  readonly version: string;
  readonly reason: string;
}

/**
 * The revocation re-check: asks admission about every enabled model and disables, with the
 * admission's reason, each it now refuses (a revoked bundle or statement, a revoked signer it
 * cannot do without). Runs inside the caller's recorded transaction, after revocations changed
 * (a revocation list) and at every start.
 */
export function recheckInstalled(
  services: Pick<RevocationServices, 'registry' | 'admission'>,
): DisabledModel[] {
  const disabled: DisabledModel[] = [];
  for (const model of services.registry.list()) {
    if (!model.enabled) continue;
    const verdict = services.admission.forModel(model, 'recheck');
    if (verdict.allowed) continue;
    if (services.registry.disable(model.name, model.version, verdict.reason))
      disabled.push({ name: model.name, version: model.version, reason: verdict.reason });
  }
  return disabled;
}

/** Whether the re-check would disable anything (read only: start pays no write lock when not). */
export function recheckNeeded(services: Pick<RevocationServices, 'registry' | 'admission'>): boolean {
  return services.registry
    .list()
    .some((m) => m.enabled && !services.admission.forModel(m, 'recheck').allowed);
}
