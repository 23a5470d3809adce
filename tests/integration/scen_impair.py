"""Path impairments of `bufscope validate` scenarios ([network]).

Where the kernel has no sch_netem (this machine), random loss is a tc BPF
program on clsact ingress of the receiving veth end, and a rate is tbf;
delay, jitter and reordering cannot be provided and must be refused (exit 2,
named, nothing left behind). BUFSCOPE_NO_NETEM=1 makes bufscope take the
netem-less path on a kernel with netem (the VM guests), so these run there
too.

impair_loss_*: a scenario with 2% loss towards the receiver, sent by a small
Python sender (a command of the scenario) that counts what it wrote and its
namespace's TCP retransmissions (/proc/self/net/snmp), then waits while this
test reads the counter the kernel keeps apart from the program: the clsact
qdisc's drops on the receiving end (`tc -n bufscope-PID-rx -s qdisc`, every
TC_ACT_SHOT counts there). The program's own drop count must equal tc's,
be > 0 and within 5 standard deviations of p x packets (binomial), and the
drops must be real wire losses (the sender retransmitted at least as many
segments, but for two pure ACKs).
impair_slow_link_*: 2 MiB over an 8 Mbit/s tbf; a Python receiver command
times its own first and last read: the span must be the link's time for the
bytes on the wire (2 MiB in 1448-byte segments, 1514 bytes each on the link,
at 1 MB/s: 2193.8 ms) within 5 %, and bufscope's read_span_ms that span
within 20 ms.
impair_delay_refused: delay (each direction, with jitter) and the built-in
delayed-path without netem: exit 2, one error naming the impairment and its
line, no bufscope namespace of the run left.
impair_builtins: lossy-path and slow-link pass (exit 0) on every kernel;
delayed-path passes where netem exists.
"""
from harness import *

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

IMPAIR_PORT_BASE = 30200     # this part's ports: 30200-30299 (below the ephemeral range)
LOSS_PCT = 2.0
LOSS_BYTES = 16 * 1024 * 1024
SLOW_BYTES = 2 * 1024 * 1024
SLOW_RATE_BPS = 8000000
MSS = 1448                   # 1500 - 20 (IPv4) - 20 (TCP) - 12 (timestamps)
WIRE_PER_SEG = MSS + 12 + 20 + 20 + 14   # + options, TCP, IPv4, Ethernet


def impair_port(offset):
    return IMPAIR_PORT_BASE + (os.getpid() % 20) * 5 + offset


def netem_here():
    """As bufscope decides it, written independently (and the override)."""
    if os.environ.get("BUFSCOPE_NO_NETEM", "0") not in ("", "0"):
        return False
    if os.path.exists("/sys/module/sch_netem"):
        return True
    rel = os.uname().release
    for name in ("modules.dep", "modules.builtin"):
        try:
            with open("/lib/modules/%s/%s" % (rel, name)) as f:
                if "/sch_netem.ko" in f.read():
                    return True
        except OSError:
            pass
    return False


def no_netem_env():
    env = dict(os.environ)
    env["BUFSCOPE_NO_NETEM"] = "1"
    return env


def validate(ctx, args, env=None, timeout=60):
    argv = [ctx.bufscope] + with_attach(["validate"] + args)
    try:
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=scaled(timeout), env=env)
    except subprocess.TimeoutExpired as e:
        raise Failure("bufscope validate %s did not finish in %ds" % (" ".join(args), e.timeout))


def run_pid_namespaces():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [l.split()[0] for l in out.splitlines() if l.startswith("bufscope-")]


def json_report(res, what):
    for line in res.stdout.splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if isinstance(o, dict) and "environment" in o:
            return o
    raise Failure("%s: no JSON report (exit %d): %s" % (what, res.returncode,
                                                       one_line(res.stderr, 600)))


# Sends n bytes, then writes its own count and its namespace's TCP counters
# (/proc/self/net/snmp is the reader's namespace's) to DIR/sent.json, and
# waits (at most 60 s) for DIR/go: the test reads the receiving end's tc
# counters meanwhile, while the namespaces still exist.
SENDER_PY = r"""
import json, os, socket, sys, time
addr, port, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
s = socket.create_connection((addr, port))
buf = b"x" * 65536
sent = 0
while sent < n:
    sent += s.send(buf[:min(len(buf), n - sent)])
s.shutdown(socket.SHUT_WR)
while s.recv(4096):
    pass
s.close()
with open("/proc/self/net/snmp") as f:
    rows = [l.split() for l in f if l.startswith("Tcp:")]
tcp = dict(zip(rows[0][1:], (int(x) for x in rows[1][1:])))
with open(os.path.join(d, "sent.tmp"), "w") as f:
    json.dump({"sent": sent, "tcp": tcp}, f)
os.rename(os.path.join(d, "sent.tmp"), os.path.join(d, "sent.json"))
t0 = time.monotonic()
while not os.path.exists(os.path.join(d, "go")) and time.monotonic() - t0 < 60:
    time.sleep(0.05)
"""

