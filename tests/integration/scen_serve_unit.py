"""`bufscope serve` as the shipped systemd unit runs it.

- serve_systemd_unit: packaging/bufscope-serve.service passes
  `systemd-analyze verify` (with ExecStart pointing at the binary under
  test); the same unit with an unknown directive does not (the check can
  fail).
- serve_capabilities: the unit's command line, run as user nobody with
  exactly the unit's capabilities (CapabilityBoundingSet, made ambient as
  the unit does), serves a socket in another network namespace whose holder
  never read it: its queue equals `ss` Recv-Q in that namespace and its
  process label is the holder's name (found in /proc/PID/fd). Without
  CAP_SYS_ADMIN (a negative control) the socket is not seen and bufscope
  says why.
- serve_caps_dropped: serve run as root: once attached, every thread keeps
  only CAP_BPF, CAP_SYS_ADMIN, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH
  (effective, permitted, bounding), no inheritable or ambient ones,
  no_new_privs; a namespace's unread socket is still served (= ss); a
  scrape sent while it attaches gets 200 once attached.
"""
from harness import *

import os
import re
import shutil
import socket
import tempfile

from serve_scrape import scrape, series

UNIT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                    "packaging", "bufscope-serve.service")
PORT_BASE = 26300            # this part's ports (26300-26319, below the ephemeral range)
HOLDER = """
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", %d))
s.listen(4)
c, _ = s.accept()
time.sleep(30)
"""


def unit_text():
    with open(UNIT) as f:
        return f.read()


def unit_value(text, key):
    m = re.search(r"^%s=(.*)$" % re.escape(key), text, re.M)
    if not m:
        raise Failure("the unit has no %s=" % key)
    return m.group(1).strip()


def verify(text, binary):
    """systemd-analyze verify of the unit with ExecStart on `binary`."""
    d = tempfile.mkdtemp(prefix="bs-unit-")
    try:
        path = os.path.join(d, "bufscope-serve.service")
        with open(path, "w") as f:
            f.write(text.replace("/usr/local/sbin/bufscope", binary))
        p = subprocess.run(["systemd-analyze", "verify", "--man=no", path],
                           capture_output=True, text=True, timeout=60)
        return p.returncode, (p.stdout + p.stderr).strip()
    finally:
        shutil.rmtree(d, ignore_errors=True)


@scenario("serve_systemd_unit")
def t_unit(ctx, rec):
    def check(errs):
        text = unit_text()
        rc, out = verify(text, ctx.bufscope)
        errs.eq("systemd-analyze verify exit status", rc, 0)
        errs.eq("systemd-analyze verify output", out, "")
        rc, out = verify(text.replace("[Service]\n", "[Service]\nBogusKey=1\n"),
                         ctx.bufscope)
        errs.true("verify flags an unknown key (control): %r" % out,
                  "BogusKey" in out)
        errs.true("ExecStart runs serve on loopback",
                  unit_value(text, "ExecStart").endswith(
                      "bufscope serve --listen 127.0.0.1:9435"))
        errs.eq("the unit's user", unit_value(text, "DynamicUser"), "yes")
    rec.check("serve_systemd_unit", check)


def ss_recvq(ns, port):
    """Bytes to read by ss: Recv-Q, less the FIN it counts once the peer
    closed (CLOSE-WAIT; FIONREAD and bufscope do not count it)."""
    rows = [r for r in ss_sockets(prefix=["ip", "netns", "exec", ns])
            if r["lport"] == port]
    if len(rows) != 1:
        raise Failure("ss in %s: %d sockets on port %d: %r"
                      % (ns, len(rows), port, [r["text"] for r in rows]))
    return rows[0]["recvq"] - (rows[0]["state"] == "CLOSE-WAIT")


