// The machines ship an older Node; the workspace pins Node 24 (devDependency `node`) so that
// `npm run` puts it first on PATH. Fail loudly if that did not happen.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(
    `cancelkit needs Node >= 22.12 (running ${process.version} from ${process.execPath}).\n` +
      'Run scripts through `npm run …` after `npm ci`, which uses the Node 24 pinned in devDependencies.',
  );
  process.exit(1);
}
if (process.env.CANCELKIT_VERBOSE_NODE) console.log(`node ${process.version}`);
