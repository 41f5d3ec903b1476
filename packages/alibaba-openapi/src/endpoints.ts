/**
 * Default endpoints, taken from each official product SDK's `_endpointRule` ("regional") and
 * `_endpointMap` (wire doc §2). A user endpoint (`ctx.endpoint`) overrides all of this.
 */
import { CancelKitError } from '@cancelkit/core/plugin';

export type AlibabaProduct = 'ecs' | 'r-kvstore' | 'oos' | 'searchengine';

export const ALIBABA_PRODUCTS: readonly AlibabaProduct[] = ['ecs', 'r-kvstore', 'oos', 'searchengine'];

/** `@alicloud/ecs20140526` `_endpointMap`: regions whose host is not `ecs.<region>.aliyuncs.com`. */
const ECS_EXCEPTIONS: Readonly<Record<string, string>> = {
  'cn-hangzhou': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-shanghai-finance-1': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-shenzhen-finance-1': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-north-2-gov-1': 'ecs.aliyuncs.com',
  'ap-northeast-2-pop': 'ecs.aliyuncs.com',
  'cn-beijing-finance-pop': 'ecs.aliyuncs.com',
  'cn-beijing-gov-1': 'ecs.aliyuncs.com',
  'cn-beijing-nu16-b01': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-edge-1': 'ecs.cn-qingdao-nebula.aliyuncs.com',
  'cn-fujian': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-haidian-cm12-c01': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-hangzhou-bj-b01': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-hangzhou-finance': 'ecs.aliyuncs.com',
  'cn-hangzhou-internal-prod-1': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-hangzhou-internal-test-1': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-hangzhou-internal-test-2': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-hangzhou-internal-test-3': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-hangzhou-test-306': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-hongkong-finance-pop': 'ecs.aliyuncs.com',
  'cn-huhehaote-nebula-1': 'ecs.cn-qingdao-nebula.aliyuncs.com',
  'cn-shanghai-et15-b01': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-shanghai-et2-b01': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-shanghai-inner': 'ecs.aliyuncs.com',
  'cn-shanghai-internal-test-1': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-shenzhen-inner': 'ecs.aliyuncs.com',
  'cn-shenzhen-st4-d01': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-shenzhen-su18-b01': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-wuhan': 'ecs.aliyuncs.com',
  'cn-yushanfang': 'ecs.aliyuncs.com',
  'cn-zhangbei': 'ecs.aliyuncs.com',
  'cn-zhangbei-na61-b01': 'ecs-cn-hangzhou.aliyuncs.com',
  'cn-zhangjiakou-na62-a01': 'ecs.cn-zhangjiakou.aliyuncs.com',
  'cn-zhengzhou-nebula-1': 'ecs.cn-qingdao-nebula.aliyuncs.com',
  'eu-west-1-oxs': 'ecs.cn-shenzhen-cloudstone.aliyuncs.com',
  'rus-west-1-pop': 'ecs.aliyuncs.com',
};

/** `@alicloud/r-kvstore20150101` `_endpointMap`: regions served by the central `r-kvstore.aliyuncs.com`. */
const KVSTORE_CENTRAL = new Set([
  'cn-qingdao', 'cn-beijing', 'cn-wulanchabu', 'cn-hangzhou', 'cn-shanghai', 'cn-heyuan', 'cn-hangzhou-finance',
  'ap-northeast-2-pop', 'cn-beijing-finance-pop', 'cn-beijing-gov-1', 'cn-beijing-nu16-b01', 'cn-edge-1', 'cn-fujian',
  'cn-haidian-cm12-c01', 'cn-hangzhou-bj-b01', 'cn-hangzhou-internal-prod-1', 'cn-hangzhou-internal-test-1',
  'cn-hangzhou-internal-test-2', 'cn-hangzhou-internal-test-3', 'cn-hangzhou-test-306', 'cn-hongkong-finance-pop',
  'cn-qingdao-nebula', 'cn-shanghai-et15-b01', 'cn-shanghai-et2-b01', 'cn-shanghai-inner', 'cn-shanghai-internal-test-1',
  'cn-shenzhen-inner', 'cn-shenzhen-st4-d01', 'cn-shenzhen-su18-b01', 'cn-wuhan', 'cn-yushanfang', 'cn-zhangbei',
  'cn-zhangbei-na61-b01', 'cn-zhangjiakou-na62-a01', 'cn-zhengzhou-nebula-1', 'eu-west-1-oxs', 'rus-west-1-pop',
]);

/** Region ids become part of a host name: only lower-case letters, digits and dashes. */
export const REGION_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export function checkRegionId(regionId: string, field = 'regionId'): void {
  if (!REGION_PATTERN.test(regionId) || regionId.length > 63) {
    throw new CancelKitError('InvalidInput', `${field}: "${regionId}" is not a region id`, {
      issues: [{ field, message: 'is not a region id', hint: 'use a region id such as cn-hangzhou' }],
    });
  }
}

/**
 * The default host of a product in a region. ECS and R-kvstore have a central host when no region is
 * given (`ecs.aliyuncs.com`, `r-kvstore.aliyuncs.com`); OOS and OpenSearch are regional only and need one.
 */
export function alibabaEndpoint(product: AlibabaProduct, regionId?: string): string {
  if (!ALIBABA_PRODUCTS.includes(product)) {
    throw new CancelKitError('InvalidInput', `product: "${String(product)}" is not a known Alibaba Cloud product`, {
      issues: [{ field: 'product', message: `must be one of ${ALIBABA_PRODUCTS.join(', ')}` }],
    });
  }
  if (regionId === undefined || regionId === '') {
    if (product === 'ecs') return 'ecs.aliyuncs.com';
    if (product === 'r-kvstore') return 'r-kvstore.aliyuncs.com';
    throw new CancelKitError('InvalidInput', `regionId: is required for ${product} (it has regional endpoints only)`, {
      issues: [{ field: 'regionId', message: 'is required', hint: 'pass --region-id, e.g. cn-hangzhou, or set providers.alibaba.regionId' }],
    });
  }
  checkRegionId(regionId);
  switch (product) {
    case 'ecs':
      return ECS_EXCEPTIONS[regionId] ?? `ecs.${regionId}.aliyuncs.com`;
    case 'r-kvstore':
      return KVSTORE_CENTRAL.has(regionId) ? 'r-kvstore.aliyuncs.com' : `r-kvstore.${regionId}.aliyuncs.com`;
    case 'oos':
      return `oos.${regionId}.aliyuncs.com`;
    case 'searchengine':
      return `searchengine.${regionId}.aliyuncs.com`;
  }
}
