#!/usr/bin/env python3
"""A seccomp notify listener for tests (linux.seccomp.listenerPath), as a runtime's user:
    seccomp-listener.py SOCKET OUT ERRNO
Listens on the unix socket SOCKET; from each connection it receives the state JSON and the
notify fd (SCM_RIGHTS), writes the JSON and each notified syscall number to OUT (one JSON
object a line), and answers every notification with -ERRNO. Runs until killed (or 60 s)."""
import array, errno, fcntl, json, signal, socket, struct, sys, threading

SOCK, OUT, ERR = sys.argv[1], sys.argv[2], int(sys.argv[3])
# x86_64: struct seccomp_notif is 80 bytes, struct seccomp_notif_resp 24 (linux/seccomp.h).
NOTIF_SIZE, RESP_SIZE = 80, 24
IOCTL_RECV = (3 << 30) | (NOTIF_SIZE << 16) | (ord('!') << 8) | 0
IOCTL_SEND = (3 << 30) | (RESP_SIZE << 16) | (ord('!') << 8) | 1
lock = threading.Lock()
out = open(OUT, 'w')


def record(obj):
    with lock:
        out.write(json.dumps(obj) + '\n')
        out.flush()


def serve(conn, n):
    fds = array.array('i')
    msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(16 * fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    record({'conn': n, 'message': json.loads(msg.decode()), 'nfds': len(fds)})
    if not fds:
        return
    while True:
        buf = bytearray(NOTIF_SIZE)
        try:
            fcntl.ioctl(fds[0], IOCTL_RECV, buf)
        except OSError as e:
            if e.errno == errno.EINTR:
                continue
            return  # ENOENT: the filtered processes are gone
        nid, pid, _flags, nr = struct.unpack_from('=QIIi', buf)
        record({'conn': n, 'syscall': nr, 'pid': pid})
        try:
            fcntl.ioctl(fds[0], IOCTL_SEND, bytearray(struct.pack('=QqiI', nid, 0, -ERR, 0)))
        except OSError:
            pass  # the target died meanwhile


signal.alarm(60)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(SOCK)
srv.listen(8)
open(SOCK + '.ready', 'w').close()
n = 0
while True:
    conn, _ = srv.accept()
    n += 1
    threading.Thread(target=serve, args=(conn, n), daemon=True).start()