RECEIVER_PY = r"""
import json, socket, sys, time
port, out = int(sys.argv[1]), sys.argv[2]
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", port))
l.listen(1)
c, _ = l.accept()
got, first, last = 0, None, None
while True:
    b = c.recv(65536)
    if not b:
        break
    now = time.monotonic()
    first = now if first is None else first
    last = now
    got += len(b)
c.close()
json.dump({"bytes": got, "span_ms": (last - first) * 1000 if got else None}, open(out, "w"))
"""


class Files:
    """A private directory for the scenario's scripts and their outputs."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="bufscope-impair-")
        os.chmod(self.dir, 0o755)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

    def json(self, name):
        try:
            with open(self.path(name)) as f:
                return json.load(f)
        except (OSError, ValueError) as e:
            raise Failure("%s not written by the scenario's command: %s" % (name, e))

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def clsact_drops(tc_json):
    """The clsact qdisc's drop counter of a `tc -s -j qdisc show`."""
    drops = [q.get("drops") for q in tc_json if q.get("kind") == "clsact"]
    if len(drops) != 1:
        raise Failure("tc shows %d clsact qdiscs in the receiver's namespace: %r"
                      % (len(drops), tc_json))
    return drops[0]


def wait_file(path, proc, timeout):
    t0 = time.monotonic()
    while not os.path.exists(path):
        if proc.poll() is not None:
            raise Failure("bufscope validate exited %d before the sender was done: %s"
                          % (proc.returncode, one_line(proc.stderr.read(), 600)))
        if time.monotonic() - t0 > timeout:
            raise Failure("the scenario's sender was not done within %ds" % timeout)
        time.sleep(0.05)


def loss_run(ctx, f, port):
    """The loss scenario: (its JSON report, exit status, the sender's
    sent.json, tc's qdiscs of the receiving end read while it ran)."""
    f.write("send.py", SENDER_PY)
    ini = f.write("loss.ini",
                  "[scenario]\nname = impair-loss\ntimeout = 90s\nport = %d\n\n"
                  "[network]\nto_receiver.loss = %g%%\n\n"
                  "[sender]\ncommand = %s -S %s {addr} {port} %d %s\n\n"
                  "[receiver]\nbuf = 64KiB\n\n"
                  "[expect]\nreceiver.bytes_read = %d\n"
                  % (port, LOSS_PCT, sys.executable, f.path("send.py"), LOSS_BYTES,
                     f.dir, LOSS_BYTES))
    argv = [ctx.bufscope] + with_attach(["validate", ini, "-o", "json"])
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, env=no_netem_env())
    try:
        wait_file(f.path("sent.json"), proc, scaled(60))
        # the namespaces are bufscope's: bufscope-PID-tx/-rx
        tc_argv = ["tc", "-n", "bufscope-%d-rx" % proc.pid, "-s", "-j", "qdisc", "show"]
        try:
            tc = subprocess.run(tc_argv, capture_output=True, text=True, timeout=scaled(15))
        except subprocess.TimeoutExpired:
            raise Failure("`%s` did not finish in %ds" % (" ".join(tc_argv), scaled(15)))
        if tc.returncode != 0:
            raise Failure("`%s` exited %d: %s" % (" ".join(tc_argv), tc.returncode,
                                                  one_line(tc.stderr, 400)))
        try:
            qdiscs = json.loads(tc.stdout)
        except ValueError:
            raise Failure("`%s`: not JSON: %r" % (" ".join(tc_argv), tc.stdout[:300]))
        f.write("go", "")
        try:
            out, err = proc.communicate(timeout=scaled(60))
        except subprocess.TimeoutExpired:
            raise Failure("bufscope validate did not finish after the sender")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    res = subprocess.CompletedProcess(argv, proc.returncode, out, err)
    return json_report(res, "loss scenario"), res, f.json("sent.json"), qdiscs


