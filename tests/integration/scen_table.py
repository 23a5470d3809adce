# SPDX-License-Identifier: GPL-2.0
"""Issue 9, sections 4 and 5: drops split into data lost and expected
discards (against a capture and the namespace's TcpExt counters), the table
that shows them, nginx selected by its master's pid (the hint) or by name,
and a closed listener that must not be listed."""

import shlex

from harness import *
from realprogs import Nginx

TABLE_PORT_BASE = 23600     # this file's ports: 23600-23699

# TcpExt counters of the drops that cost the receiver data, by the reasons
# tcp_input.c gives them (include/net/dropreason-core.h names the counters):
# PROTO_MEM is both TCPRcvQDrop (in order) and TCPOFODrop (out of order).
LOST_COUNTERS = ("TcpExtTCPRcvQDrop", "TcpExtTCPOFODrop", "TcpExtTCPZeroWindowDrop",
                 "TcpExtBeyondWindow", "TcpExtTCPOFOMerge", "TcpExtTCPBacklogDrop")
# what drops_lost may contain in these scenarios, and the counters above
LOST_REASONS = {"PROTO_MEM": ("TcpExtTCPRcvQDrop", "TcpExtTCPOFODrop"),
                "TCP_ZEROWINDOW": ("TcpExtTCPZeroWindowDrop",),
                "TCP_INVALID_SEQUENCE": ("TcpExtBeyondWindow",),
                "TCP_INVALID_END_SEQUENCE": ("TcpExtBeyondWindow",),
                "SOCKET_BACKLOG": ("TcpExtTCPBacklogDrop",)}
EXPECTED_REASONS = ("TCP_OLD_SEQUENCE", "TCP_OLD_DATA", "TCP_OFOMERGE", "TCP_OFO_DROP",
                    "TCP_OLD_ACK", "TCP_RFC7323_PAWS_ACK", "QUEUE_PURGE", "SOCKET_CLOSE",
                    "TCP_CLOSE", "TCP_ABORT_ON_DATA", "TCP_RFC7323_TW_PAWS")


def pipe_env():
    """The environment for a table read through a pipe: without $COLUMNS, so
    that it has every column whatever the shell that started the tests."""
    env = dict(os.environ)
    env.pop("COLUMNS", None)
    return env


def summary_table(text):
    """The summary's table of a `top` table output: (header names, rows as
    lists of cells), the rows of socket lines only."""
    lines = text.split("\n")
    try:
        start = max(i for i, l in enumerate(lines) if l.startswith("Summary of the whole run"))
    except ValueError:
        raise Failure("no summary in the table output: %r" % text[-300:])
    hdr = next((i for i in range(start, len(lines)) if lines[i].startswith("PID ")), None)
    if hdr is None:
        raise Failure("no header line in the summary: %r" % lines[start:start + 4])
    names = lines[hdr].split()
    rows = []
    for l in lines[hdr + 1:]:
        cells = l.split()
        # a row starts with its pid ('*': closed; '-': owner unknown)
        if len(cells) != len(names) or not re.match(r"^(\d+|-)\*?$", cells[0]):
            break
        rows.append(cells)
    return names, rows


def table_row(names, rows, local, remote, where):
    li, ri = names.index("LOCAL"), names.index("REMOTE")
    hits = [r for r in rows if r[li] == local and r[ri] == remote]
    if len(hits) != 1:
        raise Failure("%s: %d rows %s -> %s (rows: %s)" % (where, len(hits), local, remote,
                                                          [r[li:ri + 1] for r in rows][:8]))
    return dict(zip(names, hits[0]))


def split_reasons(reasons):
    """(lost, expected) sums of a drop_reasons object, by the documented table."""
    lost = sum(v for k, v in reasons.items() if k not in EXPECTED_REASONS)
    exp = sum(v for k, v in reasons.items() if k in EXPECTED_REASONS)
    return lost, exp


def check_split(errs, where, obj, reasons):
    """drops_lost and drops_expected of a socket are its drop_reasons split by
    class, and add up to drops."""
    lost, exp = split_reasons(reasons)
    errs.eq(where + " drops_lost (lost reasons of %s)" % reasons, obj.get("drops_lost"), lost)
    errs.eq(where + " drops_expected (expected reasons of %s)" % reasons,
            obj.get("drops_expected"), exp)
    errs.eq(where + " drops_lost + drops_expected (drops)",
            (obj.get("drops_lost") or 0) + (obj.get("drops_expected") or 0), obj.get("drops"))


