/**
 * Where Acme API keys come from: `providers.acme` in the cancelkit config, else the environment. The
 * host may bind its own source for provider `acme`, which then wins.
 */
import { type CredentialSource, Unauthenticated } from '@cancelkit/core/plugin';

export interface AcmeCredentials {
  readonly apiKeyId: string;
  readonly apiKeySecret: string;
}

export const ACME_ENV = { apiKeyId: 'ACME_API_KEY_ID', apiKeySecret: 'ACME_API_KEY_SECRET' } as const;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export const acmeCredentialSource: CredentialSource<AcmeCredentials> = {
  provider: 'acme',
  description: `config providers.acme.apiKeyId/apiKeySecret, or the environment ${ACME_ENV.apiKeyId}/${ACME_ENV.apiKeySecret}`,
  async resolve(request) {
    const apiKeyId = text(request.providerConfig.apiKeyId) ?? text(request.env[ACME_ENV.apiKeyId]);
    const apiKeySecret = text(request.providerConfig.apiKeySecret) ?? text(request.env[ACME_ENV.apiKeySecret]);
    if (!apiKeyId || !apiKeySecret) {
      throw new Unauthenticated('No Acme API key was found.', {
        hint: `Set ${ACME_ENV.apiKeyId} and ${ACME_ENV.apiKeySecret}, or providers.acme.apiKeyId/apiKeySecret in cancelkit.config.json.`,
      });
    }
    return { apiKeyId, apiKeySecret };
  },
  secretsOf: (credentials) => [credentials.apiKeySecret],
};
