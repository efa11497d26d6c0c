import { call } from '../../api/handlers.js';
import {
  POLICY_PAYLOAD_TYPE,
  POLICY_TYPE,
  policyDocumentSchema,
  REVOCATIONS_PAYLOAD_TYPE,
  REVOCATIONS_TYPE,
  revocationListSchema,
  type PolicyDocumentInput,
  type RevocationListInput,
} from '../../contract/policy.js';
import { keyIdOf, parsePublicKey, readKeyFile } from '../../crypto/keys.js';
import { AirlockError } from '../../errors.js';
import {
  envelopeFor,
  MAX_SIGNED_DOCUMENT_BYTES,
  parseSignedDocument,
  signDocumentEnvelope,
  writeEnvelope,
} from '../../policy/signed-document.js';
import { openBundleFile, readBundle } from '../../bundle/reader.js';
import { readRegularFile } from '../../util/read-file.js';
import { statementDigest } from '../../bundle/statement.js';
import { str, type CliContext, type Command } from '../command.js';
import { z } from 'zod';

function list(ctx: CliContext, name: string): string[] {
  const v = ctx.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

function positiveInt(value: string | undefined, flag: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback !== undefined) return fallback;
    throw new AirlockError('USAGE', `${flag} N is required.`);
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new AirlockError('USAGE', `${flag} "${value}" must be a whole number of 1 or more.`);
  return n;
}

/** A signed document a person named, through the one checked reader (bounded, regular files only). */
async function readDocument(file: string, what: string): Promise<Buffer> {
  return readRegularFile(file, {
    maxBytes: MAX_SIGNED_DOCUMENT_BYTES,
    what,
    followLinks: true,
    missingCode: 'NOT_FOUND',
    invalidCode: 'POLICY_INVALID',
  });
}

/** Validates a document with its schema before it is ever written (a typo never reaches an admin's signature). */
function validated<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success)
    throw new AirlockError(
      'POLICY_INVALID',
      `The ${what} would not be valid: ${z.prettifyError(parsed.error)}.`,
      { cause: parsed.error },
    );
  return parsed.data as z.output<S>;
}

/** Adds a signature to a policy or revocation list file (the payload is never changed). */
async function signFile(
  ctx: CliContext,
  payloadType: string,
  schema: z.ZodType,
  what: string,
): Promise<{ json: unknown; text: string }> {
  const keyFile = str(ctx, 'key');
  if (!keyFile)
    throw new AirlockError(
      'USAGE',
      `Signing a ${what} needs --key ADMIN.key (a facility admin's private key).`,
    );
  const file = ctx.positionals[0]!;
  const signed = parseSignedDocument(await readDocument(file, what), payloadType, schema, what);
  const envelope = signDocumentEnvelope(signed.envelope, await readKeyFile(keyFile, 'private key'));
  const out = str(ctx, 'out') ?? file;
  await writeEnvelope(out, envelope);
  const keyId = envelope.signatures.at(-1)!.keyid;
  return {
    json: { file: out, keyId, signatures: envelope.signatures.length },
    text: `Signed ${out} with key ${keyId} (${envelope.signatures.length} signature(s)).`,
  };
}

const signOptions = {
  key: { type: 'string', description: "the facility admin's private key file (.key)" },
  out: { type: 'string', description: 'write the signed file here instead of in place' },
} as const;

