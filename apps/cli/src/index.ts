/**
 * `@cancelkit/cli` as a library: run the CLI in-process (tests, wrappers) and the stable output types
 * scripts consume.
 */
export { EXIT, EXIT_CODE_TABLE, exitCodeForRecord, exitCodeForRecords } from './exit-codes.js';
export { type CliIo, type OutputStream, processIo, type SignalName } from './io.js';
export { main } from './main.js';
export type { RecordError, ResultRecord, Summary } from './records.js';
