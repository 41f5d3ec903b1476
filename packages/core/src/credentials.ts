/**
 * Credential resolution. Provider packages implement `CredentialSource` (environment, profile files, …);
 * apps that embed core may bind their own source for a provider, which then wins.
 */

export interface CredentialRequest {
  /** Named profile (`--profile`), if the user picked one. */
  readonly profile?: string;
  /** Provider settings from config (`config.providers[provider]`). */
  readonly providerConfig: Readonly<Record<string, unknown>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
}

export interface CredentialSource<C> {
  /** Provider this source serves, e.g. `alibaba` or `huaweicloud`. */
  readonly provider: string;
  /** Human description for error messages ("environment ALIBABA_CLOUD_ACCESS_KEY_ID, ~/.aliyun/config.json, …"). */
  readonly description: string;
  /** Resolve credentials or throw `Unauthenticated` listing where it looked. */
  resolve(request: CredentialRequest): Promise<C>;
  /** The secret strings inside a credential, so the host can redact them everywhere. */
  secretsOf(credentials: C): string[];
}
