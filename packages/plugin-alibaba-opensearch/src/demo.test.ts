/**
 * The demo scenarios this emulation carries (`cancelkit demo` runs them): each one, seeded in the
 * emulator and cancelled through createCancelKit over real HTTP, gives the outcome it promises.
 */
import { describeDemoScenarios } from '@cancelkit/testing';
import emulation from './emulation.js';
import plugin from './index.js';

describeDemoScenarios(plugin, emulation);