export const policyCommands: Command[] = [
  {
    name: 'trust policy show',
    args: '',
    summary: 'Show the facility trust policy in force and the history of applied versions.',
    positionals: [0, 0],
    dataDir: true,
    async run(ctx) {
      const view = await call(ctx.handlers!, 'policy:show', {}, ctx);
      const c = view.current;
      if (!c)
        return {
          json: view,
          text: 'No signed policy applied: every trusted publisher key counts, one signature per bundle.',
        };
      const r = c.resolved;
      const short = (id: string) => `${id.slice(0, 16)}…`;
      const named = (id: string) => {
        const k = r.publishers.find((p) => p.keyId === id);
        return k ? `${k.name} (${short(id)})` : short(id);
      };
      const lines = [
        `Policy version ${c.version} (issued ${c.issued}), applied ${c.appliedAt} by ${c.appliedBy}, signed by ${c.signers.join(', ')}`,
        `  admin keys (${r.adminThreshold} of them sign the next policy or a revocation list): ${r.admins.map((k) => `${k.name} (${short(k.keyId)})`).join(', ')}`,
        `  publisher keys that count: ${r.publishers.map((k) => `${k.name} (${short(k.keyId)}, ${k.source})`).join(', ') || 'none'}`,
        ...r.rules.map(
          (rule) =>
            `  rule ${rule.pattern.padEnd(24)} keys ${rule.keyIds === '*' ? '* (any key above)' : rule.keyIds.map(named).join(', ') || 'none'}  threshold ${rule.threshold}`,
        ),
        `  other models: any publisher key above, threshold ${r.defaultThreshold}`,
        `  the trust store cannot change while a policy is in force; keys change with the next policy`,
        `History: ${view.history.map((h) => `v${h.version}`).join(', ')}`,
      ];
      return { json: view, text: lines.join('\n') };
    },
  },
  {
    name: 'trust policy apply',
    args: 'FILE',
    summary: 'Apply a policy signed by facility admin keys (version above the current one; audited).',
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const applied = await call(ctx.handlers!, 'policy:apply', { path: ctx.positionals[0] }, ctx);
      return {
        json: applied,
        text: `Applied policy version ${applied.version} (signed by ${applied.signers.join(', ')}).`,
        audit: { version: applied.version },
      };
    },
  },
  {
    name: 'trust policy create',
    args: '--version N --out FILE [--admin NAME=PUBFILE]... [--key NAME=PUBFILE]... [--rule PATTERN:KEY,KEY:THRESHOLD]...',
    summary: 'Write an unsigned policy document (admin side; sign it with "trust policy sign").',
    options: {
      version: { type: 'string', description: 'policy version: above the one in force' },
      out: { type: 'string', description: 'where to write the policy file' },
      admin: {
        type: 'string',
        multiple: true,
        description:
          'admin key that signs the next policy and revocation lists, NAME=PUBFILE (repeatable; omitted: the admin keys stay as they are)',
      },
      key: {
        type: 'string',
        multiple: true,
        description: 'publisher key the policy trusts, NAME=PUBFILE (repeatable)',
      },
      rule: {
        type: 'string',
        multiple: true,
        description:
          'PATTERN:KEY1,KEY2:THRESHOLD; a KEY is a key id, the NAME of a --key (written as its key id) or of a trust-store key (resolved to its key id when applied); "*" = any trusted key; first match wins (repeatable)',
      },
      'default-threshold': {
        type: 'string',
        description: 'signatures needed for models no rule matches (default 1)',
      },
      'admin-threshold': {
        type: 'string',
        description: 'admin signatures the next policy and revocation lists need (default 1)',
      },
      issued: { type: 'string', description: 'issue time, ISO 8601 (default now)' },
    },
    positionals: [0, 0],
    dataDir: false,
    async run(ctx) {
      const out = str(ctx, 'out');
      if (!out) throw new AirlockError('USAGE', '"airlock trust policy create" needs --out FILE.');
      const readKeys = async (flag: string) => {
        const out: { name: string; publicKeyPem: string; keyId: string }[] = [];
        for (const spec of list(ctx, flag)) {
          const eq = spec.indexOf('=');
          if (eq <= 0) throw new AirlockError('USAGE', `--${flag} "${spec}" must be NAME=PUBFILE.`);
          const pem = await readKeyFile(spec.slice(eq + 1), 'public key');
          out.push({
            name: spec.slice(0, eq),
            publicKeyPem: pem,
            keyId: keyIdOf(parsePublicKey(pem, spec.slice(eq + 1))),
          });
        }
        return out;
      };
      const keys = await readKeys('key');
      const admins = await readKeys('admin');
      // A rule names keys by key id in the signed document wherever this command knows the key:
      // the admins sign exactly which keys count. Other names are resolved when it is applied.
      const idOf = (name: string) => keys.find((k) => k.name === name)?.keyId ?? name;
      const rules = list(ctx, 'rule').map((spec) => {
        const parts = spec.split(':');
        if (parts.length !== 3)
          throw new AirlockError(
            'USAGE',
            `--rule "${spec}" must be PATTERN:KEY1,KEY2:THRESHOLD, e.g. "ppocr-*:acme,beta:2".`,
          );
        return {
          pattern: parts[0]!,
          keys: parts[1]!.split(',').filter(Boolean).map(idOf),
          threshold: positiveInt(parts[2], `--rule "${spec}" threshold`),
        };
      });
      const input: PolicyDocumentInput = {
        _type: POLICY_TYPE,
        version: positiveInt(str(ctx, 'version'), '--version'),
        issued: new Date(str(ctx, 'issued') ?? Date.now()).toISOString(),
        adminThreshold: positiveInt(str(ctx, 'admin-threshold'), '--admin-threshold', 1),
        defaultThreshold: positiveInt(str(ctx, 'default-threshold'), '--default-threshold', 1),
        ...(admins.length > 0
          ? { admins: admins.map(({ name, publicKeyPem }) => ({ name, publicKeyPem })) }
          : {}),
        keys: keys.map(({ name, publicKeyPem }) => ({ name, publicKeyPem })),
        rules,
      };
      const document = validated(policyDocumentSchema, input, 'policy');
      await writeEnvelope(out, envelopeFor(POLICY_PAYLOAD_TYPE, document));
      return {
        json: { file: out, document },
        text: `Wrote unsigned policy version ${document.version} to ${out}. Sign it: airlock trust policy sign ${out} --key ADMIN.key`,
      };
    },
  },
  {
    name: 'trust policy sign',
    args: 'FILE --key ADMIN.key',
    summary: "Add a facility admin's signature to a policy file.",
    options: signOptions,
    positionals: [1, 1],
    dataDir: false,
    run: (ctx) => signFile(ctx, POLICY_PAYLOAD_TYPE, policyDocumentSchema, 'trust policy'),
  },
  {
    name: 'revocations create',
    args: '--number N --out FILE [--key KEYID|PUBFILE]... [--bundle SHA256|FILE]... [--reason TEXT]',
    summary: 'Write an unsigned revocation list of key ids and bundle digests (admin side).',
    options: {
      number: { type: 'string', description: "the list's sequence number" },
      out: { type: 'string', description: 'where to write the list' },
      key: {
        type: 'string',
        multiple: true,
        description: 'key to revoke: a key id (64 hex) or a .pub file (repeatable)',
      },
      bundle: {
        type: 'string',
        multiple: true,
        description: 'bundle to revoke: its SHA-256 or the .airlock file (repeatable)',
      },
      reason: { type: 'string', description: 'reason recorded with every entry' },
      issued: { type: 'string', description: 'issue time, ISO 8601 (default now)' },
    },
    positionals: [0, 0],
    dataDir: false,
    async run(ctx) {
      const out = str(ctx, 'out');
      if (!out) throw new AirlockError('USAGE', '"airlock revocations create" needs --out FILE.');
      const reason = str(ctx, 'reason') ?? '';
      const hex = /^[0-9a-f]{64}$/;
      const keys = [];
      for (const k of list(ctx, 'key'))
        keys.push({
          keyId: hex.test(k) ? k : keyIdOf(parsePublicKey(await readKeyFile(k, 'public key'), k)),
          reason,
        });
      const bundles = [];
      for (const b of list(ctx, 'bundle')) {
        if (hex.test(b)) {
          bundles.push({ sha256: b, reason });
          continue;
        }
        // A bundle file: revoke its file digest and its signed statement's digest, so that a
        // re-signed or repacked copy is refused too.
        let read;
        try {
          // A bundle a person named: opened once and checked like every bundle.
          read = await readBundle((await openBundleFile(b, { followLinks: true })).stream, {
            skipPayload: true,
          });
        } catch (cause) {
          throw new AirlockError('NOT_FOUND', `Cannot read bundle ${b}: ${(cause as Error).message}.`, {
            cause,
          });
        }
        bundles.push({ sha256: read.sha256, reason }, { sha256: statementDigest(read.envelope), reason });
      }
      if (keys.length + bundles.length === 0)
        throw new AirlockError('USAGE', 'A revocation list names at least one --key or --bundle.');
      const input: RevocationListInput = {
        _type: REVOCATIONS_TYPE,
        number: positiveInt(str(ctx, 'number'), '--number'),
        issued: new Date(str(ctx, 'issued') ?? Date.now()).toISOString(),
        keys,
        bundles,
      };
      const document = validated(revocationListSchema, input, 'revocation list');
      await writeEnvelope(out, envelopeFor(REVOCATIONS_PAYLOAD_TYPE, document));
      return {
        json: { file: out, document },
        text: `Wrote unsigned revocation list #${document.number} (${keys.length} key(s), ${bundles.length} bundle(s)) to ${out}. Sign it: airlock revocations sign ${out} --key ADMIN.key`,
      };
    },
  },
  {
    name: 'revocations sign',
    args: 'FILE --key ADMIN.key',
    summary: "Add a facility admin's signature to a revocation list.",
    options: signOptions,
    positionals: [1, 1],
    dataDir: false,
    run: (ctx) => signFile(ctx, REVOCATIONS_PAYLOAD_TYPE, revocationListSchema, 'revocation list'),
  },
  {
    name: 'revocations import',
    args: 'FILE',
    summary: 'Import a signed revocation list; matching installed models are disabled at once (audited).',
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const r = await call(ctx.handlers!, 'revocations:import', { path: ctx.positionals[0] }, ctx);
      const lines = [
        `Imported revocation list #${r.number} (signed by ${r.signers.join(', ')}): ${r.added} new revocation(s).`,
        ...r.disabled.map((d) => `DISABLED ${d.name}@${d.version}: ${d.reason}`),
      ];
      return { json: r, text: lines.join('\n'), audit: { number: r.number, disabled: r.disabled.length } };
    },
  },
  {
    name: 'revocations list',
    args: '',
    summary: 'List revoked key ids and bundle digests.',
    positionals: [0, 0],
    dataDir: true,
    async run(ctx) {
      const all = await call(ctx.handlers!, 'revocations:list', {}, ctx);
      return {
        json: all,
        text:
          all.length === 0
            ? 'Nothing is revoked.'
            : all.map((r) => `${r.kind.padEnd(6)} ${r.value}  ${r.reason}`).join('\n'),
      };
    },
  },
  {
    name: 'allow-downgrade',
    args: 'NAME VERSION',
    summary:
      'Let NAME@VERSION be installed once although it is below the highest version ever installed (audited).',
    positionals: [2, 2],
    dataDir: true,
    async run(ctx) {
      const a = await call(
        ctx.handlers!,
        'policy:allow-downgrade',
        { name: ctx.positionals[0], version: ctx.positionals[1] },
        ctx,
      );
      return {
        json: a,
        text: `${a.name}@${a.version} may now be imported once below the high-water mark (granted by ${a.grantedBy}).`,
      };
    },
  },
];
