# SPDX-License-Identifier: GPL-2.0
"""Issue 9, sections 2 and 3, with real programs in a private namespace:
local peers across IPv4 and v4-mapped IPv6 (iperf3), and zero windows received
by senders that closed with data unsent (socat, python3 -m http.server + curl)."""

from harness import *

CLOSING_PORT_BASE = 22100   # this file's ports: 22100-22199


def episodes_of(objs, cookies, direction):
    """Every episode object of those sockets in intervals and summary:
    (where, episode)."""
    out = []
    for i, o in enumerate(objs):
        for e in o.get("episodes") or []:
            if e.get("cookie") in cookies and e.get("direction") == direction:
                out.append(("%s %d" % (o["type"], i), e))
    return out


def wait_listening(env, port, what):
    deadline = time.monotonic() + scaled(10)
    while time.monotonic() < deadline:
        if any(r["lport"] == port for r in ss_sockets(all_states=True, prefix=env.prefix())
               if r["state"] == "LISTEN"):
            return
        time.sleep(0.05)
    raise Failure("prerequisite: %s is not listening on port %d" % (what, port))


@scenario("local_peer_v4_mapped_owner", "local_peer_v4_mapped_episodes_vs_nstat")
def t_local_peer_v4_mapped(ctx, rec):
    """An iperf3 client (IPv4 socket) sends to an iperf3 server listening on
    :: (its accepted socket has ::ffff:127.0.0.1 addresses); the server is
    stopped (SIGSTOP) for 0.5 s, so its window closes and the client's socket
    receives zero windows. The reader those episodes wait for is the server,
    a local process: bufscope must name it, not "remote"."""
    port = CLOSING_PORT_BASE
    env = FlowEnv(ctx)
    try:
        # curl has no SO_RCVBUF option: the namespace's receive buffers stay
        # at 16 KiB, so that curl's rate limiter reads from a full buffer
        # (with a larger one it lets the first megabytes through at once)
        run_cmd(env.prefix() + ["sysctl", "-qw", "net.ipv4.tcp_rmem=4096 16384 16384"],
                "sysctl net.ipv4.tcp_rmem")
        server = Proc(env.prefix() + ["iperf3", "-s", "-p", str(port), "-1", "--forceflush"],
                      stdin=False, label="iperf3 -s")
        wait_listening(env, port, "iperf3 -s")
        listen = [r for r in ss_sockets(all_states=True, prefix=env.prefix())
                  if r["lport"] == port and r["state"] == "LISTEN"]
        if not any(r["local"].startswith("*") or r["local"].startswith("[::]")
                   for r in listen):
            raise Failure("prerequisite: iperf3 -s does not listen on :: (ss: %s)"
                          % [r["local"] for r in listen])
        top = env.bufscope(ctx, ["top", "-o", "json", "-i", "1", "-P", str(port)])
        top.wait_ready()
        n0 = env.nstat()
        client = Proc(env.prefix() + ["iperf3", "-c", "127.0.0.1", "-p", str(port), "-t", "2",
                                      "--forceflush"], stdin=False, label="iperf3 -c")
        time.sleep(0.8)
        mapped = [r for r in ss_sockets(prefix=env.prefix()) if r["lport"] == port]
        server.signal(signal.SIGSTOP)
        time.sleep(0.5)
        server.signal(signal.SIGCONT)
        rc = client.wait(scaled(15))
        if rc != 0:
            raise Failure("iperf3 -c exited %r: %s" % (rc, one_line(client.err() + client.out())))
        if server.wait(scaled(10)) is None:
            raise Failure("iperf3 -s -1 did not exit after its one test")
        time.sleep(1.2)
        n1 = env.nstat()
        objs, summary = bufscope_result(top)
    finally:
        env.close()

    if not mapped or not all("::ffff:127.0.0.1" in r["local"] for r in mapped):
        raise Failure("prerequisite: the server's sockets are not v4-mapped IPv6 (ss: %s)"
                      % [r["local"] for r in mapped])
    socks = summary.get("sockets", [])
    client_socks = [s for s in socks if s.get("rport") == port]
    cookies = {s.get("cookie") for s in client_socks}
    server_pid = server.p.pid

    def owner(errs):
        eps = episodes_of(objs, cookies, "recv")
        if not eps:
            raise Failure("no recv episode of the client's sockets (%d listed); nstat "
                          "TcpExtTCPToZeroWindowAdv moved by %d"
                          % (len(client_socks), nstat_delta(n0, n1, "TcpExtTCPToZeroWindowAdv")))
        bad = [(w, e.get("reader_owner"), e.get("reader_pid"), e.get("reader_comm"))
               for w, e in eps if e.get("reader_owner") not in ("reader", "fd")
               or e.get("reader_pid") != server_pid or e.get("reader_comm") != "iperf3"]
        errs.true("every recv episode of the client (%d in intervals and summary) names the "
                  "iperf3 server (pid %d) as the reader; not: %s"
                  % (len(eps), server_pid, bad[:4]), not bad)
        # (a listener has no remote port; issue 9 section 5 handles how it is listed)
        peers = [s for s in socks if s.get("lport") == port and s.get("rport")]
        errs.true("the server's sockets are listed with pid %d (%s)"
                  % (server_pid, [(s.get("pid"), s.get("comm")) for s in peers]),
                  peers and all(s.get("pid") == server_pid for s in peers))
    rec.check("local_peer_v4_mapped_owner", owner)

    def vs_nstat(errs):
        to0 = nstat_delta(n0, n1, "TcpExtTCPToZeroWindowAdv")
        merged = nstat_delta(n0, n1, "TcpExtTCPBacklogCoalesce")
        if not to0:
            raise Failure("nstat: TcpExtTCPToZeroWindowAdv did not move: the stopped "
                          "server's window never closed")
        got = sum(s.get("zero_window_episodes_recv") or 0 for s in client_socks)
        # ACKs that wait in the backlog of a socket its owner is writing to
        # are merged (tcp_add_backlog) and reach TCP, and tcp:tcp_probe, as
        # one segment: a zero window merged with the next window is never
        # seen (docs/metrics.md). Without merges the count is exact.
        if merged:
            errs.true("client sockets' zero_window_episodes_recv %d: between nstat "
                      "TcpExtTCPToZeroWindowAdv %d less TcpExtTCPBacklogCoalesce %d and it"
                      % (got, to0, merged), to0 - merged <= got <= to0)
        else:
            errs.eq("client sockets' zero_window_episodes_recv (nstat "
                    "TcpExtTCPToZeroWindowAdv; no ACK merged in a backlog)", got, to0)
        # the summary lists the last 10,000 episodes (both directions)
        listed = len([e for w, e in episodes_of([summary], cookies, "recv")])
        if summary.get("lost_events") == 0 and not summary.get("episodes_forgotten"):
            errs.eq("recv episodes in the summary (their count; nothing lost)", listed, got)
        else:
            errs.true("recv episodes in the summary %d <= their count %d (lost_events %r, "
                      "episodes_forgotten %r)" % (listed, got, summary.get("lost_events"),
                                                  summary.get("episodes_forgotten")),
                      listed <= got)
    rec.check("local_peer_v4_mapped_episodes_vs_nstat", vs_nstat)


