// Entry point of the tsrun bundle (esbuild bundles from here). All logic is in cli.ts,
// which tests import without running anything.
//   node build/tsrun.js ...   runs tsrun (the bundle is the main module);
//   dist/tsrun ...            the Bun executable's entry (written by scripts/build.mjs)
//                             records the embedded files and calls runMain(); it is built
//                             from this file as an ES module (__TSRUN_ESM__), which has no
//                             `module` to compare require.main with.
import { flushTimings, mark } from '../common/timing';
import { main } from './cli';
import { write } from './output';

export function runMain(): void {
  mark('main entered (bundle modules initialised)');
  main(process.argv.slice(2)).then(
    (code) => {
      mark('command done');
      flushTimings();
      process.exit(code);
    },
    (err) => {
      write(2, `tsrun: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

declare const __TSRUN_ESM__: boolean | undefined;
if (typeof __TSRUN_ESM__ === 'undefined' && require.main === module) runMain();
