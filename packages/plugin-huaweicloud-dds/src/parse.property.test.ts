/** Property-based tests of `parse` (fast-check), shared by every plugin through the conformance kit. */
import { describeParseProperties } from '@cancelkit/testing';
import emulation from './emulation.js';
import plugin from './index.js';

describeParseProperties(plugin, { emulation, valid: { region: 'cn-north-4', jobId: '3861199d-c196-4791-bcd0-b45fde754f50' } });