def drops_off(errs, summary, sock, row=None):
    """Without the drops hook (before Linux 6.11) the split is unknown: null in
    JSON, '-' in the table, never 0. Returns whether the hook is off."""
    if (summary.get("attach") or {}).get("drops") != "none":
        return False
    for f in ("drops", "drops_lost", "drops_expected", "drop_reasons"):
        errs.eq("%s with the drops hook off" % f, sock.get(f), None)
    for col in ("DROPS", "DISC"):
        if row is not None:
            errs.eq("table %s with the drops hook off" % col, row.get(col), "-")
    return True


def interval_split_sums(objs, cookie):
    lost = exp = 0
    for o in objs:
        if o["type"] != "interval":
            continue
        for s in o.get("sockets", []):
            if s.get("cookie") == cookie:
                lost += s.get("drops_lost") or 0
                exp += s.get("drops_expected") or 0
    return lost, exp


def flow_run(ctx, port, wl_args):
    """The flow workload in a namespace with `top -o json` and `top` (table,
    through a pipe: every column) watching it, a capture and nstat around it."""
    env = FlowEnv(ctx)
    try:
        w = FlowWorkload(ctx, env, ["--port", str(port)] + wl_args)
        js = env.bufscope(ctx, ["top", "-o", "json", "-i", "1", "-P", str(port)])
        tb = Bufscope(ctx, ["top", "-i", "1", "-n", "0", "-P", str(port)], env=pipe_env(),
                      prefix=env.prefix() if env.bufscope_in_netns else ())
        js.wait_ready()
        tb.wait_ready()
        _, cap, n0, n1 = flow_under_capture(env, w, port, 0.5)
        objs, summary = bufscope_result(js)
        rc = tb.stop()
        if rc != 0:
            raise Failure("`%s` exited %d: %s" % (tb.cmdline, rc, one_line(tb.proc.err())))
        table = tb.proc.out().decode("utf-8", "replace")
        w.finish()
    finally:
        env.close()
    return w, objs, summary, table, cap, n0, n1


def endpoint(family, port):
    return "%s:%d" % ("127.0.0.1", port) if family == "ipv4" else "[::1]:%d" % port


