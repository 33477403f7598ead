// `tsrun pause <id>` / `tsrun resume <id>` (the logic is runtime/pause.ts).
import type { GlobalOptions } from '../runtime/options';
import * as lib from '../runtime/pause';
import type { Parsed } from './parsed';

export async function pause(g: GlobalOptions, p: Parsed): Promise<number> {
  await lib.pause(g, p.args[0]);
  return 0;
}

export async function resume(g: GlobalOptions, p: Parsed): Promise<number> {
  await lib.resume(g, p.args[0]);
  return 0;
}
