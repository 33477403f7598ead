// `tsrun checkpoint` / `tsrun restore`: runc's flags mapped onto runtime/checkpoint.ts.
import * as path from 'node:path';
import { TsrunError } from '../common/errors';
import { checkpoint as cp, restore as rs, type CheckpointOptions } from '../runtime/checkpoint';
import type { GlobalOptions } from '../runtime/options';
import { callerIo } from './io';
import type { Parsed } from './parsed';

function common(p: Parsed): CheckpointOptions {
  const f = p.flags;
  const str = (k: string) => (f[k] === undefined || f[k] === '' ? undefined : String(f[k]));
  return {
    criu: p.global.criu ? String(p.global.criu) : undefined,
    imagePath: str('image-path'),
    workPath: str('work-path'),
    tcpEstablished: !!f['tcp-established'],
    extUnixSk: !!f['ext-unix-sk'],
    shellJob: !!f['shell-job'],
    lazyPages: !!f['lazy-pages'],
    fileLocks: !!f['file-locks'],
    manageCgroupsMode: str('manage-cgroups-mode'),
    emptyNs: (f['empty-ns'] as string[] | undefined) ?? [],
    autoDedup: !!f['auto-dedup'],
  };
}

export async function checkpoint(g: GlobalOptions, p: Parsed): Promise<number> {
  const f = p.flags;
  let statusFd: number | undefined;
  if (f['status-fd'] !== undefined) {
    statusFd = Number(f['status-fd']);
    if (!/^-?\d+$/.test(String(f['status-fd']))) throw new TsrunError(`invalid value ${JSON.stringify(f['status-fd'])} for flag -status-fd: parse error`);
  }
  await cp(g, p.args[0], {
    ...common(p),
    parentPath: f['parent-path'] ? String(f['parent-path']) : undefined,
    leaveRunning: !!f['leave-running'],
    preDump: !!f['pre-dump'],
    pageServer: f['page-server'] ? String(f['page-server']) : undefined,
    statusFd,
  });
  return 0;
}

export async function restore(g: GlobalOptions, p: Parsed): Promise<number> {
  const f = p.flags;
  return rs(g, p.args[0], {
    ...common(p),
    bundle: path.resolve(String(f.bundle || '.')),
    consoleSocket: f['console-socket'] ? String(f['console-socket']) : undefined,
    detach: !!f.detach,
    pidFile: f['pid-file'] ? String(f['pid-file']) : undefined,
    noSubreaper: !!f['no-subreaper'],
    noPivot: !!f['no-pivot'],
    lsmProfile: f['lsm-profile'] ? String(f['lsm-profile']) : undefined,
    lsmMountContext: f['lsm-mount-context'] ? String(f['lsm-mount-context']) : undefined,
    io: await callerIo(),
  });
}
