# SPDX-License-Identifier: GPL-2.0
"""The workload of scen_cgroup_gone.py: one loopback connection read in
phases the test drives, in a cgroup v2 directory it moves itself into.

    python3 cgroup_gone_wl.py --port P --comm NAME --cgroup DIR

Moves itself into DIR (DIR/cgroup.procs), names itself NAME (its comm, the
`process` label), listens on 127.0.0.1:P and connects to it; the accepted
socket is the one read. Each phase's reads are made by a thread of its own:
bufscope notes a socket's reader's cgroup when the reading thread changes,
so after `move` the reads carry the new cgroup (threads keep the comm of
the process). Prints
{"ready": true, "pid": ...}, then one line per command on stdin:

    read N    sends N bytes to itself and reads them with recv(4096), 16 KiB
              at a time (the queue never holds more): {"phase": i,
              "reads": data reads, "bytes": what they returned}
    move DIR  moves itself into DIR: {"moved": DIR}
    end       shuts the sending side, reads the end of stream (one recv
              returning 0), closes everything and exits 0 after
              {"done": true, "reads", "bytes", "eof_reads", "phases": [...]}

Standard library only.
"""
import json
import os
import socket
import sys
import threading

CHUNK = 16384


def out(**kw):
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def move_to(cgdir):
    with open(cgdir.rstrip("/") + "/cgroup.procs", "w") as f:
        f.write("0\n")     # 0: the writing process


def read_phase(cli, srv, n):
    """n bytes through the connection; (data reads, bytes) of the reader."""
    reads = got = 0
    while got < n:
        chunk = min(CHUNK, n - got)
        cli.sendall(b"x" * chunk)
        want = got + chunk
        while got < want:
            data = srv.recv(4096)
            if not data:
                sys.exit("cgroup_gone_wl: end of stream at %d/%d" % (got, n))
            reads += 1
            got += len(data)
    return reads, got


def main():
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    if set(args) != {"--port", "--comm", "--cgroup"}:
        sys.exit("usage: cgroup_gone_wl.py --port P --comm NAME --cgroup DIR")
    move_to(args["--cgroup"])
    with open("/proc/self/comm", "w") as f:
        f.write(args["--comm"])
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", int(args["--port"])))
    lsock.listen(1)
    cli = socket.create_connection(("127.0.0.1", int(args["--port"])))
    srv, _ = lsock.accept()
    lsock.close()
    out(ready=True, pid=os.getpid())
    phases = []
    for line in sys.stdin:
        word, _, arg = line.strip().partition(" ")
        if word == "read":
            res = []
            t = threading.Thread(target=lambda: res.append(read_phase(cli, srv, int(arg))))
            t.start()
            t.join()
            if not res:
                sys.exit("cgroup_gone_wl: phase %d failed" % (len(phases) + 1))
            reads, nbytes = res[0]
            phases.append({"reads": reads, "bytes": nbytes})
            out(phase=len(phases), reads=reads, bytes=nbytes)
        elif word == "move":
            move_to(arg)
            out(moved=arg)
        elif word == "end":
            break
        else:
            sys.exit("cgroup_gone_wl: unknown command %r" % line)
    cli.shutdown(socket.SHUT_WR)
    eof = srv.recv(4096)
    if eof:
        sys.exit("cgroup_gone_wl: %d bytes where the end of stream was" % len(eof))
    srv.close()
    cli.close()
    out(done=True, reads=sum(p["reads"] for p in phases),
        bytes=sum(p["bytes"] for p in phases), eof_reads=1, phases=phases)


if __name__ == "__main__":
    main()
