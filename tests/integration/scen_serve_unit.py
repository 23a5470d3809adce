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
"""
from harness import *

import os
import re
import shutil
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


def run_as_unit(ctx, caps, port, errs):
    """The unit's serve, as nobody with `caps`; a held, unread socket in a
    namespace; returns (its queue by ss, the scrape, bufscope's stderr)."""
    ns = "bs-unit-%d-%d" % (os.getpid(), port)
    d = tempfile.mkdtemp(prefix="bs-unit-")
    os.chmod(d, 0o755)
    binary = os.path.join(d, "bufscope")
    shutil.copy(ctx.bufscope, binary)
    os.chmod(binary, 0o755)
    capset = ",".join("+" + c[4:].lower() for c in caps)
    holder = bs = None
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        # the holder accepts and never reads; its listener stays open
        holder = Proc(["ip", "netns", "exec", ns, "python3", "-c", HOLDER % port],
                      stdin=False, label="holder")
        time.sleep(0.3)
        subprocess.run(["ip", "netns", "exec", ns, "sh", "-c",
                        "head -c 50000 /dev/zero | socat -u - TCP:127.0.0.1:%d" % port],
                       check=True, timeout=20)
        time.sleep(0.3)
        want = ss_recvq(ns, port)
        argv = unit_value(unit_text(), "ExecStart").split()
        argv = [binary] + argv[1:-1] + ["127.0.0.1:%d" % (port + 1)]
        bs = Proc(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                   "--inh-caps=-all," + capset, "--ambient-caps=" + capset] + argv,
                  stdin=False, label="serve")
        if bs.wait_line("err", lambda l: b"ready" in l, READY_TIMEOUT) is None:
            raise Failure("serve as nobody with %s: no ready line: %s"
                          % (capset, one_line(bs.err())))
        text = scrape(port + 1)
        return want, text, bs
    finally:
        if bs:
            bs.signal(signal.SIGTERM)
            if bs.wait(STOP_TIMEOUT) is None:
                bs.kill()
                errs.append("serve did not exit after SIGTERM")
        if holder:
            holder.kill()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
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
