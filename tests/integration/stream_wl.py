# SPDX-License-Identifier: GPL-2.0
"""Workloads of scen_stream.py: loopback readers that count their own reads.

    python3 stream_wl.py flood   --port P --bytes N [--chunk C] [--comm NAME]
    python3 stream_wl.py conns   --port P --conns N [--bytes B] [--rounds R]
    python3 stream_wl.py threads --port P --threads N [--quit K]

Prints {"ready": ..., "pid": ..., "conns": [{"lport", "rport"}...]} (the
reading sockets' ports), waits for `go` on stdin, does its reads, prints
{"done": ..., "reads": ..., "eof_reads": ..., "bytes": ..., "calls": ...}
(every recv() call it made, and how many returned data, 0), then waits for
`finish` (or the end of stdin) before it closes its sockets, so that no
socket is destroyed while bufscope runs unless the test wants it.

flood: one connection; a sender thread writes N bytes, the reader takes
them with recv(C) until it has them all.
conns: N connections; B bytes are sent on each, and one reader takes them
with recv(4096) socket after socket; with --rounds R, R times, the previous
round's connections closed first.
threads: N connections, one reader thread each. Phase 1: every thread blocks
in recv() at once (checked in /proc: each thread sleeping in recvfrom), then
100 bytes go to each. Phase 2, once every phase-1 read has returned:
100 more bytes and the end of stream to each, and the threads read them one
at a time (a lock), then read the end of stream: never more than one of them
inside tcp_recvmsg. With --quit K, the first K threads end after phase 1
instead (a read missed there is found only by the thread being gone). With
the kprobe
tier, only maxactive (max(10, 2 x CPUs)) of the phase-1 reads get a
kretprobe instance; a thread that reads again after its phase-1 read, or
ends, tells bufscope that read was lost. "blocked_at_once" says how many were.

Standard library only (it also runs in the VM guests' pruned Python).
"""

import json
import os
import socket
import sys
import threading
import time

NR_RECVFROM = 45        # x86-64


def out(**kw):
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def die(msg):
    sys.stderr.write("stream_wl: %s\n" % msg)
    sys.exit(1)


def set_comm(name):
    """prctl(PR_SET_NAME) through /proc: the bytes as given (UTF-8 kept)."""
    with open("/proc/self/comm", "wb") as f:
        f.write(name.encode("utf-8"))