@scenario("impair_loss_vs_tc", "impair_loss_binomial", "impair_loss_on_the_wire")
def t_impair_loss(ctx, rec):
    f = Files()
    try:
        rep, res, sender, tc = loss_run(ctx, f, impair_port(0))
        env = rep["environment"]
        loss = (env.get("bpf_loss") or {}).get("to_receiver") or {}
        dropped, packets = loss.get("dropped"), loss.get("packets")
        if not isinstance(dropped, int) or not isinstance(packets, int):
            raise Failure("no bpf_loss counts in the report's environment: %r" % env)
        sent, retrans = sender["sent"], sender["tcp"].get("RetransSegs", 0)

        def vs_tc(errs):
            errs.eq("exit status", res.returncode, 0)
            errs.eq("to_receiver", env.get("to_receiver"),
                    "clsact bpf loss 2%% (dropped %d of %d)" % (dropped, packets))
            errs.eq("dropped (program) vs the clsact qdisc's drops (tc -s)", dropped,
                    clsact_drops(tc))
            # bufscope's drop hook sees the same drops on the sender's
            # socket (the skb still belongs to it past the veth), but for
            # at most two that are not its segments (ARP, neighbour
            # discovery)
            hooks = env.get("hooks", "")
            sdrops = rep.get("sender", {}).get("drops")
            if re.search(r"\bdrops=(?!none)", hooks):
                errs.true("sender drops (bufscope) %r vs dropped %d: not within "
                          "[dropped - 2, dropped]" % (sdrops, dropped),
                          isinstance(sdrops, int) and dropped - 2 <= sdrops <= dropped)
            else:
                errs.true("drops hook not attached (%s), yet sender drops %r"
                          % (hooks, sdrops), not sdrops)
        rec.check("impair_loss_vs_tc", vs_tc)

        def binomial(errs):
            p = LOSS_PCT / 100
            mean, sd = p * packets, (packets * p * (1 - p)) ** 0.5
            errs.true("the program dropped nothing of %d packets" % packets, dropped > 0)
            errs.true("dropped %d of %d: more than 5 sd (%.1f) from p x M = %.1f"
                      % (dropped, packets, sd, mean), abs(dropped - mean) <= 5 * sd + 1)
        rec.check("impair_loss_binomial", binomial)

        def on_the_wire(errs):
            errs.eq("bytes the sender wrote (its own count)", sent, LOSS_BYTES)
            # every dropped packet held a segment the sender had to send
            # again, but for at most two pure ACKs (the handshake's, the
            # one of the receiver's FIN); a drop TCP is told of (the sending
            # end's egress) is sent again as new data, not counted
            errs.true("the sender retransmitted %d segments (its namespace's "
                      "RetransSegs) for %d dropped packets: not wire losses"
                      % (retrans, dropped), retrans >= dropped - 2)
            errs.true("receiver.bytes_read = %d did not pass: %s"
                      % (LOSS_BYTES, one_line(res.stdout, 400)), res.returncode == 0)
        rec.check("impair_loss_on_the_wire", on_the_wire)
    finally:
        f.remove()
        validate(ctx, ["--cleanup"])


