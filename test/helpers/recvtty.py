#!/usr/bin/env python3
"""Console-socket receiver for tests (like runc's recvtty): listen on a unix socket, take the
pty master sent with SCM_RIGHTS, copy everything the container writes to stdout, exit at EOF.
Usage: recvtty.py SOCKET_PATH [--input TEXT]"""
import os, sys

from fdrecv import accept_fd

path = sys.argv[1]
text = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == '--input' else None
msg, master, conn = accept_fd(path)
if text is not None:
    os.write(master, text.encode())
while True:
    try:
        data = os.read(master, 4096)
    except OSError:  # EIO once the last slave fd closes
        break
    if not data:
        break
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