def listen(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(1024)
    return s


def pairs(lst, n):
    """n connections: (client, accepted) each."""
    res = []
    for _ in range(n):
        c = socket.create_connection(("127.0.0.1", lst.getsockname()[1]))
        a, _ = lst.accept()
        res.append((c, a))
    return res


def conn_ports(ps):
    return [{"family": "ipv4", "lport": a.getsockname()[1], "rport": a.getpeername()[1]}
            for _, a in ps]


def wait_go():
    line = sys.stdin.readline()
    if line.strip() != "go":
        die("expected go, got %r" % line)


def wait_finish():
    sys.stdin.readline()


def send_all(sock, data):
    sock.sendall(data)


def flood(args, lst):
    ps = pairs(lst, 1)
    c, a = ps[0]
    out(ready=True, pid=os.getpid(), conns=conn_ports(ps))
    wait_go()
    total, chunk = args["bytes"], args.get("chunk", 64)
    t = threading.Thread(target=send_all, args=(c, b"x" * total))
    t.start()
    got = calls = 0
    while got < total:
        n = len(a.recv(chunk))
        calls += 1
        if n == 0:
            die("end of stream after %d of %d bytes" % (got, total))
        got += n
    t.join()
    out(done=True, calls=calls, reads=calls, eof_reads=0, bytes=got)
    return ps


def conns(args, lst):
    """--rounds R: R times N connections; all but the last round's are closed
    (both ends) before the next round begins."""
    n, per, rounds = args["conns"], args.get("bytes", 1000), args.get("rounds", 1)
    ps = pairs(lst, n)
    out(ready=True, pid=os.getpid(), conns=conn_ports(ps))
    wait_go()
    res = []
    for r in range(rounds):
        if r:
            for c, a in ps:
                c.close()
                a.close()
            time.sleep(0.5)         # every closed socket destroyed
            ps = pairs(lst, n)
        for c, _ in ps:
            c.sendall(b"y" * per)
        for _, a in ps:
            got = calls = 0
            while got < per:
                k = len(a.recv(4096))
                calls += 1
                if k == 0:
                    die("end of stream")
                got += k
            res.append({"lport": a.getsockname()[1], "rport": a.getpeername()[1],
                        "reads": calls, "bytes": got, "round": r})
    out(done=True, calls=sum(r["reads"] for r in res), reads=sum(r["reads"] for r in res),
        eof_reads=0, bytes=sum(r["bytes"] for r in res), per_conn=res)
    return ps


def thread_state(tid):
    """(state letter, system call number or None) of one of our threads."""
    try:
        with open("/proc/self/task/%d/stat" % tid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        with open("/proc/self/task/%d/syscall" % tid) as f:
            first = f.read().split()[0]
    except (OSError, IndexError):
        return None, None
    return state, int(first) if first.lstrip("-").isdigit() else None


def threads(args, lst):
    n, quit = args["threads"], args.get("quit", 0)
    ps = pairs(lst, n)
    out(ready=True, pid=os.getpid(), conns=conn_ports(ps))
    wait_go()
    tids = [None] * n
    counts = [None] * n
    one_at_a_time = threading.Lock()
    phase1_done = threading.Barrier(n + 1)
    phase2 = threading.Event()

    def reader(i, a):
        tids[i] = threading.get_native_id()
        data = calls = eof = 0
        got = 0
        while got < 100:            # phase 1: all of us blocked at once
            k = len(a.recv(4096))
            calls += 1
            if not k:
                die("early end of stream")
            got, data = got + k, data + 1
        phase1_done.wait()          # back from tcp_recvmsg: instance free
        if i < quit:                # ends without another read
            counts[i] = (calls, data, eof)
            return
        phase2.wait()
        with one_at_a_time:         # phase 2: one reader inside at a time
            got = 0
            while True:
                k = len(a.recv(4096))
                calls += 1
                if not k:
                    eof += 1
                    break
                got, data = got + k, data + 1
        counts[i] = (calls, data, eof)

    ths = [threading.Thread(target=reader, args=(i, a)) for i, (_, a) in enumerate(ps)]
    for t in ths:
        t.start()
    deadline = time.monotonic() + 120     # emulated CPUs (tests/vm/) are slow
    while True:
        states = [thread_state(t) if t else (None, None) for t in tids]
        blocked = sum(1 for s, nr in states if s == "S" and nr == NR_RECVFROM)
        if blocked == n:
            break
        if time.monotonic() > deadline:
            die("only %d of %d threads blocked in recvfrom" % (blocked, n))
        time.sleep(0.01)
    for c, _ in ps:
        c.sendall(b"a" * 100)
    phase1_done.wait()              # every phase-1 read has returned
    for c, _ in ps[quit:]:
        c.sendall(b"b" * 100)
        c.shutdown(socket.SHUT_WR)
    phase2.set()
    for t in ths:
        t.join()
    out(done=True, calls=sum(c[0] for c in counts), reads=sum(c[1] for c in counts),
        eof_reads=sum(c[2] for c in counts), bytes=200 * n - 100 * quit,
        blocked_at_once=blocked)
    return ps


def parse(argv):
    args = {"mode": argv[0]}
    i = 1
    while i < len(argv):
        key = argv[i].lstrip("-")
        if i + 1 >= len(argv):
            die("%s needs a value" % argv[i])
        args[key] = argv[i + 1] if key == "comm" else int(argv[i + 1])
        i += 2
    return args


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("flood", "conns", "threads"):
        die(__doc__.strip().splitlines()[2])
    args = parse(sys.argv[1:])
    if "comm" in args:
        set_comm(args["comm"])
    lst = listen(args.get("port", 0))
    ps = {"flood": flood, "conns": conns, "threads": threads}[args["mode"]](args, lst)
    wait_finish()
    for c, a in ps:
        c.close()
        a.close()
    lst.close()


if __name__ == "__main__":
    main()
