import { randomUUID } from 'node:crypto';
import { call } from '../../api/handlers.js';
import type { HardwareProfile } from '../../contract/hardware.js';
import { AirlockError } from '../../errors.js';
import type { Command } from '../command.js';

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/** The profile as a person reads it. */
export function formatHardware(p: HardwareProfile): string {
  const lines = [
    `Machine    ${p.fingerprint.slice(0, 16)} (fingerprint), probed ${p.probedAt}`,
    `CPU        ${p.cpu.manufacturer} ${p.cpu.brand} (${p.cpu.model}), ${p.cpu.physicalCores} cores / ${p.cpu.cores} threads${p.cpu.speedGHz ? `, ${p.cpu.speedGHz} GHz` : ''}`,
    `Features   ${p.cpu.features.join(' ') || '(none reported)'}`,
    `Memory     ${gib(p.memory.totalBytes)}`,
    `OS         ${p.os.distro} ${p.os.release} (${p.os.platform}-${p.os.arch}, kernel ${p.os.kernel})`,
    ...(p.gpus.length === 0
      ? ['GPUs       none found']
      : p.gpus.map(
          (g, i) =>
            `${i === 0 ? 'GPUs      ' : '          '} ${g.vendor} ${g.model}${g.vramMiB ? `, ${(g.vramMiB / 1024).toFixed(1)} GiB` : ''}${g.driver ? `, driver ${g.driver}` : ''}`,
        )),
    `Runtime    onnxruntime-node ${p.onnxruntime.version}`,
    'Execution providers:',
    ...p.providers.map(
      (e) =>
        `  ${e.name.padEnd(9)} ${e.works ? (e.fellBackToCpu ? 'FALLS BACK TO CPU' : 'works') : 'unavailable'}${e.works && e.loadMs !== null ? ` (session opened in ${e.loadMs.toFixed(0)} ms${e.placement ? `; ${e.placement}` : ''})` : ''}${e.reason ? `\n            ${e.reason}` : ''}`,
    ),
    ...p.warnings.map((w) => `WARNING: ${w}`),
  ];
  return lines.join('\n');
}

export const hardwareCommands: Command[] = [
  {
    name: 'hardware',
    args: '[--stored]',
    summary:
      'Probe this machine (CPU, memory, GPUs, which execution providers really work) and store the profile.',
    options: {
      stored: { type: 'boolean', description: 'show the last stored profile instead of probing again' },
    },
    positionals: [0, 0],
    dataDir: true,
    async run(ctx) {
      let profile: HardwareProfile | null;
      if (ctx.values['stored']) {
        profile = await call(ctx.handlers!, 'hardware:get', {}, ctx);
        if (!profile)
          throw new AirlockError(
            'NOT_FOUND',
            'This machine was never probed. Run "airlock hardware" to probe it.',
          );
      } else {
        profile = await call(
          ctx.handlers!,
          'hardware:probe',
          { operationId: randomUUID() },
          { ...ctx, onProgress: ctx.progress },
        );
      }
      return {
        json: profile,
        text: formatHardware(profile),
        audit: {
          fingerprint: profile.fingerprint,
          working: profile.providers.filter((p) => p.works).map((p) => p.name),
        },
      };
    },
  },
];