@scenario("table_drops_zero_window_expected", "table_drops_zero_window_table")
def t_drops_zero_window(ctx, rec):
    """A healthy zero-window flow (the reader stalls, the sender probes; every
    probe is dropped as TCP_OLD_SEQUENCE by design): nothing is lost."""
    port = TABLE_PORT_BASE
    w, objs, summary, table, cap, n0, n1 = flow_run(
        ctx, port, ["--mode", "zw", "--rcvbuf", "65536", "--bytes", "600000",
                    "--stall-ms", "1500", "--read", "4096", "--sleep-us", "1000"])
    lost_kernel = sum(nstat_delta(n0, n1, c) for c in LOST_COUNTERS)

    def receiver():
        return find_socket(summary.get("sockets", []), w.rconn, "top summary (receiver)")

    def expected(errs):
        a = analyze_capture(cap.need(), port)
        r = receiver()
        if drops_off(errs, summary, r):
            return
        reasons = r.get("drop_reasons") or {}
        if a["old_seq"] == 0:
            raise Failure("not reproduced: the capture shows no segment before the "
                          "receiver's last ACK (no probe)")
        errs.eq("prerequisite: TcpExt counters of lost data (%s)" % ", ".join(LOST_COUNTERS),
                lost_kernel, 0)
        errs.eq("receiver drop_reasons.TCP_OLD_SEQUENCE (capture: segments before the "
                "receiver's last ACK, %d of them probes)" % a["probes"],
                reasons.get("TCP_OLD_SEQUENCE"), a["old_seq"])
        errs.eq("receiver drops_lost (nothing lost: the kernel's counters)", r.get("drops_lost"), 0)
        errs.eq("receiver drops_expected (capture's old-sequence segments + the other "
                "expected reasons %s)" % reasons, r.get("drops_expected"),
                a["old_seq"] + sum(v for k, v in reasons.items()
                                   if k in EXPECTED_REASONS and k != "TCP_OLD_SEQUENCE"))
        check_split(errs, "receiver", r, reasons)
        lost, exp = interval_split_sums(objs, r.get("cookie"))
        errs.eq("sum of the intervals' drops_lost", lost, 0)
        errs.eq("sum of the intervals' drops_expected (summary)", exp, r.get("drops_expected"))
        procs = [p for p in summary.get("processes", []) if p.get("pid") == w.pid]
        if len(procs) != 1:
            raise Failure("summary processes: %d entries for the receiver's pid %d"
                          % (len(procs), w.pid))
        socks = [s for s in summary.get("sockets", []) if s.get("pid") == w.pid]
        errs.eq("receiver process drops_lost", procs[0].get("drops_lost"), 0)
        errs.eq("receiver process drops_expected (its sockets')", procs[0].get("drops_expected"),
                sum(s.get("drops_expected") or 0 for s in socks))
    rec.check("table_drops_zero_window_expected", expected)

    def in_table(errs):
        a = analyze_capture(cap.need(), port)
        r = receiver()
        names, rows = summary_table(table)
        for col in ("DROPS", "DISC", "ZW"):
            errs.true("no %s column in the summary table (a pipe gets every column): %s"
                      % (col, names), col in names)
        row = table_row(names, rows, endpoint(w.rconn["family"], w.rconn["lport"]),
                        endpoint(w.rconn["family"], w.rconn["rport"]), "table summary")
        if drops_off(errs, summary, r, row):
            return
        errs.eq("table DROPS of the receiver (no data lost)", row.get("DROPS"), "0")
        errs.eq("table DISC of the receiver (JSON drops_expected)", row.get("DISC"),
                str(r.get("drops_expected")))
        errs.true("table DISC %r counts the capture's %d old-sequence segments"
                  % (row.get("DISC"), a["old_seq"]),
                  row.get("DISC", "").isdigit() and int(row["DISC"]) >= a["old_seq"] > 0)
    rec.check("table_drops_zero_window_table", in_table)


@scenario("table_drops_rcvq_lost", "table_drops_rcvq_table")
def t_drops_rcvq(ctx, rec):
    """The reader shrinks SO_RCVBUF to 1 KiB inside a window already offered:
    arriving data is refused for memory (PROTO_MEM) and beyond the window
    (TCP_INVALID_SEQUENCE): lost, to be retransmitted."""
    port = TABLE_PORT_BASE + 1
    w, objs, summary, table, cap, n0, n1 = flow_run(
        ctx, port, ["--mode", "shrink", "--rcvbuf", "1048576", "--bytes", "1000000",
                    "--shrink-to", "1024", "--stall-ms", "300"])

    def receiver():
        return find_socket(summary.get("sockets", []), w.rconn, "top summary (receiver)")

    def lost(errs):
        r = receiver()
        if drops_off(errs, summary, r):
            return
        reasons = r.get("drop_reasons") or {}
        want = {k: sum(nstat_delta(n0, n1, c) for c in cs) for k, cs in LOST_REASONS.items()
                if k != "TCP_INVALID_END_SEQUENCE"}
        if want["PROTO_MEM"] == 0:
            raise Failure("not reproduced: nstat TcpExtTCPRcvQDrop + TcpExtTCPOFODrop did "
                          "not move")
        got_lost = {k: v for k, v in reasons.items() if k not in EXPECTED_REASONS}
        other = set(got_lost) - set(LOST_REASONS)
        errs.true("lost reasons without a TcpExt counter to compare with: %s" % other,
                  not other)
        errs.eq("receiver drops_lost (nstat %s)" % want, r.get("drops_lost"),
                sum(want.values()))
        errs.true("receiver drops_lost %r, want > 0" % r.get("drops_lost"),
                  (r.get("drops_lost") or 0) > 0)
        check_split(errs, "receiver", r, reasons)
        il, ie = interval_split_sums(objs, r.get("cookie"))
        errs.eq("sum of the intervals' drops_lost (summary)", il, r.get("drops_lost"))
        errs.eq("sum of the intervals' drops_expected (summary)", ie, r.get("drops_expected"))
        procs = [p for p in summary.get("processes", []) if p.get("pid") == w.pid]
        socks = [s for s in summary.get("sockets", []) if s.get("pid") == w.pid]
        if len(procs) != 1:
            raise Failure("summary processes: %d entries for pid %d" % (len(procs), w.pid))
        errs.eq("receiver process drops_lost (its sockets')", procs[0].get("drops_lost"),
                sum(s.get("drops_lost") or 0 for s in socks))
    rec.check("table_drops_rcvq_lost", lost)

    def in_table(errs):
        r = receiver()
        names, rows = summary_table(table)
        row = table_row(names, rows, endpoint(w.rconn["family"], w.rconn["lport"]),
                        endpoint(w.rconn["family"], w.rconn["rport"]), "table summary")
        if drops_off(errs, summary, r, row):
            return
        errs.eq("table DROPS of the receiver (JSON drops_lost)", row.get("DROPS"),
                str(r.get("drops_lost")))
        errs.eq("table DISC of the receiver (JSON drops_expected)", row.get("DISC"),
                str(r.get("drops_expected")))
    rec.check("table_drops_rcvq_table", in_table)