# The end of the readers below, on their connection c: reads nothing for
# `stall` seconds, then 4 KiB every millisecond to the end, and prints the
# bytes it read.
SLOW_READ = r"""
time.sleep(stall)
n = 0
while True:
    b = c.recv(4096)
    if not b:
        break
    n += len(b)
    time.sleep(0.001)
print("read %d" % n, flush=True)
"""


# A stalled reader: SO_RCVBUF 64 KiB set before listen, accepts, then
# SLOW_READ.
STALLED_READER = r"""
import socket, sys, time
port, stall = int(sys.argv[1]), float(sys.argv[2])
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
ls.bind(("127.0.0.1", port))
ls.listen(1)
print("listening", flush=True)
c, _ = ls.accept()
""" + SLOW_READ


CLOSING_STATES = ("FIN-WAIT-1", "CLOSE-WAIT", "LAST-ACK", "CLOSING")


def watch_closing(env, port, side, until, timeout):
    """Polls ss until until() is true: the most bytes seen unsent on a
    socket whose `side` port ("lport" or "rport") is port, in a state past
    ESTABLISHED where it can still send."""
    most, deadline = {}, time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        for r in ss_sockets(prefix=env.prefix()):
            if r[side] == port and r["state"] in CLOSING_STATES:
                most[r["state"]] = max(most.get(r["state"], 0), r["sendq"])
        time.sleep(0.05)
    return {k: v for k, v in most.items() if v}


