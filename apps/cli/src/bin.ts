#!/usr/bin/env node
/**
 * The `cancelkit` executable. The compile cache makes repeat start-up cheaper; the router imports only
 * the command that runs.
 */
import module from 'node:module';

module.enableCompileCache?.();

const { main } = await import('./main.js');
const { processIo } = await import('./io.js');
process.exitCode = await main(process.argv.slice(2), processIo());