class HeldSocket:
    """A network namespace of its own where a holder accepts a connection on
    127.0.0.1:port and never reads it: `nbytes` wait in its queue (`want`,
    by ss). Removed, holder and namespace, on exit."""

    def __init__(self, tag, port, nbytes):
        self.ns = "bs-%s-%d-%d" % (tag, os.getpid(), port)
        self.port, self.nbytes, self.holder = port, nbytes, None

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        try:
            subprocess.run(["ip", "-n", self.ns, "link", "set", "lo", "up"], check=True)
            # the holder accepts and never reads; its listener stays open
            self.holder = Proc(["ip", "netns", "exec", self.ns, "python3", "-c",
                                HOLDER % self.port], stdin=False, label="holder")
            time.sleep(0.3)
            subprocess.run(["ip", "netns", "exec", self.ns, "sh", "-c",
                            "head -c %d /dev/zero | socat -u - TCP:127.0.0.1:%d"
                            % (self.nbytes, self.port)], check=True, timeout=20)
            time.sleep(0.3)
            self.want = ss_recvq(self.ns, self.port)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        if self.holder:
            self.holder.kill()
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)


def stop_serve(bs, errs, want_status=None):
    """SIGTERM, then SIGKILL if it does not exit; its exit status checked
    when want_status is given."""
    bs.signal(signal.SIGTERM)
    if bs.wait(STOP_TIMEOUT) is None:
        bs.kill()
        errs.append("serve did not exit after SIGTERM")
    elif want_status is not None:
        errs.eq("serve's exit status", bs.p.returncode, want_status)


def run_as_unit(ctx, caps, port, errs):
    """The unit's serve, as nobody with `caps`; a held, unread socket in a
    namespace; returns (its queue by ss, the scrape, bufscope's stderr)."""
    d = tempfile.mkdtemp(prefix="bs-unit-")
    os.chmod(d, 0o755)
    binary = os.path.join(d, "bufscope")
    shutil.copy(ctx.bufscope, binary)
    os.chmod(binary, 0o755)
    capset = ",".join("+" + c[4:].lower() for c in caps)
    bs = None
    try:
        with HeldSocket("unit", port, 50000) as held:
            argv = unit_value(unit_text(), "ExecStart").split()
            argv = [binary] + argv[1:-1] + ["127.0.0.1:%d" % (port + 1)]
            bs = Proc(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                       "--inh-caps=-all," + capset, "--ambient-caps=" + capset] + argv,
                      stdin=False, label="serve")
            if bs.wait_line("err", lambda l: b"ready" in l, READY_TIMEOUT) is None:
                raise Failure("serve as nobody with %s: no ready line: %s"
                              % (capset, one_line(bs.err())))
            text = scrape(port + 1)
            stop_serve(bs, errs)
            return held.want, text, bs
    finally:
        if bs and bs.p.poll() is None:
            stop_serve(bs, errs)
        shutil.rmtree(d, ignore_errors=True)


@scenario("serve_capabilities")
def t_caps(ctx, rec):
    def check(errs):
        caps = unit_value(unit_text(), "CapabilityBoundingSet").split()
        errs.eq("ambient = bounding set",
                unit_value(unit_text(), "AmbientCapabilities").split(), caps)
        port = PORT_BASE
        want, text, bs = run_as_unit(ctx, caps, port, errs)
        got = list(series(text, "bufscope_queued_bytes", port=str(port)).values())
        errs.eq("queued bytes of the namespace's socket vs ss Recv-Q", got, [want])
        errs.true("ss saw the 50000 bytes queued (%d)" % want, want == 50000)
        errs.eq("its holder, found in /proc/PID/fd",
                list(series(text, "bufscope_sockets", port=str(port), process="python3").values()),
                [1.0])
        # without CAP_SYS_ADMIN: the namespace cannot be entered
        fewer = [c for c in caps if c != "CAP_SYS_ADMIN"]
        want, text, bs = run_as_unit(ctx, fewer, port + 2, errs)
        errs.eq("without CAP_SYS_ADMIN the socket is not seen (control)",
                sum(series(text, "bufscope_queued_bytes", port=str(port + 2)).values()), 0)
        errs.true("and bufscope says why: %s" % one_line(bs.err()),
                  b"cannot enter other network namespaces" in bs.err())
    rec.check("serve_capabilities", check)


# CAP_DAC_READ_SEARCH 2, CAP_SYS_PTRACE 19, CAP_SYS_ADMIN 21, CAP_BPF 39
KEPT = (1 << 2) | (1 << 19) | (1 << 21) | (1 << 39)


