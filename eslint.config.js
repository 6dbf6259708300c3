// Module boundaries are a lint error, not a convention: apps depend on libs, never the reverse;
// contracts depend on nothing of ours; only the serving scope may reach the inference runtime and
// only the deploy scope may reach the AWS control plane.
const nx = require('@nx/eslint-plugin');
const tseslint = require('typescript-eslint');

module.exports = [
  { ignores: ['**/dist', '**/node_modules', '**/tmp', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { ecmaVersion: 2022, sourceType: 'module' } },
    plugins: { '@nx': nx, '@typescript-eslint': tseslint.plugin },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:contracts'] },
            { sourceTag: 'type:io', onlyDependOnLibsWithTags: ['type:contracts', 'type:core', 'type:io'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:contracts', 'type:core', 'type:io'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:contracts', 'type:core', 'type:io'] },
            { sourceTag: 'scope:serve', onlyDependOnLibsWithTags: ['scope:shared', 'scope:serve'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:deploy', onlyDependOnLibsWithTags: ['scope:shared', 'scope:deploy'] },
            {
              sourceTag: 'type:contracts',
              bannedExternalImports: ['onnxruntime-node', 'sharp', 'fastify', '@aws-sdk/*', '@techstark/opencv-js'],
            },
            { sourceTag: 'type:core', bannedExternalImports: ['fastify', '@aws-sdk/*', 'piscina'] },
            {
              sourceTag: 'scope:serve',
              bannedExternalImports: ['@aws-sdk/client-sagemaker', '@aws-sdk/client-ecr', '@aws-sdk/client-application-auto-scaling'],
            },
          ],
        },
      ],
    },
  },
  {
    // The deployer's `--help`, `status` and `destroy` must start without onnxruntime-node and sharp
    // (~200 modules): @vad/core and @vad/artifacts only through `await import()` in the steps that
    // pack or inspect a model (apps/deployer/src/startup.spec.ts checks what actually loads).
    // libs/image-builder too: the deployer loads it at start-up (the image step).
    files: ['apps/deployer/src/**/*.ts', 'libs/image-builder/src/**/*.ts'],
    ignores: ['**/*.spec.ts', 'apps/deployer/src/testing/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@vad/core',
              message: 'load vad-core lazily (await import) in the step that needs it: it pulls in onnxruntime-node and sharp',
              allowTypeImports: true,
            },
            {
              name: '@vad/artifacts',
              message: 'load @vad/artifacts lazily (await import) in the step that needs it: it pulls in vad-core',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
];
