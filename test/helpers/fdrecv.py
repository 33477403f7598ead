"""Shared by the test receivers (recvtty.py, recvpidfd.py): listen on a unix socket, say
"listening" on stdout, accept one connection and take the fd sent with SCM_RIGHTS."""
import socket


def accept_fd(path):
    """Returns (message bytes, the fd, the connection: keep it until done)."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    print('listening', flush=True)
    conn, _ = srv.accept()
    msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
    return msg, fds[0], conn