def thread_caps(pid):
    """{thread name: {CapEff:..., CapPrm:..., CapBnd:..., CapInh:..., CapAmb:...,
    NoNewPrivs:...}} for every thread of pid."""
    got = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                fields = dict(l.split(":", 1) for l in f if ":" in l)
        except FileNotFoundError:
            continue            # a connection's thread just ended
        vals = {k: int(fields[k].strip(), 16) for k in
                ("CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb")}
        vals["NoNewPrivs"] = int(fields["NoNewPrivs"].strip())
        got["%s/%s" % (fields["Name"].strip(), tid)] = vals
    return got


def early_scrape(errs, bs, port):
    """A scrape connected as soon as serve has bound its port, before it has
    attached: answered once attached, 200 with metrics."""
    early, deadline = None, time.time() + READY_TIMEOUT
    while early is None and time.time() < deadline:
        try:
            early = socket.create_connection(("127.0.0.1", port), timeout=1)
        except OSError:
            time.sleep(0.02)
    if early is None:
        raise Failure("serve never bound its port: %s" % one_line(bs.err()))
    attached = b"ready" in bs.err()
    early.settimeout(READY_TIMEOUT)
    early.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
    reply = b""
    while True:
        chunk = early.recv(65536)
        if not chunk:
            break
        reply += chunk
    early.close()
    errs.true("the scrape sent before attaching (%s) got 200 with metrics: %r"
              % ("it had attached already" if attached else "while attaching", reply[:80]),
              re.match(rb"HTTP/1\.[01] 200 ", reply) is not None and
              b"bufscope_build_info" in reply)


def check_thread_caps(errs, bs, port):
    """Every thread (a held connection's too) has exactly KEPT."""
    held = socket.create_connection(("127.0.0.1", port), timeout=5)
    time.sleep(0.3)
    caps = thread_caps(bs.p.pid)
    held.close()
    errs.true("a connection's thread among %s" % sorted(caps),
              any(n.startswith("MHD-connection") for n in caps))
    errs.true("the listener's thread among %s" % sorted(caps),
              any(n.startswith("MHD-listen") for n in caps))
    for name, c in sorted(caps.items()):
        for k in ("CapEff", "CapPrm", "CapBnd"):
            errs.eq("%s %s" % (name, k), hex(c[k]), hex(KEPT))
        for k in ("CapInh", "CapAmb"):
            errs.eq("%s %s" % (name, k), c[k], 0)
        errs.eq("%s no_new_privs" % name, c["NoNewPrivs"], 1)
    errs.true("it says what it kept: %s" % one_line(bs.err()),
              b"capabilities kept after attaching: CAP_DAC_READ_SEARCH,"
              b"CAP_SYS_PTRACE,CAP_SYS_ADMIN,CAP_BPF" in bs.err())


@scenario("serve_caps_dropped")
def t_caps_dropped(ctx, rec):
    """serve run as root with every capability: once attached, it and every
    HTTP thread (the listener, a connection's) keep only CAP_BPF,
    CAP_SYS_ADMIN, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH, in the bounding
    set too, with no_new_privs; what they are kept for still works: a socket
    in another namespace, held unread, is served with ss's queue and its
    holder's name. A scrape sent while serve attaches is answered once it
    has attached."""
    def check(errs):
        port = PORT_BASE + 10
        bs = None
        try:
            with HeldSocket("caps", port, 30000) as held:
                bs = Proc([ctx.bufscope, "serve", "--listen", "127.0.0.1:%d" % (port + 1),
                           "-v"], stdin=False, label="serve")
                early_scrape(errs, bs, port + 1)
                if bs.wait_line("err", lambda l: b"ready" in l, READY_TIMEOUT) is None:
                    raise Failure("serve: no ready line: %s" % one_line(bs.err()))
                check_thread_caps(errs, bs, port + 1)
                text = scrape(port + 1)
                errs.eq("after the drop: queued bytes of the namespace's socket vs ss",
                        list(series(text, "bufscope_queued_bytes", port=str(port)).values()),
                        [held.want])
                errs.true("ss saw the 30000 bytes queued (%d)" % held.want,
                          held.want == 30000)
                errs.eq("its holder, found in /proc/PID/fd",
                        list(series(text, "bufscope_sockets", port=str(port),
                                    process="python3").values()), [1.0])
                stop_serve(bs, errs, want_status=0)
        finally:
            if bs and bs.p.poll() is None:
                stop_serve(bs, errs)
    rec.check("serve_caps_dropped", check)
