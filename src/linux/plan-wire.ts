// The launch plan's wire format (native-shim/plan.h): op codes, the encoder used by
// plan.ts and a decoder for tests and debugging. Nothing here knows about config.json.
import { TsrunError } from '../common/errors';

/** Keep in sync with native-shim/plan.h (enum plan_op); a unit test compares them. */
export const OP = {
  SETNS: 1, UNSHARE_USER: 2, UNSHARE: 3, CLONE_INIT: 4,
  WAIT_PARENT: 10, MOUNT: 11, MKDIR: 12, MKNOD: 13, SYMLINK: 14, CHROOT_PREP: 15, PIVOT: 16,
  WRITE: 17, OPEN_FIFO: 18, CONSOLE_CONNECT: 19, HOOK: 20, STR: 21, MASK: 22, READONLY: 23,
  REMOUNT_ROOT_RO: 24, SETHOSTNAME: 25, SETDOMAINNAME: 26, RLIMIT: 27, KEYRING: 28,
  OPEN_PTY: 29, BOUNDING: 30, USER: 31, CAPS: 32, UMASK: 33, NO_NEW_PRIVS: 34, CHDIR: 35,
  EXEC: 36, SETSID: 37, SET_MOUNT_PROPAGATION: 38, BIND_ROOTFS: 39, TIMENS_OFFSETS: 40,
  PERSONALITY: 42, SECCOMP: 43, CLOSE_FDS: 44, MOUNT_SETATTR: 45, IDMAP_USERNS: 46, SECCOMP_LISTENER: 47, END: 99,
} as const;

export type OpName = keyof typeof OP;

/** OP_HOOK n0: when the init runs a container-namespace hook (oci/hooks.ts). */
export const HOOK_PHASE = { createContainer: 1, startContainer: 2 } as const;

/** OP_MOUNT n3 bits (plan.h MNT_*). */
export const MNT_IS_FILE = 1;
export const MNT_NO_CREATE = 2;
export const MNT_TMPCOPYUP = 4;
export const MNT_IDMAP = 8;
export const MNT_IDMAP_REC = 16;
export const MNT_MASK_IF_MISSING = 32;
/** The user namespace slot (OP_IDMAP_USERNS n0) of an id-mapped mount: n3 >> MNT_USERNS_SHIFT. */
export const MNT_USERNS_SHIFT = 8;

/** The fixed part of an op: u32 code, u32 size, i64 n[4]. */
const HEADER = 40;

type Num = number | bigint;

/** Little-endian encoder of plan ops. */
export class PlanWriter {
  private chunks: Buffer[] = [];

  op(code: number, n: Num[] = [], s: string[] = []): this {
    const strs = s.map((x) => {
      if (x.includes('\0')) throw new TsrunError(`launch plan: string contains a NUL byte: ${JSON.stringify(x)}`);
      return Buffer.from(x + '\0');
    });
    const raw = HEADER + strs.reduce((a, b) => a + b.length, 0);
    const size = (raw + 7) & ~7;
    const buf = Buffer.alloc(size);
    buf.writeUInt32LE(code, 0);
    buf.writeUInt32LE(size, 4);
    for (let i = 0; i < 4; i++) buf.writeBigInt64LE(BigInt.asIntN(64, BigInt(n[i] ?? 0)), 8 + i * 8);
    let off = HEADER;
    for (const b of strs) {
      b.copy(buf, off);
      off += b.length;
    }
    this.chunks.push(buf);
    return this;
  }

  /** A deferred op(): emit it later by calling the returned function. */
  opArgs(code: number, n: Num[] = [], s: string[] = []): () => void {
    return () => void this.op(code, n, s);
  }

  list(items: string[]): this {
    for (const it of items) this.op(OP.STR, [], [it]);
    return this;
  }

  build(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** One decoded op: its name, the four integers and the strings that were written. */
export interface DecodedOp {
  op: OpName | number;
  n: [bigint, bigint, bigint, bigint];
  s: string[];
}

const NAMES = new Map<number, OpName>(Object.entries(OP).map(([k, v]) => [v, k as OpName]));

/**
 * Decode a plan back into ops (the inverse of PlanWriter; for tests and debugging).
 * Trailing empty strings are indistinguishable from padding and are dropped.
 */
export function decodePlan(buf: Buffer): DecodedOp[] {
  const out: DecodedOp[] = [];
  for (let off = 0; off < buf.length; ) {
    const code = buf.readUInt32LE(off);
    const size = buf.readUInt32LE(off + 4);
    if (size < HEADER || size % 8 !== 0 || off + size > buf.length) {
      throw new TsrunError(`launch plan: bad op size ${size} at offset ${off}`);
    }
    const n = [0, 1, 2, 3].map((i) => buf.readBigInt64LE(off + 8 + i * 8)) as DecodedOp['n'];
    const s = buf.subarray(off + HEADER, off + size).toString('utf8').split('\0');
    while (s.length && s[s.length - 1] === '') s.pop();
    out.push({ op: NAMES.get(code) ?? code, n, s });
    off += size;
  }
  return out;
}
