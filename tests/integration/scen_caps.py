"""Issue 13: bufscope with only the capabilities it needs, not root.

- caps_minimal_top: `top -o json` run as user nobody with CAP_BPF and
  CAP_PERFMON only (setpriv, ambient), beside a reader_mix workload in this
  namespace: it attaches, and the workload's socket has exactly the
  workload's own counts (reads, bytes, requested bytes, full reads...).
- caps_minimal_missing: with CAP_BPF alone (no CAP_PERFMON) it does not
  start: exit 1, the error names CAP_PERFMON, nothing is attached.
"""
from harness import *

import os
import shutil
import tempfile

MINIMAL = ("bpf", "perfmon")


def as_nobody(caps):
    capset = ",".join("+" + c for c in caps)
    return ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "--inh-caps=-all," + capset, "--ambient-caps=" + capset)


class NobodyCopy:
    """The binary under test, copied where user nobody may run it."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="bs-caps-")
        os.chmod(self.dir, 0o755)
        self.path = os.path.join(self.dir, "bufscope")
        return self

    def ctx(self, ctx):
        shutil.copy(ctx.bufscope, self.path)
        os.chmod(self.path, 0o755)

        class C:
            pass
        c = C()
        c.__dict__.update(ctx.__dict__)
        c.bufscope = self.path
        return c

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)


@scenario("caps_minimal_top")
def t_caps_minimal(ctx, rec):
    with NobodyCopy() as nb:
        bctx = nb.ctx(ctx)
        w = Workload(ctx, "reader_mix", ["--comm", "wl_capmin", "--bytes", "300000"])
        bs = Bufscope(bctx, ["top", "-o", "json", "-i", "1"], prefix=as_nobody(MINIMAL))
        bs.wait_ready()
        w.go()
        w.wait_done()
        time.sleep(SETTLE)
        objs, summary = bufscope_result(bs)
        w.finish()

    def check(errs):
        conn = w.done["conns"][0]
        sock = find_socket(summary.get("sockets", []), conn, "summary")
        errs.eq("the reader's pid", sock.get("pid"), w.pid)
        check_counts(errs, "wl_capmin", sock, conn)
        check_lost(errs, objs, summary)
    rec.check("caps_minimal_top", check)


@scenario("caps_minimal_missing")
def t_caps_missing(ctx, rec):
    with NobodyCopy() as nb:
        bctx = nb.ctx(ctx)
        p = subprocess.run(list(as_nobody(("bpf",))) + [bctx.bufscope, "top", "-d", "1"],
                           capture_output=True, timeout=scaled(20))

    def check(errs):
        errs.eq("exit status", p.returncode, 1)
        errs.true("names CAP_PERFMON: %s" % one_line(p.stderr), b"CAP_PERFMON" in p.stderr)
        errs.true("nothing attached (no ready line)", b"ready" not in p.stderr)
    rec.check("caps_minimal_missing", check)
