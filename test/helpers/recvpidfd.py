#!/usr/bin/env python3
"""--pidfd-socket receiver for tests: listen on a unix socket, take the fd sent with
SCM_RIGHTS, print {"data": <message>, "pid": <Pid: from its fdinfo>} as JSON, then, given a
signal number, send that signal through the pidfd (pidfd_send_signal).
Usage: recvpidfd.py SOCKET_PATH [SIGNAL]"""
import json, signal, sys

from fdrecv import accept_fd

path = sys.argv[1]
sig = int(sys.argv[2]) if len(sys.argv) > 2 else 0
msg, fd, conn = accept_fd(path)
pid = None
with open(f'/proc/self/fdinfo/{fd}') as f:
    for line in f:
        if line.startswith('Pid:'):
            pid = int(line.split()[1])
if sig:
    signal.pidfd_send_signal(fd, sig)
print(json.dumps({'data': msg.decode(), 'pid': pid}), flush=True)
