# SPDX-License-Identifier: GPL-2.0
"""A removed cgroup keeps its label for its sockets' last counts.

serve_cgroup_gone: `bufscope serve -i 3600` (a pass only when scraped, so
the test decides what each pass sees) and two cgroup_gone_wl.py readers,
each with its own count of its reads:

1. B reads in cgroup `pre`; a scrape (B's socket is the model's first).
2. A reads in the container cgroup system.slice/docker-<64 hex>.scope; a
   scrape (A's cgroup is resolved, A's socket comes after B's).
3. A reads again, reads the end of stream, closes and exits: those reads
   reach bufscope only with the close, at the next pass. A's cgroup is
   removed, cgroup `b` made, B moves into it and reads.
4. Two scrapes. In the first pass B's socket, read in `b` (not yet known:
   the resolver walks the cgroup tree again, without A's cgroup), comes
   before A's close.

All of A's reads, bytes and its end-of-stream read must be in the series
cgroup=<A's path>, container=<the id>, none in cgroup="" (before the fix:
phase 3's went there); B's reads in `pre` and in `b` under each path.
"""
from harness import *
from scen_cgroup import CgroupTree, CONTAINER_ID, proc_cgroup
from serve_scrape import scrape, series, series_sum

GONE_PORT = 26850            # serve; the readers listen on +1 and +2
GONE_WL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cgroup_gone_wl.py")
CTR = "system.slice/docker-%s.scope" % CONTAINER_ID


class GoneWorkload:
    """cgroup_gone_wl.py in cgroup directory `cgdir`."""

    def __init__(self, cgdir, comm, port):
        self.comm = comm
        self.proc = Proc([sys.executable, GONE_WL, "--port", str(port), "--comm", comm,
                          "--cgroup", cgdir], label="cgroup_gone_wl")
        self.seen = 0
        ready = self.reply("ready", WORKLOAD_READY_TIMEOUT)
        self.pid = ready["pid"]
        self.phases = []

    def reply(self, key, timeout=None):
        """The next line of the workload with `key`."""
        timeout = WORKLOAD_DONE_TIMEOUT if timeout is None else timeout
        needle = ('"%s"' % key).encode()
        line = self.proc.wait_line("out", lambda l: needle in l, timeout, start=self.seen)
        if line is None:
            raise Failure("cgroup_gone_wl %s: no %s line within %gs; stderr: %s"
                          % (self.comm, key, timeout, one_line(self.proc.err())))
        with self.proc.cond:    # it answers each command with one line
            self.seen = len(self.proc.lines["out"])
        return json.loads(line)

    def read(self, nbytes):
        self.proc.send("read %d\n" % nbytes)
        self.phases.append(self.reply("phase"))
        return self.phases[-1]

    def move(self, cgdir):
        self.proc.send("move %s\n" % cgdir)
        self.reply("moved")

    def end(self):
        """Reads the end of stream, closes, exits 0: its totals."""
        self.proc.send("end\n")
        self.done = self.reply("done")
        rc = self.proc.wait(scaled(10))
        if rc != 0:
            raise Failure("cgroup_gone_wl %s exited %s: %s"
                          % (self.comm, rc, one_line(self.proc.err())))
        return self.done


def rmdir_when_empty(path):
    """A cgroup can go once its processes have exited (a moment after)."""
    deadline = time.monotonic() + scaled(5)
    while True:
        try:
            os.rmdir(path)
            return
        except OSError as e:
            if time.monotonic() > deadline:
                raise Failure("cannot remove cgroup %s: %s" % (path, e))
            time.sleep(0.05)


def run_gone(ctx):
    """Steps 1-4 of the docstring: (tree, A, B, [scrapes after each step])."""
    tree = CgroupTree(ctx, ("pre", "system.slice", CTR))
    procs = len(ALL_PROCS)
    texts = []
    try:
        bs = Bufscope(ctx, ["serve", "--listen", "127.0.0.1:%d" % GONE_PORT, "-i", "3600"])
        bs.wait_ready()
        b = GoneWorkload(tree.path("pre"), "wl_gone_b", GONE_PORT + 2)
        b.read(100000)
        texts.append(scrape(GONE_PORT))
        a = GoneWorkload(tree.path(CTR), "wl_gone_a", GONE_PORT + 1)
        a.read(200000)
        texts.append(scrape(GONE_PORT))
        a.read(150000)
        a.end()
        rmdir_when_empty(tree.path(CTR))
        os.mkdir(tree.path("b"))
        tree.made.append(tree.path("b"))
        b.move(tree.path("b"))
        if proc_cgroup(b.pid) != tree.rel("b"):
            raise Failure("prerequisite: wl_gone_b is in %s, want %s"
                          % (proc_cgroup(b.pid), tree.rel("b")))
        b.read(50000)
        texts.append(scrape(GONE_PORT))
        texts.append(scrape(GONE_PORT))
        rc = bs.stop(signal.SIGTERM)
        if rc != 0:
            raise Failure("`%s` exited %d: %s" % (bs.cmdline, rc, one_line(bs.proc.err())))
        b.end()
        return tree, a, b, texts
    finally:
        kill_started_since(procs)
        tree.remove()


@scenario("serve_cgroup_gone")
def t_serve_cgroup_gone(ctx, rec):
    tree, a, b, texts = run_gone(ctx)
    a_rel, pre_rel, b_rel = tree.rel(CTR), tree.rel("pre"), tree.rel("b")
    final = texts[-1]

    def check(errs):
        # the preconditions: each cgroup resolved while it was there
        errs.eq("scrape 1: wl_gone_b's reads in pre",
                series_sum(texts[0], "bufscope_reads_total", process="wl_gone_b",
                           cgroup=pre_rel), b.phases[0]["reads"])
        errs.eq("scrape 2: wl_gone_a's reads under its cgroup",
                series_sum(texts[1], "bufscope_reads_total", process="wl_gone_a",
                           cgroup=a_rel), a.phases[0]["reads"])
        for metric, key in (("bufscope_reads_total", "reads"),
                            ("bufscope_read_bytes_total", "bytes"),
                            ("bufscope_eof_reads_total", "eof_reads")):
            errs.eq("wl_gone_a %s, all series (workload %s)" % (metric, key),
                    series_sum(final, metric, process="wl_gone_a"), a.done[key])
            errs.eq("wl_gone_a %s under cgroup=%s container=%s" % (metric, a_rel, CONTAINER_ID),
                    series_sum(final, metric, process="wl_gone_a", cgroup=a_rel,
                               container=CONTAINER_ID), a.done[key])
            for comm in ("wl_gone_a", "wl_gone_b"):
                errs.eq("%s %s under cgroup=\"\"" % (comm, metric),
                        series(final, metric, process=comm, cgroup=""), {})
        for where, rel, phase in (("pre", pre_rel, b.phases[0]), ("b", b_rel, b.phases[1])):
            errs.eq("wl_gone_b reads in %s (workload)" % where,
                    series_sum(final, "bufscope_reads_total", process="wl_gone_b",
                               cgroup=rel), phase["reads"])
            errs.eq("wl_gone_b bytes in %s (workload)" % where,
                    series_sum(final, "bufscope_read_bytes_total", process="wl_gone_b",
                               cgroup=rel), phase["bytes"])
    rec.check("serve_cgroup_gone", check)
