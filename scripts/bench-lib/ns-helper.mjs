// Runs inside a private mount namespace in which /sys/fs/cgroup/unified is unmounted
// (started by bench.mjs as `unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec node ns-helper.mjs'`),
// so crun sees a plain cgroup v1 host instead of the hybrid layout it refuses.
// Protocol: JSON lines. stdin: {seq, op, args}; stdout: {seq, ok, result | error}.
// The ops are the same code bench.mjs runs for the other runtimes (ops.mjs), so the
// crun numbers are taken exactly like the others, with no extra process per command.
// Ctrl-C goes to the whole process group: ignore it, bench.mjs sends `abort` + `cleanup`.
// If bench.mjs goes away (stdin EOF) we clean up what we created and exit.
import readline from 'node:readline';
import { ops, abort, opCleanup } from './ops.mjs';

const known = new Map(); // rt.root -> rt, for cleanup on EOF
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});

const send = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const rl = readline.createInterface({ input: process.stdin });
let inflight = 0;
let closing = false;

rl.on('line', async (line) => {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return;
  }
  const { seq, op, args = [] } = msg;
  if (args[0] && typeof args[0] === 'object' && args[0].root) known.set(args[0].root, args[0]);
  inflight++;
  try {
    if (!ops[op]) throw new Error(`unknown op ${op}`);
    const result = await ops[op](...args);
    send({ seq, ok: true, result });
  } catch (e) {
    send({ seq, ok: false, error: e.message });
  } finally {
    inflight--;
  }
});

rl.on('close', async () => {
  if (closing) return;
  closing = true;
  abort();
  const t0 = Date.now();
  while (inflight > 0 && Date.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 50));
  try {
    await opCleanup([...known.values()]);
  } catch {}
  process.exit(0);
});
