import type { KeyObject } from 'node:crypto';
import type { BundleSignature } from '../contract/bundle.js';
import type { ModelCard } from '../contract/card.js';
import type { InstalledModel } from '../contract/models.js';
import type { ResolvedPolicy } from '../contract/policy.js';
import type { TrustKey } from '../contract/trust.js';
import { envelopeSchema, verifySignature, type Envelope } from '../crypto/dsse.js';
import { keyIdOf, parsePublicKey } from '../crypto/keys.js';
import { AirlockError } from '../errors.js';
import { statementDigest, type Statement } from '../bundle/statement.js';
import {
  admit,
  type Admission,
  type AdmissionFacts,
  type Allowed,
  type BundleFacts,
  type CandidateKey,
  type Refused,
  type Revocations,
} from './admit.js';

/** What the gate reads the facts from: a few queries of the trust, policy and model stores. */
export interface AdmissionSources {
  readonly trust: { list(): TrustKey[] };
  readonly policy: {
    current(): { readonly resolved: ResolvedPolicy } | null;
    /** The revocations among these key ids and bundle digests (with their list numbers). */
    revocationsFor(keyIds: readonly string[], digests: readonly string[]): Revocations;
    openDowngrade(name: string, version: string): unknown;
  };
  readonly registry: {
    bySha256(sha256: string): { readonly name: string; readonly version: string } | null;
    /** The installed version equal to this one under semver precedence (build metadata ignored). */
    findEqual(
      name: string,
      version: string,
    ): { readonly version: string; readonly bundleSha256: string } | null;
    highWater(name: string): string | null;
    envelope(name: string, version: string): unknown;
  };
  readonly now: () => Date;
  readonly clockSkewMs: number;
}

/** A refusal as the error callers throw: the admission's code, message and details. */
export function refusal(refused: Refused): AirlockError {
  return new AirlockError(refused.code, refused.message, { details: { ...refused.details } });
}

interface CandidateWithKey extends CandidateKey {
  readonly key: KeyObject;
}

const MEMO_LIMIT = 4096;

/**
 * Gathers the plain facts `admit` decides on (signatures checked here, the only crypto of a
 * decision), asks it, and hands the verdict back. Everything that decides whether a bundle may be
 * installed or a model may run goes through this class; it never decides anything itself.
 */
export class AdmissionGate {
  /** Parsed public keys by PEM, and signature checks by (payload, key, signature): both immutable facts. */
  private readonly keys = new Map<string, { key: KeyObject; keyId: string }>();
  private readonly verified = new Map<string, boolean>();
  /** Stored envelopes of installed bundles, by bundle SHA-256 (immutable once installed). */
  private readonly installed = new Map<string, { envelope: Envelope; statementSha256: string }>();

  constructor(private readonly sources: AdmissionSources) {}

  /** First look at a bundle, at its envelope and before any payload byte is used. Throws a refusal. */
  atEnvelope(envelope: Envelope, statement: Statement): Allowed {
    const name = typeof statement.predicate['name'] === 'string' ? statement.predicate['name'] : '';
    const version = typeof statement.predicate['version'] === 'string' ? statement.predicate['version'] : '?';
    return this.allowed(
      this.decide('envelope', envelope, statementDigest(envelope), {
        name,
        version,
        expires: null,
        fileSha256: null,
      }),
    );
  }

  /** The whole verdict on a bundle read and checked to the end (import, verify, scan). Throws a refusal. */
  forBundle(envelope: Envelope, card: ModelCard, fileSha256: string): Allowed {
    return this.allowed(
      this.decide('install', envelope, statementDigest(envelope), {
        name: card.name,
        version: card.version,
        expires: card.expires ?? null,
        fileSha256,
      }),
    );
  }

  /** The verdict on an installed model: enable, the revocation re-check, or a run. Returned as data. */
  forModel(model: InstalledModel, purpose: 'enable' | 'recheck' | 'run'): Admission {
    const stored = this.storedEnvelope(model);
    return this.decide(
      purpose,
      stored.envelope,
      stored.statementSha256,
      {
        name: model.name,
        version: model.version,
        expires: model.card.expires ?? null,
        fileSha256: model.bundleSha256,
      },
      model,
    );
  }

  /** forModel, throwing the refusal. */
  checkModel(model: InstalledModel, purpose: 'enable' | 'run'): Allowed {
    return this.allowed(this.forModel(model, purpose));
  }

  /** Signatures as a report shows them, against every candidate key (inspect, refused verdicts). */
  describe(envelope: Envelope): BundleSignature[] {
    const candidates = this.candidates(this.sources.policy.current()?.resolved ?? null);
    return envelope.signatures.map((s) => {
      const key = candidates.find((k) => k.keyId === s.keyid && k.source === 'trust-store');
      return {
        keyId: s.keyid,
        trustedAs: key?.name ?? null,
        valid: key ? this.verify(envelope, statementDigest(envelope), s, key) : null,
      };
    });
  }

