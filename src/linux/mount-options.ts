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

/** mount_setattr(2) attributes (linux/mount.h MOUNT_ATTR_*). */
export const MOUNT_ATTR = {
  RDONLY: 0x1, NOSUID: 0x2, NODEV: 0x4, NOEXEC: 0x8, ATIME: 0x70, RELATIME: 0, NOATIME: 0x10,
  STRICTATIME: 0x20, NODIRATIME: 0x80, IDMAP: 0x100000, NOSYMFOLLOW: 0x200000,
} as const;

// runc's recursive options, applied to the mount and every mount below it with
// mount_setattr(AT_RECURSIVE): [set?, attribute].
const REC_FLAGS: Record<string, [boolean, number]> = {
  rro: [true, MOUNT_ATTR.RDONLY], rrw: [false, MOUNT_ATTR.RDONLY],
  rnosuid: [true, MOUNT_ATTR.NOSUID], rsuid: [false, MOUNT_ATTR.NOSUID],
  rnodev: [true, MOUNT_ATTR.NODEV], rdev: [false, MOUNT_ATTR.NODEV],
  rnoexec: [true, MOUNT_ATTR.NOEXEC], rexec: [false, MOUNT_ATTR.NOEXEC],
  rnodiratime: [true, MOUNT_ATTR.NODIRATIME], rdiratime: [false, MOUNT_ATTR.NODIRATIME],
  rnosymfollow: [true, MOUNT_ATTR.NOSYMFOLLOW], rsymfollow: [false, MOUNT_ATTR.NOSYMFOLLOW],
};
// The atime setting is one value, not bits (the kernel wants all of MOUNT_ATTR__ATIME
// cleared to change it): the last of these wins. "atime"/"nostrictatime" mean the
// kernel's default (relatime), "norelatime" means strictatime, as with mount(8).
const REC_ATIME: Record<string, number> = {
  rrelatime: MOUNT_ATTR.RELATIME, ratime: MOUNT_ATTR.RELATIME, rnostrictatime: MOUNT_ATTR.RELATIME,
  rnoatime: MOUNT_ATTR.NOATIME, rstrictatime: MOUNT_ATTR.STRICTATIME, rnorelatime: MOUNT_ATTR.STRICTATIME,
};
/** Options that are tsrun's (runc's) to act on, never passed to the filesystem. */
const EXTENSIONS = ['tmpcopyup', 'idmap', 'ridmap'];

/** Every option name parsed into a flag or a propagation (`tsrun features` lists them). */
export const MOUNT_OPTION_NAMES: readonly string[] = [
  ...Object.keys(FLAGS), ...Object.keys(PROPAGATION), ...Object.keys(REC_FLAGS), ...Object.keys(REC_ATIME), ...EXTENSIONS,
];

export interface ParsedMountOptions {
  flags: number;
  propagation: number;
  data: string[];
  /** Recursive attributes to set and clear (mount_setattr AT_RECURSIVE); 0 when none. */
  attrSet: number;
  attrClr: number;
  /** tmpcopyup: fill the new tmpfs with what the rootfs had at the destination. */
  tmpcopyup: boolean;
  /** idmap (this mount) or ridmap (and every mount below it). */
  idmap?: 'idmap' | 'ridmap';
}

export function parseMountOptions(options: string[] | undefined): ParsedMountOptions {
  let flags = 0;
  let propagation = 0;
  let attrSet = 0;
  let attrClr = 0;
  let tmpcopyup = false;
  let idmap: ParsedMountOptions['idmap'];
  const data: string[] = [];
  for (const opt of options ?? []) {
    const f = FLAGS[opt];
    const r = REC_FLAGS[opt];
    if (f) flags = f[0] ? flags | f[1] : flags & ~f[1];
    else if (PROPAGATION[opt] !== undefined) propagation |= PROPAGATION[opt];
    else if (r) {
      attrSet = r[0] ? attrSet | r[1] : attrSet & ~r[1];
      attrClr = r[0] ? attrClr & ~r[1] : attrClr | r[1];
    } else if (REC_ATIME[opt] !== undefined) {
      attrSet = (attrSet & ~MOUNT_ATTR.ATIME) | REC_ATIME[opt];
      attrClr |= MOUNT_ATTR.ATIME;
    } else if (opt === 'tmpcopyup') tmpcopyup = true;
    else if (opt === 'idmap' || opt === 'ridmap') idmap = opt;
    else data.push(opt);
  }
  return { flags, propagation, data, attrSet, attrClr, tmpcopyup, idmap };
}