# ------------------------------------------------------------------- nginx

def table_nginx(port):
    """nginx serving a 20,000-byte page, its access log giving
    $request_length per request."""
    return Nginx(port, {"page.html": "x" * 20000}, "$request_length",
                 prefix="bufscope-table-nginx-")


def nginx_requests(ngx, n):
    """n requests with curl, one connection each; curl must succeed."""
    for _ in range(n):
        run_cmd(["curl", "-sS", "-o", "/dev/null", "--fail",
                 "http://127.0.0.1:%d/page.html" % ngx.port], "curl")


def nginx_logged(ngx):
    """$request_length of each request logged so far."""
    return [l[0] for l in ngx.log_lines()]


def hint_lines(err):
    return [l for l in err.decode("utf-8", "replace").splitlines() if "hint:" in l]


@scenario("table_nginx_comm_reads", "table_nginx_by_process_columns",
          "table_nginx_master_pid_hint")
def t_nginx(ctx, rec):
    """nginx's master holds the listening socket and reads nothing; its
    workers read the connections. `top -c nginx` (and --by process) shows
    the workers' reads, with nothing on stderr but the ready line; `top -p
    MASTER` shows nothing and says why, once, on stderr."""
    port = TABLE_PORT_BASE + 10
    ngx = table_nginx(port)
    try:
        base = len(nginx_logged(ngx))
        byname = Bufscope(ctx, ["top", "-c", "nginx", "-P", str(port), "-o", "json",
                                "-i", "1", "-d", "4"])
        byproc = Bufscope(ctx, ["top", "-c", "nginx", "-P", str(port), "--by", "process",
                                "-i", "1", "-d", "4"], env=pipe_env())
        master = Bufscope(ctx, ["top", "-p", str(ngx.master), "-P", str(port),
                                "-i", "1", "-d", "4"], env=pipe_env())
        for bs in (byname, byproc, master):
            bs.wait_ready()
        nginx_requests(ngx, 20)
        objs, summary = bufscope_result(byname, None)
        for bs in (byproc, master):
            rc = bs.wait_exit("(-d 4 given)")
            if rc != 0:
                raise Failure("`%s` exited %d: %s" % (bs.cmdline, rc, one_line(bs.proc.err())))
        logged = nginx_logged(ngx)[base:]
    finally:
        ngx.close()

    def comm_reads(errs):
        errs.eq("requests in nginx's access log", len(logged), 20)
        workers = [p for p in summary.get("processes", []) if p.get("pid") in ngx.workers]
        others = [p.get("pid") for p in summary.get("processes", [])
                  if p.get("pid") not in ngx.workers]
        errs.true("processes other than the workers %s listed: %s" % (ngx.workers, others),
                  not others)
        errs.eq("bytes the workers read (sum of the access log's $request_length)",
                sum(p.get("bytes") or 0 for p in workers), sum(logged))
        errs.eq("connections the workers read from (one per request)",
                sum(p.get("sockets") or 0 for p in workers), 20)
        errs.eq("hint lines on stderr of `%s` (the workers read)" % byname.cmdline,
                hint_lines(byname.proc.err()), [])
        errs.true("the master %d listed" % ngx.master,
                  all(s.get("pid") != ngx.master for s in summary.get("sockets", [])))
        errs.true("a socket without a peer port (a listener) listed: %s"
                  % [s for s in summary.get("sockets", []) if not s.get("rport")][:1],
                  all(s.get("rport") for s in summary.get("sockets", [])))
    rec.check("table_nginx_comm_reads", comm_reads)

    def by_process(errs):
        names, rows = summary_table(byproc.proc.out().decode("utf-8", "replace"))
        for col in ("ZW", "ZW_TIME", "DROPS", "DISC", "SOCKS", "BYTES"):
            errs.true("no %s column in `%s` (%s)" % (col, byproc.cmdline, names), col in names)
        got = {int(r[0]): dict(zip(names, r)) for r in rows if r[0].isdigit()}
        errs.true("rows of pids %s, want only workers %s" % (sorted(got), ngx.workers),
                  got and set(got) <= set(ngx.workers))
        errs.eq("SOCKS of the workers (one connection per request)",
                sum(int(r["SOCKS"]) for r in got.values() if r["SOCKS"].isdigit()), 20)
        # nothing lost; unknown ('-') without the drops hook (before 6.11)
        no_drops = "-" if (summary.get("attach") or {}).get("drops") == "none" else "0"
        for pid, r in got.items():
            errs.eq("worker %d ZW (no zero window on these requests)" % pid, r.get("ZW"), "0/0")
            errs.eq("worker %d DROPS (nothing lost)" % pid, r.get("DROPS"), no_drops)
    rec.check("table_nginx_by_process_columns", by_process)

    def master_hint(errs):
        hints = hint_lines(master.proc.err())
        errs.eq("hint lines on stderr of `%s`" % master.cmdline, len(hints), 1)
        if hints:
            h = hints[0]
            errs.true("the hint %r names the master's listening socket" % h,
                      "-p %d selects 1 process (nginx)" % ngx.master in h and
                      "(1 listening)" in h)
            errs.true("the hint %r names the workers %s" % (h, ngx.workers),
                      all(" %d" % p in h for p in ngx.workers) and "-c nginx" in h)
        names, rows = summary_table(master.proc.out().decode("utf-8", "replace"))
        errs.eq("rows in the master's summary table", rows, [])
    rec.check("table_nginx_master_pid_hint", master_hint)