  private allowed(admission: Admission): Allowed {
    if (!admission.allowed) throw refusal(admission);
    return admission;
  }

  private decide(
    purpose: AdmissionFacts['purpose'],
    envelope: Envelope,
    statementSha256: string,
    card: Omit<BundleFacts, 'statementSha256' | 'signatures'>,
    model?: Pick<InstalledModel, 'enabled' | 'disabledReason'>,
  ): Admission {
    const { policy: policyStore, registry } = this.sources;
    const policy = policyStore.current()?.resolved ?? null;
    const candidates = this.candidates(policy);
    const bundle: BundleFacts = {
      ...card,
      statementSha256,
      signatures: envelope.signatures.map((s) => {
        const key = candidates.find((k) => k.keyId === s.keyid);
        return { keyId: s.keyid, valid: key ? this.verify(envelope, statementSha256, s, key) : null };
      }),
    };
    const revocations = policyStore.revocationsFor(
      [...new Set([...candidates.map((k) => k.keyId), ...envelope.signatures.map((s) => s.keyid)])],
      card.fileSha256 === null ? [statementSha256] : [card.fileSha256, statementSha256],
    );
    const common = {
      bundle,
      keys: candidates.map(({ name, keyId, source }) => ({ name, keyId, source })),
      policy,
      revocations,
      now: this.sources.now().getTime(),
      clockSkewMs: this.sources.clockSkewMs,
    };
    if (purpose === 'install') {
      const sameFile = registry.bySha256(card.fileSha256!);
      const sameVersion = registry.findEqual(card.name, card.version);
      return admit({
        ...common,
        purpose,
        installed: {
          sameFile: sameFile ? { name: sameFile.name, version: sameFile.version } : null,
          sameVersion: sameVersion
            ? { version: sameVersion.version, bundleSha256: sameVersion.bundleSha256 }
            : null,
          highWater: registry.highWater(card.name),
          downgradeAllowed: this.sources.policy.openDowngrade(card.name, card.version) !== null,
        },
      });
    }
    if (purpose === 'run')
      return admit({
        ...common,
        purpose,
        model: { enabled: model?.enabled ?? false, disabledReason: model?.disabledReason ?? null },
      });
    return admit({ ...common, purpose });
  }

  /**
   * The publisher keys that may count: while a policy is in force, exactly those it was resolved
   * to when applied (by key id; the trust store is not read); before any, the trust store's.
   */
  private candidates(policy: ResolvedPolicy | null): CandidateWithKey[] {
    const keys = policy
      ? policy.publishers
      : this.sources.trust
          .list()
          .filter((k) => k.role === 'publisher')
          .map((k) => ({ ...k, source: 'trust-store' as const }));
    return keys.map((k) => {
      const { key, keyId } = this.key(
        k.publicKeyPem,
        k.source === 'policy' ? `policy key "${k.name}"` : k.name,
      );
      // The id is the key's own, always: a stored id that disagreed with its PEM never counts.
      return { name: k.name, keyId, source: k.source, key };
    });
  }

  private key(pem: string, label: string): { key: KeyObject; keyId: string } {
    let parsed = this.keys.get(pem);
    if (!parsed) {
      const key = parsePublicKey(pem, label);
      parsed = { key, keyId: keyIdOf(key) };
      if (this.keys.size >= MEMO_LIMIT) this.keys.clear();
      this.keys.set(pem, parsed);
    }
    return parsed;
  }

  /** Whether `sig` verifies with `key`; `payloadSha256` (the statement digest) keys the memo. */
  private verify(
    envelope: Envelope,
    payloadSha256: string,
    sig: Envelope['signatures'][number],
    key: CandidateWithKey,
  ): boolean {
    const memo = `${envelope.payloadType}\u0000${payloadSha256}\u0000${key.keyId}\u0000${sig.sig}`;
    let valid = this.verified.get(memo);
    if (valid === undefined) {
      valid = verifySignature(envelope, sig, key.key);
      if (this.verified.size >= MEMO_LIMIT) this.verified.clear();
      this.verified.set(memo, valid);
    }
    return valid;
  }

  private storedEnvelope(model: InstalledModel): { envelope: Envelope; statementSha256: string } {
    let stored = this.installed.get(model.bundleSha256);
    if (!stored) {
      const envelope = envelopeSchema.parse(this.sources.registry.envelope(model.name, model.version));
      stored = { envelope, statementSha256: statementDigest(envelope) };
      if (this.installed.size >= MEMO_LIMIT) this.installed.clear();
      this.installed.set(model.bundleSha256, stored);
    }
    return stored;
  }
}
