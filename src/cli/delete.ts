// `tsrun delete [--force] <id>`
import { deleteContainer } from '../runtime/delete';
import type { GlobalOptions } from '../runtime/options';
import type { Parsed } from './parsed';

export async function del(g: GlobalOptions, p: Parsed): Promise<number> {
  await deleteContainer(g, p.args[0], !!p.flags.force);
  return 0;
}
