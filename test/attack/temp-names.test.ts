/**
 * Issue 10, "the same class of mistake elsewhere": files Airlock writes into folders other
 * accounts may share (a publisher's output folder, a USB stick, a drop folder for signed
 * documents) are first written under a temporary name. When that name was `<out>.tmp-<pid>`, a
 * local user could plant a link there beforehand and have the write land in a victim file. The
 * names are now random and opened with O_EXCL: a planted link at every pid-based name is left
 * alone and the victim is unchanged.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBundle, signBundle } from '../../runtime/bundle/writer.js';
import { readBundle, openBundleFile } from '../../runtime/bundle/reader.js';
import { writeEnvelope } from '../../runtime/policy/signed-document.js';
import { model, publisher, tempDir } from '../core/helpers.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Links at every name the old code would have used for `out`, all pointing at one victim file. */
function plant(dir: string, out: string): { victim: string; before: string; links: string[] } {
  const victim = join(dir, 'victim.txt');
  writeFileSync(victim, 'do not overwrite\n');
  const base = basename(out);
  const links = [
    `${base}.tmp-${process.pid}`,
    `.${base}.signing-${process.pid}`,
    `.${base}.partial-${process.pid}`,
  ];
  for (const l of links) symlinkSync(victim, join(dir, l));
  return { victim, before: sha(victim), links };
}

describe('temporary names in shared folders cannot be planted', () => {
  it('bundle create + sign: links at the pid-based names are not written through; the bundle verifies', async () => {
    const dir = await tempDir('airlock-temp-');
    const out = join(dir, 'classifier-1.0.0.airlock');
    const { victim, before, links } = plant(dir, out);
    await createBundle({
      model: model('classifier.onnx'),
      name: 'classifier',
      version: '1.0.0',
      out,
      publisher: 'ACME',
    });
    await signBundle(out, publisher().privateKeyPem);
    expect(sha(victim)).toBe(before);
    expect(readdirSync(dir).sort()).toEqual([basename(out), ...links, 'victim.txt'].sort());
    const checked = await readBundle((await openBundleFile(out, { followLinks: false })).stream, {});
    expect(checked.envelope.signatures).toHaveLength(1);
  });

  it('a signed document written by the CLI (writeEnvelope): the planted link is left alone', async () => {
    const dir = await tempDir('airlock-temp-');
    const out = join(dir, 'policy.json');
    const { victim, before, links } = plant(dir, out);
    await writeEnvelope(out, { payloadType: 'application/json', payload: 'e30=', signatures: [] });
    expect(sha(victim)).toBe(before);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ payload: 'e30=' });
    expect(readdirSync(dir).sort()).toEqual([basename(out), ...links, 'victim.txt'].sort());
  });
});
