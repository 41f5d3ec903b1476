/**
 * The official `@huaweicloud/huaweicloud-sdk-core` signers, loaded through `require` (the package is
 * CommonJS without type-friendly subpath exports). Test-only: the SDK is a dev-dependency.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The request shape AKSKSigner.sign reads (what HcClient builds before signing). */
export interface SdkSignerRequest {
  method: string;
  /** Full URL with the *raw* (unencoded) path, as HcClient builds it. */
  endpoint: string;
  headers: Record<string, string>;
  queryParams?: Record<string, string | number | string[]>;
  data?: unknown;
}

interface SdkCredential {
  getAk(): string;
  getSk(): string;
  getRegionId?(): string;
  getDerivedAuthServiceName?(): string;
}

type SdkSign = (request: SdkSignerRequest, credential: SdkCredential) => Record<string, string>;

const { AKSKSigner } = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner') as { AKSKSigner: { sign: SdkSign } };
const { DerivedAKSKSigner } = require('@huaweicloud/huaweicloud-sdk-core/auth/DerivedAKSKSigner') as {
  DerivedAKSKSigner: { sign: SdkSign };
};

function credential(ak: string, sk: string, regionId?: string, service?: string): SdkCredential {
  return { getAk: () => ak, getSk: () => sk, getRegionId: () => regionId ?? '', getDerivedAuthServiceName: () => service ?? '' };
}

/** Headers the official signer returns (all of them, Authorization included). */
export function officialSign(request: SdkSignerRequest, ak: string, sk: string): Record<string, string> {
  // The SDK mutates nothing we pass back in, but copy anyway so a test's fixtures stay pristine.
  return AKSKSigner.sign(structuredClone(request), credential(ak, sk));
}

export function officialDerivedSign(request: SdkSignerRequest, ak: string, sk: string, regionId: string, service: string): Record<string, string> {
  return DerivedAKSKSigner.sign(structuredClone(request), credential(ak, sk, regionId, service));
}
