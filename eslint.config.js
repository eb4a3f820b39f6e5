import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// The layers of the product are its folders under src-main/; imports flow one way:
//   shared ← engine ← service ← {server, cli, electron},   shared ← src-renderer
// store/ sits beside the engine and only the service opens it; better-sqlite3
// lives only in store/, Electron only in electron/. Each layer below lists what
// it may NOT import, and `no-restricted-imports` enforces it (.svelte included).
const LAYERS = ['shared', 'engine', 'store', 'service', 'server', 'cli', 'electron'];

// eslint-plugin-svelte is a devDependency; a node_modules installed before it was
// added lacks it. Lint then says so and skips Svelte files instead of crashing
// (`npm ci` fixes it; CI always installs it).
const svelte = await import('eslint-plugin-svelte').then((m) => m.default).catch(() => null);
if (!svelte) console.warn('eslint: eslint-plugin-svelte is not installed (run `npm ci`): .svelte and .svelte.ts files are NOT linted.');

const NODE_BUILTINS = ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'worker_threads', 'url', 'crypto', 'http', 'https', 'net', 'events', 'stream', 'util'];

/** One rule per layer: the layers it must not import, the packages it must not import, and why. */
function layerRule(layer, { notLayers, notPackages = [], why }) {
  const patterns = [];
  if (notLayers.length > 0) {
    patterns.push({ regex: `^(\\.{1,2}/)+(.*/)?(${notLayers.join('|')})(/|$)`, message: why });
  }
  for (const { group, message } of notPackages) patterns.push({ group, message });
  return {
    files: [`src-main/${layer}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns }] },
  };
}

const ELECTRON = { group: ['electron', 'electron/*'], message: 'Only src-main/electron imports Electron: everything else runs headless too.' };
const SQLITE = { group: ['better-sqlite3'], message: 'Only src-main/store imports better-sqlite3.' };
const TFJS = { group: ['@tensorflow/*'], message: 'Only the engine imports TensorFlow.js.' };
const others = (...allowed) => LAYERS.filter((l) => !allowed.includes(l));

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', 'test-results/', 'bench/**/*.py', 'bench/tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...(svelte ? svelte.configs.recommended : [{ ignores: ['**/*.svelte', '**/*.svelte.ts'] }]),
  {
    // Build scripts, the bin shim and configs run in Node.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    // <script lang="ts"> in components, and rune modules (*.svelte.ts).
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] }, globals: globals.browser },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  layerRule('shared', {
    notLayers: others('shared'),
    notPackages: [
      { group: NODE_BUILTINS, message: 'shared/ is pure TS that also runs in the renderer: no Node built-ins.' },
      { group: ['electron', 'electron/*', 'better-sqlite3', '@tensorflow/*', 'ws', 'bullmq'], message: 'shared/ imports nothing heavy: it is the contract both sides compile.' },
    ],
    why: 'shared/ depends on nothing else in src-main.',
  }),
  layerRule('engine', { notLayers: others('shared', 'engine'), notPackages: [ELECTRON, SQLITE], why: 'engine/ depends only on shared/: it never touches storage, the service or an adapter.' }),
  layerRule('store', { notLayers: others('shared', 'store'), notPackages: [ELECTRON, TFJS], why: 'store/ is storage only: it depends only on shared/.' }),
  layerRule('service', { notLayers: ['server', 'cli', 'electron'], notPackages: [ELECTRON, SQLITE], why: 'service/ sits below its adapters (server, cli, electron).' }),
  // `kerv serve` is a CLI command, so cli/ may start the server; the adapters reach storage only through the service.
  layerRule('server', { notLayers: ['store', 'cli', 'electron'], notPackages: [ELECTRON, SQLITE], why: 'server/ is an adapter over the service: no store, no other adapter.' }),
  layerRule('cli', { notLayers: ['store', 'electron'], notPackages: [ELECTRON, SQLITE], why: 'cli/ is an adapter over the service: no store, no Electron adapter.' }),
  layerRule('electron', { notLayers: ['store', 'server', 'cli'], notPackages: [SQLITE], why: 'electron/ is an adapter over the service: no store, no other adapter.' }),
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.svelte'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: [...NODE_BUILTINS, 'electron', 'electron/*', 'better-sqlite3', '@tensorflow/*', 'ws', 'bullmq'], message: 'The renderer is a sandboxed web page.' },
            { regex: '^(\\.{1,2}/)+src-main/(?!shared/)', message: 'The renderer knows only src-main/shared (the API contract and its types).' },
          ],
        },
      ],
    },
  },
);
