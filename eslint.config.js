// ESLint flat config. Layering rules from ../shared/STYLE.md section 1, all at error level.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeBuiltins = [
  'node:*',
  'fs',
  'path',
  'os',
  'child_process',
  'crypto',
  'worker_threads',
  'stream',
  'util',
];
const network = [
  'http',
  'https',
  'net',
  'dgram',
  'tls',
  'dns',
  'node:http',
  'node:https',
  'node:net',
  'node:dgram',
  'node:tls',
  'node:dns',
  'undici',
];

/** What the engine never imports: the network, electron, the renderer. */
const engine = {
  paths: network.map((name) => ({ name, message: 'Airlock never touches the network.' })),
  patterns: [
    { group: ['electron', 'electron/*'], message: 'runtime/ is plain Node: no electron.' },
    { group: ['**/renderer/**', 'react', 'react-dom'], message: 'runtime/ never imports the renderer.' },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'out/**',
      'node_modules/**',
      'renderer/dist/**',
      'coverage/**',
      'test-results/**',
      'docs/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-throw-literal': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // The contract is pure TypeScript shared by every layer: zod and itself only.
    files: ['runtime/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...nodeBuiltins, 'electron', 'react', 'react-dom', '../*', '!./*'],
              message: 'runtime/contract may import only itself and zod.',
            },
          ],
        },
      ],
    },
  },
  {
    // The engine: plain Node. Never electron, never the renderer, never the network.
    files: ['runtime/**/*.ts'],
    ignores: ['runtime/contract/**'],
    rules: { 'no-restricted-imports': ['error', { paths: engine.paths, patterns: engine.patterns }] },
  },
  {
    // Composition on top (runtime/README.md): below runtime/api, cli and demo, nothing knows the
    // composition root or the handlers; a module takes the few services it uses as parameters.
    files: ['runtime/**/*.ts'],
    ignores: [
      'runtime/contract/**',
      'runtime/api/**',
      'runtime/cli/**',
      'runtime/demo/**',
      'runtime/index.ts',
      'runtime/airlock.ts',
      'runtime/**/*.test.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: engine.paths,
          patterns: [
            ...engine.patterns,
            {
              group: [
                '**/airlock.js',
                '**/api/*',
                '**/api/**',
                './index.js',
                '../index.js',
                '../../index.js',
              ],
              message:
                'Only runtime/api, runtime/cli, runtime/demo and runtime/index.ts know the composition root and the handlers; take the services you use as parameters.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/main/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: network.map((name) => ({ name, message: 'Airlock never touches the network.' })),
          patterns: [
            {
              group: ['**/renderer/**', '**/preload/**'],
              message: 'main never imports renderer or preload code.',
            },
            {
              group: ['**/runtime/*/**', '!**/runtime/contract/**'],
              message: 'main imports the engine through runtime/index.ts only.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: [...nodeBuiltins], message: 'preload exposes contract channels only; no Node APIs.' },
            {
              group: ['**/runtime/*', '**/runtime/*/**', '!**/runtime/contract', '!**/runtime/contract/**'],
              message: 'preload may import only the contract.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...nodeBuiltins, 'electron', 'better-sqlite3', 'onnxruntime-node', ...network],
              message: 'renderer/ runs in a sandboxed page: no Node, electron, SQLite or onnxruntime.',
            },
            {
              group: ['**/runtime/*', '**/runtime/*/**', '!**/runtime/contract', '!**/runtime/contract/**'],
              message: 'renderer/ reaches the engine only through runtime/contract.',
            },
          ],
        },
      ],
    },
  },
);
