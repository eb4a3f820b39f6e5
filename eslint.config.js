import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// The layers of the product are visible in the folder names; these rules keep
// the direction of imports: shared <- engine <- service <- {server, cli, electron},
// shared <- src-renderer. Only store/ may import better-sqlite3.
const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', 'test-results/', '**/*.svelte', 'bench/**/*.py'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Build scripts, the bin shim and configs run in Node.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['src-main/shared/**/*.ts'],
    rules: restrict([
      { group: ['node:*', 'fs', 'path', 'os', 'child_process'], message: 'shared/ is pure TS: no Node built-ins.' },
      { group: ['electron', 'better-sqlite3', '@tensorflow/*'], message: 'shared/ imports nothing heavy.' },
      { group: ['**/engine/**', '**/service/**', '**/store/**', '**/server/**', '**/cli/**', '**/electron/**'], message: 'shared/ depends on nothing else.' },
    ]),
  },
  {
    files: ['src-main/engine/**/*.ts'],
    rules: restrict([
      { group: ['electron', 'better-sqlite3'], message: 'The engine never touches SQLite or Electron.' },
      { group: ['**/service/**', '**/store/**', '**/server/**', '**/cli/**', '**/electron/**'], message: 'engine/ depends only on shared/.' },
    ]),
  },
  {
    files: ['src-main/store/**/*.ts'],
    rules: restrict([
      { group: ['electron', '@tensorflow/*'], message: 'store/ is storage only.' },
      { group: ['**/engine/**', '**/service/**', '**/server/**', '**/cli/**', '**/electron/**'], message: 'store/ depends only on shared/.' },
    ]),
  },
  {
    files: ['src-main/service/**/*.ts'],
    rules: restrict([
      { group: ['electron'], message: 'The service is plain Node: Electron is an adapter.' },
      { group: ['better-sqlite3'], message: 'Only store/ imports better-sqlite3.' },
      { group: ['**/server/**', '**/cli/**', '**/electron/**'], message: 'service/ sits below its adapters.' },
    ]),
  },
  {
    files: ['src-main/server/**/*.ts', 'src-main/cli/**/*.ts'],
    rules: restrict([
      { group: ['electron'], message: 'Headless adapters never import Electron.' },
      { group: ['better-sqlite3'], message: 'Only store/ imports better-sqlite3.' },
    ]),
  },
  {
    files: ['src-renderer/**/*.ts'],
    rules: restrict([
      { group: ['node:*', 'electron', 'better-sqlite3', '@tensorflow/*'], message: 'The renderer is a sandboxed web page.' },
      { group: ['**/src-main/engine/**', '**/src-main/service/**', '**/src-main/store/**', '**/src-main/server/**'], message: 'The renderer knows only src-main/shared.' },
    ]),
  },
);
