// `tsrun events [--stats] [--interval D] <id>`: one JSON event per line, as runc prints them.
import { TsrunError } from '../common/errors';
import { events as containerEvents, parseDuration } from '../runtime/events';
import type { GlobalOptions } from '../runtime/options';
import type { Parsed } from './parsed';
import { write } from './output';

export async function events(g: GlobalOptions, p: Parsed): Promise<number> {
  const raw = String(p.flags.interval ?? '5s');
  const ms = parseDuration(raw);
  if (ms === null) throw new TsrunError(`invalid value ${JSON.stringify(raw)} for flag -interval: parse error`);
  await containerEvents(g, p.args[0], { stats: !!p.flags.stats, intervalMs: ms }, (e) => write(1, JSON.stringify(e) + '\n'));
  return 0;
}