# --------------------------------------------------------------- listeners

LISTENER_SCRIPT = r"""
import socket, sys, time
port = int(sys.argv[1])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(8)
print("listening", flush=True)
sys.stdin.readline()
c = socket.create_connection(("127.0.0.1", port))
a, _ = ls.accept()
c.sendall(b"x" * 5000)
got = 0
while got < 5000:
    got += len(a.recv(65536))
ls.close()                  # the listener goes; the connection stays
time.sleep(1.5)
a.sendall(b"y" * 3000)
a.close()
back = 0
while True:
    d = c.recv(65536)
    if not d:
        break
    back += len(d)
c.close()
print("done %d %d" % (got, back), flush=True)
time.sleep(1.5)
"""


@scenario("table_closed_listener_not_listed")
def t_closed_listener(ctx, rec):
    """A listener accepts one connection and closes (it was woken once for the
    connection: the arrival hook saw it); the connection lives on. The
    listener must appear in no interval, summary or process list; the two
    ends of the connection must (with their reads, as the script counted)."""
    port = TABLE_PORT_BASE + 20

    def check(errs):
        py = Proc([sys.executable, "-c", LISTENER_SCRIPT, str(port)], label="listener")
        if py.wait_line("out", lambda l: b"listening" in l, scaled(10)) is None:
            raise Failure("the listener script did not start: %s" % one_line(py.err()))
        bs = Bufscope(ctx, ["top", "-o", "json", "-i", "1", "-P", str(port)])
        tb = Bufscope(ctx, ["top", "-i", "1", "--by", "process", "-P", str(port)],
                      env=pipe_env())
        bs.wait_ready()
        tb.wait_ready()
        py.send("go\n")
        done = py.wait_line("out", lambda l: b"done" in l, scaled(15))
        if done is None:
            raise Failure("the listener script did not finish: %s" % one_line(py.err()))
        got, back = (int(x) for x in done.split()[1:3])
        time.sleep(1.2)
        objs, summary = bufscope_result(bs)
        tb.stop()
        for where, s in all_listed_sockets(objs):
            if s.get("lport") == port and not s.get("rport"):
                errs.append("%s lists the listener: %s" % (where, s))
                break
        for where, p in all_listed_processes(objs):
            if p.get("pid") is None:
                errs.append("%s lists a process with pid null (the listener): %s"
                            % (where, p))
                break
        socks = summary.get("sockets", [])
        server = [s for s in socks if s.get("lport") == port and s.get("rport")]
        client = [s for s in socks if s.get("rport") == port]
        errs.eq("server ends listed in the summary", len(server), 1)
        errs.eq("client ends listed in the summary", len(client), 1)
        if server:
            errs.eq("server end bytes read (the script's count)", server[0].get("bytes"), got)
        if client:
            errs.eq("client end bytes read (the script's count)", client[0].get("bytes"), back)
        errs.eq("sockets in the summary (the connection's two ends)", len(socks), 2)
        text = tb.proc.out().decode("utf-8", "replace")
        for l in text.splitlines():
            if l.startswith("- "):
                errs.append("the --by process table has an unknown owner's row "
                            "(the listener): %r" % l)
                break
    rec.check("table_closed_listener_not_listed", check)


