// Parse runtime-spec mount options into mount(2) flags, propagation flags and fs data.
export const MS = {
  RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, SYNCHRONOUS: 16, REMOUNT: 32, MANDLOCK: 64,
  DIRSYNC: 128, NOSYMFOLLOW: 256, NOATIME: 1024, NODIRATIME: 2048, BIND: 4096, MOVE: 8192,
  REC: 16384, UNBINDABLE: 1 << 17, PRIVATE: 1 << 18, SLAVE: 1 << 19, SHARED: 1 << 20,
  RELATIME: 1 << 21, STRICTATIME: 1 << 24, LAZYTIME: 1 << 25,
} as const;

// [set?, flag]: options that set or clear a mount flag.
const FLAGS: Record<string, [boolean, number]> = {
  ro: [true, MS.RDONLY], rw: [false, MS.RDONLY],
  nosuid: [true, MS.NOSUID], suid: [false, MS.NOSUID],
  nodev: [true, MS.NODEV], dev: [false, MS.NODEV],
  noexec: [true, MS.NOEXEC], exec: [false, MS.NOEXEC],
  sync: [true, MS.SYNCHRONOUS], async: [false, MS.SYNCHRONOUS],
  dirsync: [true, MS.DIRSYNC], remount: [true, MS.REMOUNT],
  mand: [true, MS.MANDLOCK], nomand: [false, MS.MANDLOCK],
  noatime: [true, MS.NOATIME], atime: [false, MS.NOATIME],
  nodiratime: [true, MS.NODIRATIME], diratime: [false, MS.NODIRATIME],
  relatime: [true, MS.RELATIME], norelatime: [false, MS.RELATIME],
  strictatime: [true, MS.STRICTATIME], nostrictatime: [false, MS.STRICTATIME],
  lazytime: [true, MS.LAZYTIME], nolazytime: [false, MS.LAZYTIME],
  nosymfollow: [true, MS.NOSYMFOLLOW], symfollow: [false, MS.NOSYMFOLLOW],
  bind: [true, MS.BIND], rbind: [true, MS.BIND | MS.REC],
};

export const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

/** Every option name parsed into a flag or a propagation (`tsrun features` lists them). */
export const MOUNT_OPTION_NAMES: readonly string[] = [...Object.keys(FLAGS), ...Object.keys(PROPAGATION)];

export interface ParsedMountOptions {
  flags: number;
  propagation: number;
  data: string[];
}

export function parseMountOptions(options: string[] | undefined): ParsedMountOptions {
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  for (const opt of options ?? []) {
    const f = FLAGS[opt];
    if (f) flags = f[0] ? flags | f[1] : flags & ~f[1];
    else if (PROPAGATION[opt] !== undefined) propagation |= PROPAGATION[opt];
    else data.push(opt);
  }
  return { flags, propagation, data };
}
