// `tsrun update [flags | --resources FILE|-] <id>`: flag mapping only; runtime/update.ts merges,
// writes the cgroup files and saves the new limits.
import { requestFromFile, requestFromFlags, update as updateContainer } from '../runtime/update';
import type { GlobalOptions } from '../runtime/options';
import type { Parsed } from './parsed';

export async function update(g: GlobalOptions, p: Parsed): Promise<number> {
  const f = p.flags;
  const s = (name: string) => (f[name] === undefined ? undefined : String(f[name]));
  const req = s('resources')
    ? requestFromFile(s('resources')!, g.logger)
    : requestFromFlags({
        blkioWeight: s('blkio-weight'),
        cpuPeriod: s('cpu-period'),
        cpuQuota: s('cpu-quota'),
        cpuShare: s('cpu-share'),
        cpuRtPeriod: s('cpu-rt-period'),
        cpuRtRuntime: s('cpu-rt-runtime'),
        cpusetCpus: s('cpuset-cpus'),
        cpusetMems: s('cpuset-mems'),
        kernelMemory: s('kernel-memory'),
        kernelMemoryTcp: s('kernel-memory-tcp'),
        memory: s('memory'),
        memoryReservation: s('memory-reservation'),
        memorySwap: s('memory-swap'),
        pidsLimit: s('pids-limit'),
        l3CacheSchema: s('l3-cache-schema'),
        memBwSchema: s('mem-bw-schema'),
      }, g.logger);
  await updateContainer(g, p.args[0], req);
  return 0;
}