# ---------------------------------------------------------------- terminal

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


@scenario("table_terminal_width")
def t_terminal_width(ctx, rec):
    """`top` on a real terminal of 80 columns (a pty from script(1), its size
    set with stty): the width comes from the terminal (TIOCGWINSZ), every line
    it prints fits, the least important columns are left out and the flow's
    two sockets are there, with the zero-window episodes wrapped."""
    port = TABLE_PORT_BASE + 30

    def check(errs):
        if not shutil.which("script") or not shutil.which("stty"):
            raise Failure("prerequisite: script(1) and stty are needed (util-linux, coreutils)")
        env = FlowEnv(ctx)
        try:
            w = FlowWorkload(ctx, env, ["--mode", "zw", "--port", str(port), "--rcvbuf", "65536",
                                        "--bytes", "600000", "--stall-ms", "1000",
                                        "--read", "4096", "--sleep-us", "1000"])
            args = with_attach(["top", "-i", "1", "-d", "4", "-P", str(port)])
            cmd = "stty cols 80 rows 60; exec %s" % " ".join(
                shlex.quote(a) for a in [ctx.bufscope] + args)
            term = Proc(["script", "-qfec", cmd, "/dev/null"], env=pipe_env(), stdin=False,
                        label="script")
            if term.wait_line("out", lambda l: b"ready" in l, READY_TIMEOUT) is None:
                raise Failure("bufscope on a terminal printed no ready line: %s"
                              % one_line(term.out()))
            w.go()
            w.wait_done()
            rc = term.wait(scaled(15))
            if rc != 0:
                raise Failure("bufscope on a terminal exited %r: %s" % (rc, one_line(term.out())))
            w.finish()
        finally:
            env.close()
        text = ANSI.sub(b"", term.out()).replace(b"\r", b"").decode("utf-8", "replace")
        # stderr shares the terminal: its lines are the log's, not the table's
        lines = [l for l in text.split("\n") if not l.startswith("bufscope:")]
        long = [l for l in lines if len(l) > 80]
        errs.true("%d lines longer than the terminal's 80 columns, e.g. %r"
                  % (len(long), long[:1]), not long)
        names, rows = summary_table(text)
        errs.true("the 80-column summary has PID COMM LOCAL and leaves DISC out: %s" % names,
                  names[:3] == ["PID", "COMM", "LOCAL"] and "DISC" not in names)
        local = ["%s:%d" % ("127.0.0.1", p) for p in (w.rconn["lport"], w.sconn["lport"])]
        got = sorted(r[2] for r in rows)
        errs.eq("the flow's two sockets in the summary (LOCAL)", got, sorted(local))
        errs.true("no zero-window episode listed (the flow stalls its reader for 1 s)",
                  "window 0 sent" in text)
        errs.true("no episode line wrapped to fit (a continuation indented by 4)",
                  any(l.startswith("    ") and "queued at start" in l for l in lines))
    rec.check("table_terminal_width", check)
