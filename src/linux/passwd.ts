// User names for uids, as runc's `list` shows owners (Go's user.LookupId reads /etc/passwd).
// Not os.userInfo(): Bun's answers "unknown" for root, and a name is only ever needed for
// a uid we already have.
import * as fs from 'node:fs';

let passwd: Map<number, string> | undefined;

/** Name of a uid from /etc/passwd, or "#<uid>" as runc prints unknown ones. */
export function userName(uid: number): string {
  if (!passwd) {
    passwd = new Map();
    try {
      for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const f = line.split(':');
        if (f.length > 2 && !passwd.has(Number(f[2]))) passwd.set(Number(f[2]), f[0]);
      }
    } catch {
      /* no passwd: numbers only */
    }
  }
  return passwd.get(uid) ?? `#${uid}`;
}
