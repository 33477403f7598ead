// Entry point of the tsrun executable (esbuild bundles from here). All logic is in cli.ts,
// which tests import without running anything.
import { main } from './cli';

function runMain(): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`tsrun: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

// Defined by scripts/build.mjs: true only in a --snapshot build.
declare const __TSRUN_SNAPSHOT__: boolean | undefined;

// scripts/build.mjs --snapshot: when building a V8 startup snapshot, defer main to run time.
// Other builds never load node:v8 (with the stream modules it pulls in, ~2 ms per command).
if (typeof __TSRUN_SNAPSHOT__ === 'boolean' && __TSRUN_SNAPSHOT__) {
  const v8 = require('node:v8') as typeof import('node:v8');
  if (v8.startupSnapshot?.isBuildingSnapshot()) v8.startupSnapshot.setDeserializeMainFunction(runMain);
  else runMain();
} else {
  runMain();
}
