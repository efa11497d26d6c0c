/**
 * Layering rules of shared/STYLE.md checked over the source text, beside the ESLint rules (in the
 * style of Jan's no-raw-plugin-invoke test): a rule that lint config drift could lose is still held.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
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

/** Relative imports of each engine file, resolved to files under runtime/ (type-only ones too). */
function engineGraph(): Map<string, string[]> {
  const files = nonTest(sources('runtime'));
  const known = new Set(files.map((f) => f.file));
  return new Map(
    files.map((f) => [
      f.file,
      importsOf(f.text)
        .filter((i) => i.startsWith('.'))
        .map((i) => relative(root, resolve(root, dirname(f.file), i)).replace(/\.js$/, '.ts'))
        .filter((target) => known.has(target)),
    ]),
  );
}

/** Groups of files that import each other in a circle (Tarjan's strongly connected components). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) out.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** The floors that may know the composition root (runtime/airlock.ts) and the handlers (runtime/api). */
const ABOVE = /^runtime\/(api|cli|demo)\/|^runtime\/(index|airlock)\.ts$/;

describe('composition on top, one door (runtime/README.md)', () => {
  it('nothing below runtime/api, cli and demo imports the composition root or the handlers', () => {
    const graph = engineGraph();
    expect(graph.size).toBeGreaterThan(60);
    const up = [...graph].flatMap(([file, deps]) =>
      ABOVE.test(file)
        ? []
        : deps
            .filter((d) => d === 'runtime/airlock.ts' || d.startsWith('runtime/api/'))
            .map((d) => `${file} -> ${d}`),
    );
    expect(up).toEqual([]);
    // The check sees real arrows: api/ does import the root.
    expect(graph.get('runtime/api/handlers.ts')).toContain('runtime/airlock.ts');
  });

  it('the engine has no import cycles', () => {
    expect(cycles(engineGraph())).toEqual([]);
    // The detector finds one when there is one.
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['a']],
          ['c', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b']]);
  });

  it('admission decides in one place: only the gate calls admit()', () => {
    const callers = nonTest(sources('runtime'))
      .filter((f) => /(?<![.\w])admit\(/.test(f.text) && f.file !== 'runtime/admission/admit.ts')
      .map((f) => f.file);
    expect(callers).toEqual(['runtime/admission/gate.ts']);
  });

  it('the models table is written by the model registry alone', () => {
    const writers = nonTest(sources('runtime'))
      .filter((f) => /(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+models\b/i.test(f.text))
      .map((f) => f.file)
      .filter((f) => !f.startsWith('runtime/db/migrations/'));
    expect(writers).toEqual(['runtime/store/model-registry.ts']);
  });

  it('every channel handler lives under runtime/api, one file per contract domain', () => {
    const outside = nonTest(sources('runtime'))
      .filter(
        (f) => !f.file.startsWith('runtime/api/') && /DomainHandlers|Handler<|: Handlers\b/.test(f.text),
      )
      .map((f) => f.file)
      .filter((f) => f !== 'runtime/index.ts' && !f.startsWith('runtime/cli/'));
    expect(outside).toEqual([]);
    // A contract domain is a file declaring channels (`export const xChannels = {`); shell.ts is
    // the Electron shell's own, served by electron/main.
    const domains = readdirSync(join(root, 'runtime', 'contract')).filter(
      (n) =>
        n !== 'shell.ts' &&
        /export const \w+Channels = \{/.test(readFileSync(join(root, 'runtime', 'contract', n), 'utf8')),
    );
    expect(domains.length).toBeGreaterThan(10);
    for (const d of domains) expect(readdirSync(join(root, 'runtime', 'api'))).toContain(d);
  });
});

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
