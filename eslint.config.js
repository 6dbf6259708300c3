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
            { sourceTag: 'scope:serve', bannedExternalImports: ['@aws-sdk/client-sagemaker', '@aws-sdk/client-ecr', '@aws-sdk/client-application-auto-scaling'] },
          ],
        },
      ],
    },
  },
];