def capture_receiver_port(pkts, port):
    """The client's port of the connection to port, from its SYN."""
    for p in pkts:
        if p["dport"] == port and p["flags"] & TH_SYN and not p["flags"] & TH_ACK:
            return p["sport"]
    raise Failure("the capture has no SYN to port %d" % port)


def closing_sender_checks(ctx, rec, prefix, run, side, writer_comm, nbytes,
                          want_states=("FIN-WAIT-1",)):
    """The sender socket (its `side` port is run.port) against the capture
    and nstat: every window-0 segment it received, the episodes, the probes
    it sent, in ESTABLISHED and after it closed with data unsent; listed,
    in the intervals and the summary, with its writer."""
    objs, summary, port = run["objs"], run["summary"], run["port"]
    senders = [s for s in summary.get("sockets", []) if s.get(side) == port
               and s.get("rport")]
    if len(senders) != 1:
        raise Failure("%d sockets with %s %d in the summary, want the sender: %s"
                      % (len(senders), side, port, [(s.get("lport"), s.get("rport"),
                                                     s.get("state"))
                                                    for s in summary.get("sockets", [])]))
    s = senders[0]

    def capture():
        pkts = run["cap"].need()
        rport = port if side == "rport" else capture_receiver_port(pkts, port)
        a = analyze_capture(pkts, rport)
        if not a["zw_segments"]:
            raise Failure("the capture shows no zero window: the reader did not stall "
                          "the writer (%d receiver segments)" % a["receiver_segments"])
        return a

    def vs_capture(errs):
        a = capture()
        if ctx.verbose:
            print("  %s: capture: %d window-0 segments, %d episodes, %d probes; bufscope: "
                  "%r, %r, %r; owner %r; most bytes unsent by state (ss): %r" % (
                      prefix, a["zw_segments"], len(a["episodes"]), a["probes"],
                      s.get("zero_window_recv"), s.get("zero_window_episodes_recv"),
                      s.get("zero_window_probes_sent"), s.get("owner"), run["unsent"]),
                  file=sys.stderr)
        if not set(run["unsent"]) & set(want_states):
            raise Failure("prerequisite: ss never showed the writer's socket in %s with "
                          "data unsent (it did in: %r)" % ("/".join(want_states), run["unsent"]))
        errs.eq("bytes the reader got (the writer's payload)", run["got"], nbytes)
        errs.eq("sender zero_window_recv (capture: the reader's window-0 segments)",
                s.get("zero_window_recv"), a["zw_segments"])
        errs.eq("sender zero_window_episodes_recv (capture episodes)",
                s.get("zero_window_episodes_recv"), len(a["episodes"]))
        errs.eq("sender zero_window_probes_sent (capture: its probes)",
                s.get("zero_window_probes_sent"), a["probes"])
        errs.eq("sender zero_window_recv_incomplete", s.get("zero_window_recv_incomplete"),
                False)
        eps = [e for _, e in episodes_of([summary], {s.get("cookie")}, "recv")]
        errs.eq("recv episodes of the sender in the summary (capture)", len(eps),
                len(a["episodes"]))
        check_lost(errs, objs, summary)
    rec.check(prefix + "_vs_capture", vs_capture)

    def vs_nstat(errs):
        n0, n1 = run["n0"], run["n1"]
        to0 = nstat_delta(n0, n1, "TcpExtTCPToZeroWindowAdv")
        if not to0:
            raise Failure("nstat: TcpExtTCPToZeroWindowAdv did not move")
        errs.eq("sender zero_window_episodes_recv (nstat TcpExtTCPToZeroWindowAdv)",
                s.get("zero_window_episodes_recv"), to0)
        errs.eq("sender zero_window_probes_sent (nstat TcpExtTCPWinProbe)",
                s.get("zero_window_probes_sent"), nstat_delta(n0, n1, "TcpExtTCPWinProbe"))
    rec.check(prefix + "_vs_nstat", vs_nstat)

    def listed(errs):
        pid = run["writer_pid"]
        errs.eq("sender pid (the writer)", s.get("pid"), pid)
        errs.eq("sender comm", s.get("comm"), writer_comm)
        errs.true("sender owner %r: its reader (http.server read the request), the "
                  "closer or its descriptor's holder" % s.get("owner"),
                  s.get("owner") in ("reader", "closer", "fd"))
        sums = dict.fromkeys(("zero_window_recv", "zero_window_episodes_recv",
                              "zero_window_probes_sent"), 0)
        seen = 0
        for o in objs:
            if o["type"] != "interval":
                continue
            for x in o.get("sockets", []):
                if x.get("cookie") != s.get("cookie"):
                    continue
                seen += 1
                errs.eq("sender pid in interval %s" % o.get("time"), x.get("pid"), pid)
                for f in sums:
                    sums[f] += x.get(f) or 0
        errs.true("the sender is listed in an interval", seen > 0)
        for f, v in sums.items():
            errs.eq("sum of the intervals' %s (the summary's)" % f, v, s.get(f))
    rec.check(prefix + "_listed", listed)


