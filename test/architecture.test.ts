/**
 * Layering rules of shared/STYLE.md checked over the source text, beside the ESLint rules (in the
 * style of Jan's no-raw-plugin-invoke test): a rule that lint config drift could lose is still held.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

function sources(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name === 'node_modules' || e.name === 'dist') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|tsx|mts|cts)$/.test(e.name) && !e.name.endsWith('.d.ts'))
        out.push({ file: relative(root, p), text: readFileSync(p, 'utf8') });
    }
  };
  walk(join(root, dir));
  return out;
}

const importsOf = (text: string) =>
  [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
const nonTest = (files: { file: string; text: string }[]) =>
  files.filter((f) => !/\.test\.tsx?$/.test(f.file));

describe('architecture', () => {
  it('the engine never imports electron, the renderer, or network modules', () => {
    const bad = nonTest(sources('runtime')).flatMap((f) =>
      importsOf(f.text)
        .filter(
          (i) =>
            /^electron(\/|$)/.test(i) ||
            /renderer\//.test(i) ||
            /^(node:)?(http|https|net|dgram|tls|dns|http2)$/.test(i) ||
            i === 'undici',
        )
        .map((i) => `${f.file}: ${i}`),
    );
    expect(bad).toEqual([]);
    const fetches = nonTest(sources('runtime'))
      .filter((f) => /\bfetch\s*\(/.test(f.text))
      .map((f) => f.file);
    expect(fetches).toEqual([]);
  });

  it('the contract imports only itself and zod', () => {
    const bad = nonTest(sources('runtime/contract')).flatMap((f) =>
      importsOf(f.text)
        .filter((i) => !(i === 'zod' || i.startsWith('./')))
        .map((i) => `${f.file}: ${i}`),
    );
    expect(bad).toEqual([]);
  });

  it('ipcRenderer appears only in the preload script', () => {
    const all = [...sources('runtime'), ...sources('renderer'), ...sources('electron')];
    const bad = all
      .filter(
        (f) =>
          /\bipcRenderer\b/.test(f.text) &&
          !f.file.startsWith('electron/preload/') &&
          !/\.test\.tsx?$/.test(f.file),
      )
      .map((f) => f.file);
    expect(bad).toEqual([]);
  });

  it('the renderer reaches the engine only through the contract, and never Node', () => {
    const bad = nonTest(sources('renderer')).flatMap((f) =>
      importsOf(f.text)
        .filter(
          (i) =>
            i.startsWith('node:') ||
            ['fs', 'path', 'child_process', 'electron', 'better-sqlite3', 'onnxruntime-node'].includes(i) ||
            (/runtime\//.test(i) && !/runtime\/contract(\/|$)/.test(i)),
        )
        .map((i) => `${f.file}: ${i}`),
    );
    expect(bad).toEqual([]);
  });

  it('the source tree this test reads is not empty (it cannot pass vacuously)', () => {
    expect(sources('runtime').length).toBeGreaterThan(20);
    expect(sources('runtime/contract').length).toBeGreaterThan(5);
  });
});
