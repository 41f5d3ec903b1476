/** Property-based tests of `parse` (fast-check), shared by every plugin through the conformance kit. */
import { describeParseProperties } from '@cancelkit/testing';
import emulation from './emulation.js';
import plugin from './index.js';

describeParseProperties(plugin, {
  emulation,
  valid: {
    regionId: 'cn-hangzhou',
    instanceId: 'ha-cn-7mz2nx41h01',
    fsmId: 'tisplus_opensearch@datasource_flow_fsm@1865410598556969-ha-cn-0ju2rrogr01_test_api_2@sz_vpc_domain_1@null@MANUAL@1657511220772@165343',
  },
});