def run_closing(ctx, env, port, start, finish, side):
    """bufscope, tcpdump and nstat around start() ... finish(): start() runs
    the programs and returns the writer's pid, finish() waits for them and
    returns the bytes the reader got."""
    top = env.bufscope(ctx, ["top", "-o", "json", "-i", "1", "-P", str(port)])
    top.wait_ready()
    cap = Capture(env, port)
    n0 = env.nstat()
    res = {"port": port, "n0": n0, "cap": cap}
    res["writer_pid"], done = start()
    res["unsent"] = watch_closing(env, port, side, done, scaled(30))
    res["got"] = finish()
    time.sleep(0.5)         # the last ACKs; the sender socket is destroyed
    res["n1"] = env.nstat()
    cap.stop()
    res["objs"], res["summary"] = bufscope_result(top)
    return res


def stalled_reader(env, port, stall):
    reader = Proc(env.prefix() + ["python3", "-c", STALLED_READER, str(port), str(stall)],
                  stdin=False, label="stalled reader")
    if reader.wait_line("out", lambda l: l.startswith(b"listening"), scaled(10)) is None:
        raise Failure("prerequisite: the stalled reader did not start: %s"
                      % one_line(reader.err()))
    return reader


def payload_file(nbytes):
    tmp = tempfile.mkdtemp(prefix="bufscope-closing-")
    with open(os.path.join(tmp, "payload"), "wb") as f:
        f.write(os.urandom(nbytes))
    return tmp


@scenario("closing_socat_vs_capture", "closing_socat_vs_nstat", "closing_socat_listed")
def t_closing_socat(ctx, rec):
    """socat -u writes 2 MB into a reader that stalls for 1.5 s, closes with
    most of it unsent and exits; its socket stays in FIN_WAIT1, blocked by the
    zero window. Everything that socket receives and sends while blocked,
    before and after close, must be counted, and it must be listed with
    socat as its process."""
    port = CLOSING_PORT_BASE + 1
    nbytes = 2 * 1024 * 1024
    tmp = payload_file(nbytes)
    env = FlowEnv(ctx)
    try:
        reader = stalled_reader(env, port, 1.5)
        state = {}

        def start():
            state["w"] = Proc(env.prefix() + ["socat", "-u",
                                              "FILE:" + os.path.join(tmp, "payload"),
                                              "TCP:127.0.0.1:%d" % port],
                              stdin=False, label="socat")
            return state["w"].p.pid, lambda: reader.p.poll() is not None

        def finish():
            w = state["w"]
            if w.wait(scaled(20)) != 0:
                raise Failure("socat failed: %s" % one_line(w.err()))
            if reader.wait(scaled(30)) is None:
                raise Failure("the stalled reader did not finish")
            line = reader.wait_line("out", lambda l: l.startswith(b"read "), 1)
            return int(line.split()[1]) if line else None
        run = run_closing(ctx, env, port, start, finish, "rport")
    finally:
        env.close()
        shutil.rmtree(tmp, ignore_errors=True)
    closing_sender_checks(ctx, rec, "closing_socat", run, "rport", "socat", nbytes)


