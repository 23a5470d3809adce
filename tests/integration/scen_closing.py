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
        if not to0:
            raise Failure("nstat: TcpExtTCPToZeroWindowAdv did not move: the stopped "
                          "server's window never closed")
        got = sum(s.get("zero_window_episodes_recv") or 0 for s in client_socks)
        errs.eq("client sockets' zero_window_episodes_recv (nstat TcpExtTCPToZeroWindowAdv)",
                got, to0)
        errs.eq("recv episodes in the summary (nstat TcpExtTCPToZeroWindowAdv)",
                len([e for w, e in episodes_of([summary], cookies, "recv")]), to0)
    rec.check("local_peer_v4_mapped_episodes_vs_nstat", vs_nstat)
