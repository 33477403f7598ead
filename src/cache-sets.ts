// Which trained V8 code caches the executable carries (src/boot.ts uses them, cli/warmup.ts
// trains them, scripts/build.mjs asks `node build/boot.js --cache-sets` for this list).
// V8 deserializes a whole cache up front, so each command that callers run for every
// container has a cache of its own; 'full' covers everything else.
import { COMMANDS } from './cli/commands';

export const OWN_CACHE_COMMANDS = ['state', 'start', 'kill', 'delete', 'list'] as const;
export type CacheSet = (typeof OWN_CACHE_COMMANDS)[number] | 'full';
export const CACHE_SETS: readonly CacheSet[] = ['full', ...OWN_CACHE_COMMANDS];

/** The SEA asset (and build/ file) holding a set's cache. */
export function cacheAsset(set: CacheSet): string {
  return set === 'full' ? 'tsrun.jscache' : `tsrun-${set}.jscache`;
}

const NAMES = new Set(COMMANDS.map((c) => c.name));
const OWN = new Set<string>(OWN_CACHE_COMMANDS);

/** The set for a command line: its first command name (a guess: `--root kill state x` picks
 *  kill's cache, which is slower for state, not wrong). */
export function cacheSetFor(argv: readonly string[]): CacheSet {
  const command = argv.find((a) => NAMES.has(a));
  return command && OWN.has(command) ? (command as CacheSet) : 'full';
}
