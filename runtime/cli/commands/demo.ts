import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { Airlock } from '../../airlock.js';
import { call, createHandlers } from '../../api/handlers.js';
import { prepareDemoStick, renderTextImage, sampleLine } from '../../demo/demo.js';
import { readKeyFile } from '../../crypto/keys.js';
import { resolveDataDir } from '../../paths.js';
import type { Command } from '../command.js';

export const demoCommands: Command[] = [
  {
    name: 'demo',
    args: '[--data-dir DIR]',
    summary:
      'Show the whole path offline: key, trust, signed PP-OCR bundles (and an OCR pipeline) on a stand-in USB stick, import, run, read text in an image, audit.',
    positionals: [0, 0],
    // Opens its own data directory: a fresh temporary one unless --data-dir or AIRLOCK_HOME is given.
    dataDir: false,
    async run(ctx) {
      const root = await mkdtemp(join(tmpdir(), 'airlock-demo-'));
      const dataDir =
        ctx.dataDirFlag || process.env['AIRLOCK_HOME'] ? resolveDataDir(ctx.dataDirFlag) : join(root, 'data');
      const steps: string[] = [];
      const say = (line: string) => {
        steps.push(line);
        ctx.log(line);
      };
      say(
        `1. Publisher side: making a key and signed bundles of the PP-OCR recogniser and orientation classifier in ${root}/usb-stick`,
      );
      const stick = await prepareDemoStick(root);
      const airlock = Airlock.open({ dataDir });
      try {
        const handlers = createHandlers(airlock);
        // Its own data directory: the OS user who runs the demo is (or becomes) its admin.
        const c = { ...ctx, actor: airlock.signIn.authenticateOsUser(ctx.actor) };
        say(`2. Facility admin: trusting the publisher key (data directory ${dataDir})`);
        const existing = (await call(handlers, 'trust:list', {}, c)).find((k) => k.keyId === stick.keyId);
        if (!existing)
          await call(
            handlers,
            'trust:add',
            {
              name: `demo-publisher-${stick.keyId.slice(0, 8)}`,
              publicKeyPem: await readKeyFile(stick.publicKey, 'public key'),
            },
            c,
          );
        say(`3. Importing every bundle on the stick (each verified before anything is installed)`);
        const imported = await call(handlers, 'models:import', { path: stick.stick }, c);
        for (const item of imported.items)
          say(
            `   ${item.outcome.padEnd(17)} ${item.model ? `${item.model.name}@${item.model.version}` : item.path}${item.error ? `: ${item.error.message}` : ''}`,
          );
        say('4. Operator: running ppocr-cls on a synthetic text line');
        const result = await call(
          handlers,
          'inference:run',
          { model: 'ppocr-cls', inputs: { x: sampleLine() } },
          c,
        );
        const probs = Array.from(Object.values(result.outputs)[0]!.data as Float32Array);
        say(
          `   upright (0°): ${(probs[0]! * 100).toFixed(1)}%   upside down (180°): ${(probs[1]! * 100).toFixed(1)}%   in ${result.latencyMs.toFixed(1)} ms on ${result.provider}`,
        );
        say(
          '5. Operator: reading the text in an image with the ppocr pipeline bundle (detect, orient, recognise)',
        );
        const page = join(root, 'page.png');
        await writeFile(page, await renderTextImage(['AIRLOCK 2026', 'offline inference']));
        const ocr = await call(handlers, 'inference:run', { model: 'ppocr', image: { path: page } }, c);
        const lines = ocr.result?.kind === 'lines' ? ocr.result.lines : [];
        for (const line of lines) say(`   "${line.text}" (confidence ${line.confidence.toFixed(3)})`);
        say(`   ${lines.length} line(s) from ${page} in ${ocr.latencyMs.toFixed(0)} ms`);
        const chain = await call(handlers, 'audit:verify', {}, c);
        say(
          `6. Auditor: audit chain ${chain.ok ? 'intact' : 'BROKEN'}: ${chain.count} records, head ${chain.headHash.slice(0, 16)}…`,
        );
        say(`Try: airlock --data-dir ${dataDir} models   |   airlock --data-dir ${dataDir} audit list`);
        return {
          json: {
            root,
            dataDir,
            stick: stick.stick,
            bundles: stick.bundles,
            imported,
            inference: {
              model: result.model,
              version: result.version,
              probabilities: probs,
              latencyMs: result.latencyMs,
              provider: result.provider,
            },
            ocr: { image: page, lines },
            audit: chain,
          },
          text:
            chain.ok && imported.rejected === 0
              ? 'Demo complete.'
              : 'Demo finished with problems (see above).',
          exitCode: chain.ok && imported.rejected === 0 ? 0 : 1,
        };
      } finally {
        await airlock.close();
      }
    },
  },
];