@scenario("closing_http_vs_capture", "closing_http_vs_nstat", "closing_http_listed")
def t_closing_http(ctx, rec):
    """python3 -m http.server sends a 1 MB file to curl --limit-rate 600k
    (receive buffers of 16 KiB): the server writes the response, closes with
    most of it unsent (FIN_WAIT1) and is blocked by curl's zero windows. The server's
    socket: every window it received, its episodes and probes, and the
    python3 server as its process."""
    port = CLOSING_PORT_BASE + 2
    nbytes = 1024 * 1024
    tmp = payload_file(nbytes)
    env = FlowEnv(ctx)
    try:
        # curl has no SO_RCVBUF option: the namespace's receive buffers stay
        # at 16 KiB, so that curl's rate limiter reads from a full buffer
        # (with a larger one it lets the first megabytes through at once)
        run_cmd(env.prefix() + ["sysctl", "-qw", "net.ipv4.tcp_rmem=4096 16384 16384"],
                "sysctl net.ipv4.tcp_rmem")
        server = Proc(env.prefix() + ["python3", "-m", "http.server", str(port), "--bind",
                                      "127.0.0.1", "--directory", tmp],
                      stdin=False, label="http.server")
        wait_listening(env, port, "python3 -m http.server")
        state = {}

        def start():
            state["c"] = Proc(env.prefix() + ["curl", "-s", "-o", "/dev/null", "-w",
                                              "%{size_download}\n", "--limit-rate", "600k",
                                              "http://127.0.0.1:%d/payload" % port],
                              stdin=False, label="curl")
            return server.p.pid, lambda: state["c"].p.poll() is not None

        def finish():
            c = state["c"]
            if c.wait(scaled(30)) != 0:
                raise Failure("curl failed: %s" % one_line(c.err()))
            return int(c.out().split()[0])
        run = run_closing(ctx, env, port, start, finish, "lport")
    finally:
        env.close()
        shutil.rmtree(tmp, ignore_errors=True)
    closing_sender_checks(ctx, rec, "closing_http", run, "lport", "python3", nbytes)


# Reads until the peer's FIN, then writes NBYTES and closes a second later:
# its socket is in CLOSE_WAIT with nothing to send when the FIN comes, then
# sends (CLOSE_WAIT), then closes with data unsent (LAST_ACK).
HALF_CLOSED_WRITER = r"""
import os, socket, sys, time
port, nbytes = int(sys.argv[1]), int(sys.argv[2])
ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("::1", port))
ls.listen(1)
print("listening", flush=True)
c, _ = ls.accept()
while c.recv(4096):
    pass
c.sendall(os.urandom(nbytes))
time.sleep(1.0)
c.close()
print("sent", flush=True)
"""

# Connects, sends a line and shuts its side down, then SLOW_READ.
HALF_CLOSING_READER = r"""
import socket, sys, time
port, stall = int(sys.argv[1]), float(sys.argv[2])
c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
c.connect(("::1", port))
c.sendall(b"GET\n")
c.shutdown(socket.SHUT_WR)
""" + SLOW_READ


@scenario("closing_close_wait_vs_capture", "closing_close_wait_vs_nstat",
          "closing_close_wait_listed")
def t_closing_close_wait(ctx, rec):
    """Over IPv6 (::1), a client sends a line, shuts its side down (the server's socket goes to
    CLOSE_WAIT with nothing to send) and reads nothing for 1.5 s; the server
    then writes 2 MB and closes a second later (LAST_ACK, most of it unsent). The server's
    socket is blocked by the zero window in CLOSE_WAIT and in LAST_ACK: every
    window it received, the episodes, its probes."""
    port = CLOSING_PORT_BASE + 3
    nbytes = 2 * 1024 * 1024
    env = FlowEnv(ctx)
    try:
        server = Proc(env.prefix() + ["python3", "-c", HALF_CLOSED_WRITER, str(port),
                                      str(nbytes)], stdin=False, label="half-closed writer")
        if server.wait_line("out", lambda l: l.startswith(b"listening"), scaled(10)) is None:
            raise Failure("prerequisite: the writer did not start: %s" % one_line(server.err()))
        state = {}

        def start():
            state["c"] = Proc(env.prefix() + ["python3", "-c", HALF_CLOSING_READER, str(port),
                                              "1.5"], stdin=False, label="half-closing reader")
            return server.p.pid, lambda: state["c"].p.poll() is not None

        def finish():
            c = state["c"]
            if c.wait(scaled(30)) != 0:
                raise Failure("the reader failed: %s" % one_line(c.err()))
            if server.wait(scaled(10)) != 0:
                raise Failure("the writer failed: %s" % one_line(server.err()))
            line = c.wait_line("out", lambda l: l.startswith(b"read "), 1)
            return int(line.split()[1]) if line else None
        run = run_closing(ctx, env, port, start, finish, "lport")
    finally:
        env.close()
    closing_sender_checks(ctx, rec, "closing_close_wait", run, "lport", "python3", nbytes,
                          want_states=("CLOSE-WAIT", "LAST-ACK"))
