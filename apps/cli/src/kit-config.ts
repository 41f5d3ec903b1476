/**
 * The core's config for one run: the config file overlaid with command-line flags. Kept apart from
 * config.ts because endpoint checks come from core's transport module, which commands that only read
 * manifests should not load.
 */
import type { CancelKitConfig } from '@cancelkit/core';
import { CancelKitError, checkEndpoint, isCancelKitError } from '@cancelkit/core/plugin';
import type { LoadedConfig } from './config.js';

export interface FlagOverrides {
  profile?: string;
  endpoint?: string;
  /** Which endpoint key `--endpoint` fills: a plugin id (single target) or `*` (batches). */
  endpointKey?: string;
  allowInsecureHttp?: boolean;
  concurrency?: number;
  qps?: number;
}

/** The core's config from file + flags. Flags win: `--endpoint` / `--qps` replace what the file says. */
export function buildKitConfig(
  loaded: LoadedConfig,
  flags: FlagOverrides,
  env: Readonly<Record<string, string | undefined>>,
): CancelKitConfig {
  const c = loaded.content;
  const config: CancelKitConfig = {
    endpoints: { ...c.endpoints },
    providers: { ...c.providers },
    rateLimits: { ...c.rateLimits },
    env: { ...env },
  };
  const home = env.HOME ?? env.USERPROFILE;
  if (home) config.homeDir = home;
  const profile = flags.profile ?? c.profile;
  if (profile !== undefined) config.profile = profile;
  const allowInsecureHttp = flags.allowInsecureHttp ?? c.allowInsecureHttp;
  if (allowInsecureHttp !== undefined) config.allowInsecureHttp = allowInsecureHttp;
  if (c.retry) config.retry = c.retry;
  if (c.wait) config.wait = c.wait;
  if (c.timeoutMs !== undefined) config.timeoutMs = c.timeoutMs;
  const concurrency = flags.concurrency ?? c.concurrency;
  if (concurrency !== undefined) config.concurrency = concurrency;
  if (flags.qps !== undefined) config.rateLimits = { '*': flags.qps };
  for (const [key, url] of Object.entries(config.endpoints ?? {})) {
    withCliFixes(() => checkEndpoint(url, config.allowInsecureHttp ?? false, `endpoints["${key}"]`), 'config');
  }
  if (flags.endpoint !== undefined) {
    const endpoint = flags.endpoint;
    withCliFixes(() => checkEndpoint(endpoint, config.allowInsecureHttp ?? false, '--endpoint'), 'flag');
    const key = flags.endpointKey ?? '*';
    // Config entries for a plugin id or service would beat '*' in the engine: a batch's flag replaces them all.
    config.endpoints = key === '*' ? { '*': flags.endpoint } : { ...config.endpoints, [key]: flags.endpoint };
  }
  return config;
}

/**
 * Core names the library option (`allowInsecureHttp`); on the command line the fix is the
 * `--allow-insecure-http` flag, or the config file's key of the same name for a config endpoint.
 */
function withCliFixes(check: () => unknown, source: 'flag' | 'config'): void {
  try {
    check();
  } catch (error) {
    if (!isCancelKitError(error) || error.code !== 'InvalidInput') throw error;
    const option = /\ballowInsecureHttp\b/g;
    const insecure = option.test(error.message);
    const fix = source === 'flag' ? 'pass --allow-insecure-http' : 'set "allowInsecureHttp": true in the config file (or pass --allow-insecure-http)';
    throw new CancelKitError('InvalidInput', error.message.replace(option, source === 'flag' ? '--allow-insecure-http' : '"allowInsecureHttp": true'), {
      issues: error.issues,
      hint: insecure ? `Use an https URL, or ${fix} to allow plain http to a non-loopback host.` : 'Use an https URL such as https://host[:port].',
    });
  }
}
