// `tsrun run [-d] [--keep] <id>`: the exit code is the container's (128+signal if killed).
import type { GlobalOptions } from '../runtime/options';
import type { Parsed } from './parsed';
import { createOptions } from './create';
import { callerIo } from './io';

export async function run(g: GlobalOptions, p: Parsed): Promise<number> {
  const lib = await import('../runtime/run');
  return lib.run(g, { ...createOptions(p), detach: !!p.flags.detach, keep: !!p.flags.keep, noSubreaper: !!p.flags['no-subreaper'], io: await callerIo() });
}