@scenario("impair_slow_link_vs_rate", "impair_slow_link_read_span")
def t_impair_slow_link(ctx, rec):
    f = Files()
    try:
        port = impair_port(1)
        f.write("recv.py", RECEIVER_PY)
        ini = f.write("slow.ini",
                      "[scenario]\nname = impair-slow\ntimeout = 30s\nport = %d\n\n"
                      "[network]\nto_receiver.rate = 8mbit\n\n"
                      "[sender]\nbytes = %d\n\n"
                      "[receiver]\ncommand = %s -S %s {port} %s\n\n"
                      "[expect]\nreceiver.bytes_read = %d\nreceiver.read_span_ms >= 0\n"
                      % (port, SLOW_BYTES, sys.executable, f.path("recv.py"),
                         f.path("recv.json"), SLOW_BYTES))
        res = validate(ctx, [ini, "-o", "json"], env=no_netem_env())
        rep = json_report(res, "slow-link scenario")
        got = f.json("recv.json")
        segs = -(-SLOW_BYTES // MSS)
        link_ms = segs * WIRE_PER_SEG * 8 / SLOW_RATE_BPS * 1000

        def vs_rate(errs):
            errs.eq("exit status", res.returncode, 0)
            errs.eq("bytes the receiver read (its own count)", got["bytes"], SLOW_BYTES)
            errs.true("to_receiver is not tbf: %r" % rep["environment"].get("to_receiver"),
                      rep["environment"].get("to_receiver", "").startswith("tbf rate 8000000bit"))
            span = got["span_ms"] or 0
            errs.true("the receiver's reads spanned %.0f ms, the link needs %.0f ms (+-5%%)"
                      % (span, link_ms), abs(span - link_ms) <= 0.05 * link_ms)
        rec.check("impair_slow_link_vs_rate", vs_rate)

        def read_span(errs):
            v = [x for x in rep.get("verdicts", []) if x.get("expect", "").startswith(
                "receiver.read_span_ms")]
            if len(v) != 1 or v[0].get("verdict") != "pass":
                raise Failure("read_span_ms verdict: %r" % v)
            span, own = float(v[0]["observed"]), got["span_ms"] or 0
            errs.true("read_span_ms %.1f vs the receiver's own span %.1f ms: more than "
                      "20 ms apart" % (span, own), abs(span - own) <= 20)
        rec.check("impair_slow_link_read_span", read_span)
    finally:
        f.remove()
        validate(ctx, ["--cleanup"])


@scenario("impair_delay_refused")
def t_impair_delay_refused(ctx, rec):
    f = Files()
    try:
        # (the name, the [network] lines, the line the error must name): the
        # second sets jitter first, so the delay's line is not the first
        # impairment's (jitter and reordering alone are parse errors: they
        # need a delay)
        cases = [("delay", "to_receiver.delay = 20ms", 7),
                 ("delay", "to_sender.jitter = 2ms\nto_sender.delay = 5ms", 8)]

        def check(errs):
            for i, (name, line, lineno) in enumerate(cases):
                ini = f.write("%s%d.ini" % (name, i),
                              "[scenario]\nname = impair-%s\nport = %d\n\n"
                              "[network]\nmtu = 1500\n%s\n\n"
                              "[sender]\nbytes = 10KiB\n\n[receiver]\nbuf = 4KiB\n\n"
                              "[expect]\nreceiver.bytes_read = 10240\n"
                              % (name, impair_port(2), line))
                before = set(run_pid_namespaces())
                res = validate(ctx, [ini], env=no_netem_env())
                lines = [l for l in res.stderr.splitlines() if l.startswith("bufscope: ")
                         and "warning" not in l and "ready:" not in l]
                errs.eq("%s: exit status" % name, res.returncode, 2)
                errs.true("%s: no error naming it, its line %d and 'not runnable': %r"
                          % (name, lineno, res.stderr[-400:]),
                          any(re.search(r"not runnable.*\b%s \(line %d\b" % (name, lineno), l)
                              for l in lines))
                errs.eq("%s: stdout" % name, res.stdout, "")
                left = set(run_pid_namespaces()) - before
                errs.eq("%s: namespaces left" % name, sorted(left), [])
            res = validate(ctx, ["delayed-path"], env=no_netem_env())
            errs.eq("delayed-path: exit status", res.returncode, 2)
            errs.true("delayed-path: the error names no delay: %r" % res.stderr[-400:],
                      re.search(r"not runnable on this kernel: delay \(line \d+, to the "
                                r"receiver\)", res.stderr) is not None)
        rec.check("impair_delay_refused", check)
    finally:
        f.remove()


def builtin_failure(res):
    """A failed built-in's verdicts, with what explains a count: each side's
    drops and losses, the path's impairment (its own drop count), bufscope's
    losses; stderr when there is no report."""
    try:
        d = json.loads(res.stdout.splitlines()[0])
    except (ValueError, IndexError):
        return one_line(res.stderr, 600)
    bad = ["%s: observed %s" % (v["expect"], v["observed"]) for v in d["verdicts"]
           if v["verdict"] != "pass"]
    sides = ["%s drops %s (lost %s, expected %s), sockets %s" % (
        side, d[side].get("drops"), d[side].get("drops_lost"),
        d[side].get("drops_expected"), d[side].get("sockets"))
        for side in ("sender", "receiver")]
    env = d.get("environment", {})
    return one_line("; ".join(bad + sides + [
        "to_receiver: %s" % env.get("to_receiver"), "hooks: %s" % env.get("hooks"),
        "notes: %s" % d.get("notes"), "stderr: %s" % res.stderr]), 1200)


@scenario("impair_builtins")
def t_impair_builtins(ctx, rec):
    def check(errs):
        names = ["lossy-path", "slow-link"] + (["delayed-path"] if netem_here() else [])
        for name in names:
            res = validate(ctx, [name, "-o", "json"])
            errs.true("%s: exit %d: %s" % (name, res.returncode, builtin_failure(res)),
                      res.returncode == 0)
    rec.check("impair_builtins", check)
