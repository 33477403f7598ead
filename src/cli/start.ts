// `tsrun start <id>`
import { start as startContainer } from '../runtime/start';
import type { GlobalOptions } from '../runtime/options';
import type { Parsed } from './parsed';

export async function start(g: GlobalOptions, p: Parsed): Promise<number> {
  await startContainer(g, p.args[0]);
  return 0;
}
