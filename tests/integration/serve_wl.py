# SPDX-License-Identifier: GPL-2.0
"""The workload of scen_serve.py: short loopback connections that count their
own reads, on a port only it uses.

    python3 serve_wl.py --port P [--conns N] [--bytes B] [--read R]
                        [--reply C] [--reply-read R2] [--rate CPS]
                        [--wait-queued] [--keep-open] [--srv-comms K] [--srv-comm NAME]
                        [--cli-comm NAME] [--cgroup DIR]

Listens on 127.0.0.1:P. After `go` on stdin, a client thread opens N
connections one after the other, at most CPS a second (0: as fast as it
can): each connects, sends B bytes, shuts its sending side and reads the
reply with recv(R2) until the end of stream, then closes. A server thread
accepts each, reads it with recv(R) until the end of stream (with
--wait-queued it first waits until all B bytes are queued, FIONREAD, so
that every read but the last returns exactly R), sends C bytes of reply and
closes. Each connection opens, transfers and closes within a few
milliseconds: most are born and gone between two scrapes. With --keep-open
nothing is closed until the end: the server reads until it has B bytes,
the client until it has the C bytes of reply (--reply must not be 0), and
both keep their sockets open (no end of stream, no EOF read).

Thread names (the `process` label): the server thread is NAME (default
"bs-srv") or, with --srv-comms K, "NAME0" .. "NAME<K-1>" in turn per
connection (K label sets); the client thread is --cli-comm (default
"bs-cli"). --cgroup DIR moves the process into that cgroup v2 directory
before it starts (the test creates it).

Prints {"ready": true, "pid": ..., "port": P}, then after the run
{"done": true, "server": COUNTS, "client": COUNTS, "by_comm": {NAME: COUNTS}}
where COUNTS = {"reads": data reads (recv returned > 0), "bytes": what they
returned, "req_bytes": the sizes they asked for, "full_reads": reads that
returned the whole size asked for, "eof_reads": recv returned 0, "conns"}.
Then waits for the end of stdin (or a line) before closing the listener.

Standard library only.
"""

import fcntl
import json
import os
import socket
import struct
import sys
import termios
import threading
import time


def out(**kw):
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def die(msg):
    sys.stderr.write("serve_wl: %s\n" % msg)
    sys.stdout.flush()
    os._exit(1)


def set_thread_comm(name):
    """This thread's name (comm), as bufscope reads it at each read: the
    bytes given on the command line (surrogateescape: any byte, invalid
    UTF-8 included)."""
    with open("/proc/self/task/%d/comm" % threading.get_native_id(), "wb") as f:
        f.write(name.encode("utf-8", "surrogateescape"))


class Counts:
    def __init__(self):
        self.reads = self.bytes = self.req_bytes = self.full_reads = 0
        self.eof_reads = self.conns = 0

    def add(self, other):
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def as_dict(self):
        return dict(vars(self))


def read_all(sock, size, counts, until=None):
    """recv(size) until the end of stream (or until `until` bytes came),
    counting each call's result."""
    got = 0
    while until is None or got < until:
        data = sock.recv(size)
        got += len(data)
        if not data:
            counts.eof_reads += 1
            return
        counts.reads += 1
        counts.bytes += len(data)
        counts.req_bytes += size
        counts.full_reads += len(data) == size


def queued(sock):
    buf = fcntl.ioctl(sock.fileno(), termios.FIONREAD, struct.pack("i", 0))
    return struct.unpack("i", buf)[0]


def wait_queued(sock, want):
    deadline = time.monotonic() + 10
    while queued(sock) < want:
        if time.monotonic() > deadline:
            die("only %d of %d bytes queued after 10 s" % (queued(sock), want))
        time.sleep(0.0002)


KEPT = []      # --keep-open: both ends of every connection, closed at the end


def serve(lsock, opt, by_comm, errors):
    try:
        reply = b"r" * opt["reply"]
        for i in range(opt["conns"]):
            comm = opt["srv_comm"]
            if opt["srv_comms"]:
                comm = "%s%d" % (comm, i % opt["srv_comms"])
            set_thread_comm(comm)
            conn, _ = lsock.accept()
            c = by_comm.setdefault(comm, Counts())
            c.conns += 1
            if opt["wait_queued"]:
                wait_queued(conn, opt["bytes"])
            if opt["keep_open"]:
                read_all(conn, opt["read"], c, until=opt["bytes"])
                conn.sendall(reply)
                KEPT.append(conn)
                continue
            read_all(conn, opt["read"], c)
            conn.sendall(reply)
            conn.close()
    except Exception as e:      # noqa: the test reads it on stderr
        errors.append("server: %r" % e)


def client(port, opt, counts):
    payload = b"q" * opt["bytes"]
    t0 = time.monotonic()
    for i in range(opt["conns"]):
        if opt["rate"]:
            delay = t0 + i / opt["rate"] - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        s = socket.create_connection(("127.0.0.1", port))
        counts.conns += 1
        s.sendall(payload)
        if opt["keep_open"]:
            read_all(s, opt["reply_read"], counts, until=opt["reply"])
            KEPT.append(s)
            continue
        s.shutdown(socket.SHUT_WR)
        read_all(s, opt["reply_read"], counts)
        s.close()


def parse(argv):
    opt = {"port": None, "conns": 1, "bytes": 1000, "read": 1000, "reply": 0,
           "reply_read": 4096, "rate": 0.0, "wait_queued": False, "keep_open": False,
           "srv_comms": 0,
           "srv_comm": "bs-srv", "cli_comm": "bs-cli", "cgroup": None}
    nums = {"--port": "port", "--conns": "conns", "--bytes": "bytes", "--read": "read",
            "--reply": "reply", "--reply-read": "reply_read", "--srv-comms": "srv_comms"}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--wait-queued", "--keep-open"):
            opt[a[2:].replace("-", "_")] = True
        elif a in nums and i + 1 < len(argv):
            i += 1
            opt[nums[a]] = int(argv[i])
        elif a == "--rate" and i + 1 < len(argv):
            i += 1
            opt["rate"] = float(argv[i])
        elif a in ("--srv-comm", "--cli-comm", "--cgroup") and i + 1 < len(argv):
            i += 1
            opt[a[2:].replace("-", "_")] = argv[i]
        else:
            die("usage: see the top of serve_wl.py (bad argument %r)" % a)
        i += 1
    if not opt["port"]:
        die("--port is required")
    return opt


def main():
    opt = parse(sys.argv[1:])
    if opt["cgroup"]:
        with open(os.path.join(opt["cgroup"], "cgroup.procs"), "w") as f:
            f.write("%d\n" % os.getpid())
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", opt["port"]))
    lsock.listen(128)
    out(ready=True, pid=os.getpid(), port=opt["port"])
    if sys.stdin.readline().strip() != "go":
        die("no go line")
    by_comm, errors, cli = {}, [], Counts()

    def client_thread():
        set_thread_comm(opt["cli_comm"])
        try:
            client(opt["port"], opt, cli)
        except Exception as e:  # noqa: the test reads it on stderr
            errors.append("client: %r" % e)
    ts = [threading.Thread(target=serve, args=(lsock, opt, by_comm, errors)),
          threading.Thread(target=client_thread)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        die("; ".join(errors))
    srv = Counts()
    for c in by_comm.values():
        srv.add(c)
    out(done=True, server=srv.as_dict(), client=cli.as_dict(),
        by_comm={k: v.as_dict() for k, v in by_comm.items()})
    sys.stdin.readline()
    for k in KEPT:
        k.close()
    lsock.close()


if __name__ == "__main__":
    main()
