// `tsrun features`: the runtime-spec features document.
import type { GlobalOptions } from '../runtime/options';
import type { Parsed } from './parsed';
import { write } from './output';

export async function features(_g: GlobalOptions, _p: Parsed): Promise<number> {
  const lib = await import('../oci/features');
  write(1, JSON.stringify(lib.features(), null, 4) + '\n');
  return 0;
}
