import { call } from '../../api/handlers.js';
import { readKeyFile } from '../../crypto/keys.js';
import { AirlockError } from '../../errors.js';
import { str, type Command } from '../command.js';

export const trustCommands: Command[] = [
  {
    name: 'trust add',
    args: 'PUBFILE --name NAME [--role publisher|admin]',
    summary: 'Trust a publisher public key under a name (audited).',
    options: {
      name: { type: 'string', description: 'name for the key in the trust store' },
      role: {
        type: 'string',
        description:
          'publisher (signs bundles, the default) or admin (signs the facility policy and revocation lists)',
      },
    },
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const name = str(ctx, 'name');
      if (!name) throw new AirlockError('USAGE', '"airlock trust add" needs --name NAME.');
      const file = ctx.positionals[0]!;
      const pem = await readKeyFile(file, 'public key');
      const key = await call(
        ctx.handlers!,
        'trust:add',
        { name, publicKeyPem: pem, role: str(ctx, 'role') ?? 'publisher' },
        ctx,
      );
      return {
        json: key,
        text: `Trusted "${key.name}" (${key.role}, key id ${key.keyId}).`,
        audit: { keyId: key.keyId },
      };
    },
  },
  {
    name: 'trust list',
    args: '',
    summary: 'List trusted keys.',
    positionals: [0, 0],
    dataDir: true,
    async run(ctx) {
      const keys = await call(ctx.handlers!, 'trust:list', {}, ctx);
      const text =
        keys.length === 0
          ? 'No trusted keys. Add one with "airlock trust add PUBFILE --name NAME".'
          : keys
              .map(
                (k) =>
                  `${k.name.padEnd(24)} ${k.role.padEnd(9)} ${k.keyId}  added ${k.addedAt} by ${k.addedBy}`,
              )
              .join('\n');
      return { json: keys, text };
    },
  },
  {
    name: 'trust remove',
    args: 'NAME',
    summary: 'Stop trusting a key (audited). Installed models stay installed.',
    positionals: [1, 1],
    dataDir: true,
    async run(ctx) {
      const key = await call(ctx.handlers!, 'trust:remove', { name: ctx.positionals[0] }, ctx);
      return { json: key, text: `Removed "${key.name}" (key id ${key.keyId}) from the trust store.` };
    },
  },
];
