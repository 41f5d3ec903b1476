/**
 * Service endpoints, from the official Node SDK's region tables (`services/dds/v3/DdsRegion.ts`,
 * release 3.1.209): `dds.<region>.myhuaweicloud.com`, except eu-west-101 on `.myhuaweicloud.eu`.
 */
import { InvalidInput } from '@cancelkit/core/plugin';

export type HuaweiService = 'dds';

export const DDS_REGIONS: readonly string[] = Object.freeze([
  'af-south-1',
  'cn-north-4',
  'cn-north-1',
  'cn-east-2',
  'cn-east-3',
  'cn-south-1',
  'cn-southwest-2',
  'ap-southeast-2',
  'ap-southeast-1',
  'ap-southeast-3',
  'ru-northwest-2',
  'cn-south-2',
  'cn-north-2',
  'na-mexico-1',
  'la-north-2',
  'sa-brazil-1',
  'la-south-2',
  'cn-north-9',
  'me-east-1',
  'tr-west-1',
  'ap-southeast-4',
  'eu-west-0',
  'my-kualalumpur-1',
  'ru-moscow-1',
  'ae-ad-1',
  'cn-east-5',
  'cn-east-4',
  'cn-north-12',
  'af-north-1',
  'ap-southeast-5',
  'cn-north-11',
  'cn-southwest-3',
  'cn-south-4',
  'eu-west-101',
]);

const HOST_OVERRIDES: Readonly<Record<HuaweiService, Readonly<Record<string, string>>>> = {
  dds: { 'eu-west-101': 'dds.eu-west-101.myhuaweicloud.eu' },
};

const REGIONS: Readonly<Record<HuaweiService, readonly string[]>> = { dds: DDS_REGIONS };

/** The host (no scheme) of a service in a region; InvalidInput for a region the SDK does not list. */
export function huaweiEndpoint(service: HuaweiService, region: string): string {
  const known = REGIONS[service];
  if (!known?.includes(region)) {
    throw new InvalidInput(`region: "${region}" is not a Huawei Cloud ${service.toUpperCase()} region`, {
      issues: [
        {
          field: 'region',
          message: `is not a ${service.toUpperCase()} region`,
          hint: `use one of ${known?.join(', ') ?? 'none'}, or set an endpoint override for a new region`,
        },
      ],
    });
  }
  return HOST_OVERRIDES[service][region] ?? `${service}.${region}.myhuaweicloud.com`;
}
