// Entry point of the tsrun bundle (esbuild bundles from here). All logic is in cli.ts,
// which tests import without running anything.
//   node build/tsrun.js ...   runs tsrun (the bundle is the main module);
//   dist/tsrun ...            src/boot.ts compiles the bundle with its trained code cache
//                             and calls runMain();
//   build time                src/boot.ts --train calls warmUp().
import { flushTimings, mark } from '../common/timing';
import type { BootInfo } from '../boot';
import { main } from './cli';
import type { CacheSet } from '../cache-sets';

export function runMain(info?: BootInfo): void {
  if (info) {
    mark('boot: started', info.at[0]);
    mark('boot: bundle source read', info.at[1]);
    mark(`boot: bundle compiled (code cache: ${info.codeCache})`, info.at[2]);
  }
  mark('main entered (bundle modules initialised)');
  main(process.argv.slice(2)).then(
    (code) => {
      mark('command done');
      flushTimings();
      process.exit(code);
    },
    (err) => {
      process.stderr.write(`tsrun: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

/** Build time: exercise every command path once (see cli/warmup.ts and src/boot.ts). */
export async function warmUp(set: CacheSet): Promise<void> {
  await (await import('./warmup')).warmUp(set);
}

if (require.main === module) runMain();
