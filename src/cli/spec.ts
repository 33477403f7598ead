// `tsrun spec [-b bundle] [--rootless]`: write a default config.json, never over an existing one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsrunError, fsError } from '../common/errors';
import type { GlobalOptions } from '../runtime/options';
import type { Parsed } from './parsed';

export async function spec(_g: GlobalOptions, p: Parsed): Promise<number> {
  const { defaultSpec } = await import('../oci/spec-default');
  const file = path.join(String(p.flags.bundle || '.'), 'config.json');
  const text = JSON.stringify(defaultSpec({ rootless: !!p.flags.rootless }), null, '\t') + '\n';
  try {
    fs.writeFileSync(file, text, { flag: 'wx', mode: 0o666 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new TsrunError(`File ${file} exists. Remove it first`);
    throw fsError(`write ${file}`, err);
  }
  return 0;
}
