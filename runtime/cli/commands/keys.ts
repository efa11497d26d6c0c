import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSigningKey, KEY_TYPES, type KeyType } from '../../crypto/keys.js';
import { AirlockError } from '../../errors.js';
import { str, type Command } from '../command.js';

export const keysCommands: Command[] = [
  {
    name: 'keys generate',
    args: '--out DIR --name NAME [--type ed25519|ec-p256|ec-p384|ec-p521]',
    summary:
      'Make a signing key pair (Ed25519 unless --type): DIR/NAME.key (private, mode 0600) and DIR/NAME.pub.',
    options: {
      out: { type: 'string', description: 'folder to write the key pair into' },
      name: { type: 'string', description: 'file name stem (e.g. the publisher name)' },
      type: { type: 'string', description: 'key type: ed25519 (default), ec-p256, ec-p384 or ec-p521' },
    },
    positionals: [0, 0],
    dataDir: false,
    async run(ctx) {
      const out = str(ctx, 'out');
      const name = str(ctx, 'name');
      if (!out || !name)
        throw new AirlockError('USAGE', '"airlock keys generate" needs --out DIR and --name NAME.');
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name))
        throw new AirlockError('USAGE', `--name "${name}" may hold only letters, digits, ".", "_" and "-".`);
      const type = str(ctx, 'type') ?? 'ed25519';
      if (!(KEY_TYPES as readonly string[]).includes(type))
        throw new AirlockError('USAGE', `--type "${type}" is not one of ${KEY_TYPES.join(', ')}.`);
      const pair = generateSigningKey(type as KeyType);
      await mkdir(out, { recursive: true });
      const keyFile = join(out, `${name}.key`);
      const pubFile = join(out, `${name}.pub`);
      try {
        // wx: never overwrite an existing private key.
        await writeFile(keyFile, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
      } catch (cause) {
        throw new AirlockError(
          'KEY_EXISTS',
          `${keyFile} already exists; it was left untouched. Choose another --name or folder.`,
          { cause },
        );
      }
      await chmod(keyFile, 0o600);
      await writeFile(pubFile, pair.publicKeyPem, { mode: 0o644 });
      return {
        json: { privateKey: keyFile, publicKey: pubFile, keyId: pair.keyId, type },
        text: `Wrote ${keyFile} (${type} private key: keep it off the facility network and out of bundles)\nWrote ${pubFile}\nKey id ${pair.keyId}`,
      };
    },
  },
];
