/**
 * Manifest validity, as a plain function: hosts read manifests without loading plugins (`plugins list`,
 * `--help`, discovery), so a manifest must be right on its own.
 */
import { CORE_VERSION, type CancellablePlugin, checkCoreRange, isCancelKitError, PLUGIN_ID_PATTERN, type PluginManifest } from '@cancelkit/core';
import { checkParamsSchema } from './params-schema.js';

export interface CheckManifestOptions {
  /** The plugin the manifest belongs to: enables the capability and example checks. */
  plugin?: CancellablePlugin<unknown>;
  /** The core version the range must admit (default: the running core). */
  coreVersion?: string;
}

const NAME_PATTERN = /^[a-z][a-z0-9-]*$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Every problem with a manifest, one sentence each; an empty array means valid. Checks the id format
 * (`provider.service.operation`), that `service` and `id` agree with `provider`/`operation`, an https
 * docs URL, the params JSON Schema (structurally valid, see `checkJsonSchema`) and `targetParam`,
 * capabilities against the hooks present, and that `coreRange` is a valid semver range admitting the
 * running core.
 */
export function checkManifest(manifest: unknown, options: CheckManifestOptions = {}): string[] {
  if (!isObject(manifest)) return ['the manifest must be an object'];
  const m = manifest as Partial<Record<keyof PluginManifest, unknown>>;
  const problems: string[] = [];
  const str = (key: keyof PluginManifest): string | undefined => {
    const value = m[key];
    if (typeof value !== 'string' || value.trim() === '') {
      problems.push(`${key} must be a non-empty string`);
      return undefined;
    }
    return value;
  };
  const id = str('id');
  const provider = str('provider');
  const service = str('service');
  const operation = str('operation');
  str('title');
  const docsUrl = str('docsUrl');
  const coreRange = str('coreRange');

  if (id !== undefined && !PLUGIN_ID_PATTERN.test(id)) {
    problems.push(`id "${id}" must be lower-case words joined by dots: provider.service.operation (e.g. acme.jobs.job)`);
  }
  if (provider !== undefined && !NAME_PATTERN.test(provider)) problems.push(`provider "${provider}" must be one lower-case word (a-z, 0-9, -)`);
  if (provider !== undefined && service !== undefined && !service.startsWith(`${provider}.`)) {
    problems.push(`service "${service}" must start with the provider: "${provider}.<service>"`);
  }
  if (service !== undefined && id !== undefined && !id.startsWith(`${service}.`)) {
    problems.push(`id "${id}" must start with the service: "${service}.<operation>"`);
  }
  if (service !== undefined && operation !== undefined && id !== undefined && id !== `${service}.${operation}`) {
    problems.push(`id "${id}" must be service + "." + operation = "${service}.${operation}"`);
  }
  if (docsUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(docsUrl);
    } catch {
      problems.push(`docsUrl "${docsUrl}" is not a URL`);
    }
    if (url && url.protocol !== 'https:') problems.push(`docsUrl must be an https URL, got ${url.protocol}`);
  }

  problems.push(...checkParamsSchema(m.paramsSchema, m.targetParam));

  const capabilities = m.capabilities;
  if (!isObject(capabilities)) {
    problems.push('capabilities must be an object { inspect, batch, wait } of booleans');
  } else {
    for (const key of ['inspect', 'batch', 'wait'] as const) {
      if (typeof capabilities[key] !== 'boolean') problems.push(`capabilities.${key} must be a boolean`);
    }
    if (capabilities.wait === true && capabilities.inspect !== true) {
      problems.push('capabilities.wait needs capabilities.inspect: waiting polls inspect');
    }
    const plugin = options.plugin;
    if (plugin) {
      const hasInspect = typeof plugin.inspect === 'function';
      if (capabilities.inspect === true && !hasInspect) problems.push('capabilities.inspect is true but the plugin has no inspect hook');
      if (capabilities.inspect === false && hasInspect) problems.push('capabilities.inspect is false but the plugin has an inspect hook');
      if (capabilities.batch === true && typeof plugin.select !== 'function') {
        problems.push('capabilities.batch is true but the plugin has no select hook (the engine narrows batches with it for retries)');
      }
      if ((plugin.manifest as unknown) !== manifest) problems.push('plugin.manifest is not the manifest being checked');
    }
  }

  if (coreRange !== undefined && id !== undefined) {
    try {
      checkCoreRange({ id, coreRange }, options.coreVersion ?? CORE_VERSION);
    } catch (error) {
      problems.push(isCancelKitError(error) ? `coreRange: ${error.message}` : `coreRange: ${String(error)}`);
    }
  }

  if (m.defaultQps !== undefined && (typeof m.defaultQps !== 'number' || !Number.isFinite(m.defaultQps) || m.defaultQps <= 0)) {
    problems.push(`defaultQps must be a positive number of requests per second, got ${JSON.stringify(m.defaultQps)}`);
  }
  if (m.description !== undefined && typeof m.description !== 'string') problems.push('description must be a string');
  if (m.examples !== undefined) {
    if (!Array.isArray(m.examples)) problems.push('examples must be an array of params objects');
    else if (options.plugin) {
      m.examples.forEach((example, index) => {
        try {
          options.plugin?.parse(example);
        } catch (error) {
          problems.push(`examples[${index}] is rejected by parse: ${error instanceof Error ? error.message : String(error)}`);
        }
      });
    }
  }
  return problems;
}
