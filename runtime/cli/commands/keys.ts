import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSigningKey } from '../../crypto/keys.js';
import { AirlockError } from '../../errors.js';
import { str, type Command } from '../command.js';

export const keysCommands: Command[] = [
  {
    name: 'keys generate',
    args: '--out DIR --name NAME',
    summary: 'Make an Ed25519 signing key pair: DIR/NAME.key (private, mode 0600) and DIR/NAME.pub.',
    options: {
      out: { type: 'string', description: 'folder to write the key pair into' },
      name: { type: 'string', description: 'file name stem (e.g. the publisher name)' },
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
      const pair = generateSigningKey();
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
        json: { privateKey: keyFile, publicKey: pubFile, keyId: pair.keyId },
        text: `Wrote ${keyFile} (private: keep it off the facility network and out of bundles)\nWrote ${pubFile}\nKey id ${pair.keyId}`,
      };
    },
  },
];
