// `nx g @cancelkit/tools:plugin --provider acme --service jobs`: a complete plugin package that passes
// build, typecheck, lint and the conformance kit on its first run. Plain CommonJS so nx loads it without
// a build step or a TypeScript loader.
'use strict';

const path = require('node:path');
const { existsSync, readFileSync } = require('node:fs');
const { generateFiles, joinPathFragments, offsetFromRoot } = require('@nx/devkit');

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;

const camel = (text) => text.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
const pascal = (text) => {
  const c = camel(text);
  return c.charAt(0).toUpperCase() + c.slice(1);
};
const constant = (text) => text.toUpperCase().replace(/-/g, '_');
const titled = (text) =>
  text
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
const kebab = (text) => text.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

function fail(field, message) {
  throw new Error(`@cancelkit/tools:plugin: ${field} ${message}`);
}

/** The workspace core's version decides the plugin's core range (`^major.minor.0`). */
function coreVersion(tree) {
  const inTree = 'packages/core/package.json';
  let text;
  if (tree.exists(inTree)) text = tree.read(inTree, 'utf-8');
  else {
    const onDisk = path.join(tree.root, inTree);
    if (existsSync(onDisk)) text = readFileSync(onDisk, 'utf8');
  }
  if (!text) return '0.1.0';
  return JSON.parse(text).version;
}

function rangeOf(version) {
  const [major, minor] = version.split('.');
  return `^${major}.${minor}.0`;
}

/** Every name the templates use, derived from provider, service and operation. */
function normalize(tree, options) {
  const provider = options.provider;
  const service = options.service;
  const operation = options.operation ?? 'job';
  for (const [field, value] of [
    ['--provider', provider],
    ['--service', service],
    ['--operation', operation],
  ]) {
    if (typeof value !== 'string' || !NAME.test(value)) {
      fail(field, `must be one lower-case word (a-z, 0-9, single hyphens), e.g. acme; got ${JSON.stringify(value)}`);
    }
  }
  // The operation names the thing cancelled (job, task, run); "cancel" would also collide with the
  // templates' own cancelPath.
  if (operation === 'cancel') fail('--operation', 'names what is cancelled (e.g. job, task, execution), not the verb; got "cancel"');
  const projectName = `plugin-${provider}-${service}`;
  const directory = (options.directory ?? `packages/${projectName}`).replace(/\/+$/, '');
  if (path.isAbsolute(directory) || directory.split('/').includes('..')) fail('--directory', `must be a path inside the workspace, got ${directory}`);
  const packageName = options.packageName ?? `@cancelkit/${projectName}`;
  if (!PACKAGE_NAME.test(packageName)) fail('--packageName', `is not an npm package name: ${packageName}`);
  const operationWords = operation.replace(/-/g, ' ');
  const displayName = `${titled(provider)} ${titled(service)}`;
  const operationArticle = /^[aeiou]/.test(operation) ? 'an' : 'a';
  const targetParam = `${camel(operation)}Id`;
  const version = coreVersion(tree);
  return {
    provider,
    service,
    operation,
    directory,
    projectName,
    packageName,
    pluginId: `${provider}.${service}.${operation}`,
    serviceKey: `${provider}.${service}`,
    // As an object key: quoted when the provider has a hyphen (`providers: { 'my-cloud': … }`).
    providerKey: /^[a-z][a-z0-9]*$/.test(provider) ? provider : `'${provider}'`,
    providerCamel: camel(provider),
    providerPascal: pascal(provider),
    providerConst: constant(provider),
    providerTitle: titled(provider),
    servicePascal: pascal(service),
    serviceConst: `${constant(provider)}_${constant(service)}`,
    operationCamel: camel(operation),
    operationPascal: pascal(operation),
    operationWords,
    operationArticle,
    displayName,
    title: `Cancel ${operationArticle} ${operationWords} (${displayName})`,
    targetParam,
    targetFlag: kebab(targetParam),
    coreRange: rangeOf(version),
    zodRange: '^4.6.7',
    offset: offsetFromRoot(directory),
  };
}

async function pluginGenerator(tree, options) {
  const names = normalize(tree, options);
  if (tree.exists(names.directory) && tree.children(names.directory).length > 0) {
    fail('--directory', `${names.directory} already exists and is not empty; pick another --service or --directory`);
  }
  generateFiles(tree, path.join(__dirname, 'files'), names.directory, { ...names, tmpl: '' });
  tree.write(
    joinPathFragments('.changeset', `${names.projectName}.md`),
    `---\n"${names.packageName}": minor\n---\n\nNew plugin \`${names.pluginId}\`: ${names.title.charAt(0).toLowerCase()}${names.title.slice(1)}, with its emulation and conformance test.\n`,
  );
  return () => {
    console.log(
      `Created ${names.directory} (${names.pluginId}). Next: cd ${names.directory} && npm run build && npx vitest run`,
    );
  };
}

module.exports = pluginGenerator;
module.exports.default = pluginGenerator;
module.exports.pluginGenerator = pluginGenerator;
module.exports.normalizeOptions = normalize;
