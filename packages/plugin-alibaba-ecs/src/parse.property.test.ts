/** Property-based tests of `parse` (fast-check), shared by every plugin through the conformance kit. */
import { describeParseProperties } from '@cancelkit/testing';
import emulation from './emulation.js';
import plugin from './index.js';

describeParseProperties(plugin, { emulation, valid: { regionId: 'cn-hangzhou', taskId: 't-bp198jigq7l0h5ac1234' } });
