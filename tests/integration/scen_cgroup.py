# SPDX-License-Identifier: GPL-2.0
"""Issue 12, containers: each reader's cgroup v2 path (JSON `cgroup`, the
table's CGROUP column) and the --cgroup filter, in the kernel, for top,
trace and hist.

Three reader_mix workloads, each started in its own cgroup under
<cgroup2 mount>/bufscope-test-<pid>: `a`, `a/n` (below a: included by
--cgroup a) and `b`. The truth: the cgroup each reader is in (its
/proc/PID/cgroup, the inode number of that directory) and the workloads' own
counts of their reads and bytes. The cgroups are removed afterwards.
"""
import shutil
import stat
import tempfile

from harness import *

CG_COUNTS = (("a", "wl_cga", 300000), ("a/n", "wl_cgn", 200000), ("b", "wl_cgb", 250000))


class CgroupTree:
    """bufscope-test-<pid>/{a,a/n,b} under the cgroup2 mount, with a
    directory of wrappers per cgroup: `reader_mix` there moves itself into
    the cgroup (cgroup.procs) and execs the real workload, so the reader's
    pid is the one its ready line gives."""

    def __init__(self, ctx, subs=("a", "a/n", "b")):
        self.mount = cgroup2_mount()
        self.rel_root = "/bufscope-test-%d" % os.getpid()
        self.root = self.mount.rstrip("/") + self.rel_root
        self.made = []
        self.wrappers = tempfile.mkdtemp(prefix="bufscope-cgwl-")
        try:
            for sub in [""] + ["/" + x for x in subs]:
                os.mkdir(self.root + sub)
                self.made.append(self.root + sub)
        except OSError as e:
            self.remove()
            raise Failure("prerequisite: cannot create cgroup %s: %s" % (self.root, e))
        self.real = ctx.workloads

    def rel(self, sub):
        return self.rel_root + "/" + sub

    def path(self, sub):
        return self.root + "/" + sub

    def ctx_for(self, sub, name="reader_mix"):
        """A context whose workload `name` starts in cgroup `sub`."""
        d = os.path.join(self.wrappers, sub.replace("/", "_"))
        os.makedirs(d, exist_ok=True)
        w = os.path.join(d, name)
        with open(w, "w") as f:
            f.write("#!/bin/sh\necho $$ > '%s/cgroup.procs' || exit 97\n"
                    "exec '%s' \"$@\"\n" % (self.path(sub), os.path.join(self.real, name)))
        os.chmod(w, stat.S_IRWXU)

        class Ctx:
            pass
        c = Ctx()
        c.workloads = d
        return c

    def remove(self):
        """rmdir from the deepest: a cgroup goes once its processes have
        exited (a killed workload's exit may take a moment)."""
        deadline = time.monotonic() + scaled(5)
        for d in reversed(self.made):
            while os.path.isdir(d):
                try:
                    os.rmdir(d)
                except OSError as e:
                    if time.monotonic() > deadline:
                        print("scen_cgroup: cannot remove %s: %s" % (d, e), file=sys.stderr)
                        break
                    time.sleep(0.05)
        shutil.rmtree(self.wrappers, ignore_errors=True)


def proc_cgroup(pid):
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            if line.startswith("0::"):
                return line[3:].strip()
    raise Failure("prerequisite: pid %d has no cgroup v2 entry" % pid)


def start_workloads(tree, counts=CG_COUNTS):
    """One reader_mix per cgroup of `counts` ((cgroup, comm, bytes)); checks
    each is where it should be (its own /proc/PID/cgroup)."""
    wls = {}
    for sub, comm, nbytes in counts:
        w = Workload(tree.ctx_for(sub), "reader_mix", ["--comm", comm, "--bytes", str(nbytes)])
        got = proc_cgroup(w.pid)
        if got != tree.rel(sub):
            raise Failure("prerequisite: workload %s is in cgroup %s, want %s"
                          % (comm, got, tree.rel(sub)))
        w.cgroup_rel = got
        w.cgroup_ino = os.stat(tree.path(sub)).st_ino
        wls[sub] = w
    return wls


def run_in_cgroups(ctx, bs_args, result=bufscope_result, counts=CG_COUNTS, parents=()):
    """The workloads of `counts` (default: the three), bufscope with
    bs_args(tree) while they run; the cgroups (`parents` made first) go
    afterwards. Returns (tree, workloads by cgroup, result(bs))."""
    tree, wls, (res,) = run_many_in_cgroups(ctx, [(bs_args, result)], counts, parents)
    return tree, wls, res


def run_many_in_cgroups(ctx, runs, counts=CG_COUNTS, parents=()):
    """run_in_cgroups with several bufscope instances watching the same
    workloads at once, runs: [(bs_args, result)]. Returns (tree, workloads
    by cgroup, [result(bs) of each run])."""
    tree = CgroupTree(ctx, tuple(parents) + tuple(c[0] for c in counts))
    try:
        wls = start_workloads(tree, counts)
        bss = [Bufscope(ctx, bs_args(tree)) for bs_args, _ in runs]
        for bs in bss:
            bs.wait_ready()
        for w in wls.values():
            w.go()
        for w in wls.values():
            w.wait_done()
        time.sleep(SETTLE)
        res = [result(bs) for (_, result), bs in zip(runs, bss)]
        for w in wls.values():
            w.finish()
        return tree, wls, res
    finally:
        kill_all_workloads = [p for p in ALL_PROCS if p.label in ("reader_mix", "stalled")]
        for p in kill_all_workloads:
            if p.p.poll() is None:
                p.kill()
        tree.remove()


def check_identity(errs, where, sock, w):
    errs.eq("%s %s cgroup" % (where, w.comm), sock.get("cgroup"), w.cgroup_rel)
    errs.eq("%s %s cgroup_id" % (where, w.comm), sock.get("cgroup_id"), w.cgroup_ino)
    errs.eq("%s %s container" % (where, w.comm), sock.get("container"), None)
    errs.eq("%s %s pid" % (where, w.comm), sock.get("pid"), w.pid)


@scenario("cgroup_paths_top")
def t_cgroup_paths_top(ctx, rec):
    """No filter: every reader socket's cgroup path, id and counts."""
    tree, wls, (objs, summary) = run_in_cgroups(
        ctx, lambda t: ["top", "-o", "json", "-i", "1"])
    rec.check("cgroup_paths_top", lambda errs: check_paths(errs, wls, objs, summary))


def check_paths(errs, wls, objs, summary):
    """Without a filter: each reader socket's cgroup, id and counts."""
    for w in wls.values():
        conn = w.done["conns"][0]
        sock = find_socket(summary.get("sockets", []), conn, "summary")
        check_identity(errs, "summary", sock, w)
        check_counts(errs, w.comm, sock, conn)
        # every interval that lists it says the same
        for where, s in all_listed_sockets(objs):
            if s.get("cookie") == sock.get("cookie") and s.get("cgroup") != w.cgroup_rel:
                errs.append("%s: %s cgroup %r" % (where, w.comm, s.get("cgroup")))
                break
    check_lost(errs, objs, summary)


@scenario("cgroup_table")
def t_cgroup_table(ctx, rec):
    """The table (a pipe: every column) has CGROUP, each reader's path."""
    def table(bs):
        rc = bs.wait_exit("(-d given)")
        if rc != 0:
            raise Failure("`%s` exited %d; stderr: %s" % (bs.cmdline, rc, one_line(bs.proc.err())))
        return bs.proc.out().decode("utf-8", "replace")
    tree, wls, out = run_in_cgroups(
        ctx, lambda t: ["top", "-d", "%g" % scaled(6), "-n", "0"], result=table)

    def check(errs):
        lines = out.splitlines()
        hdr = [l for l in lines if l.startswith("PID ")]
        errs.true("no header line with CGROUP: %s" % one_line(out, 300),
                  hdr and " CGROUP " in hdr[-1])
        for w in wls.values():
            conn = w.done["conns"][0]
            mine = [l.split() for l in lines if l.split()[:1] and
                    l.split()[0].rstrip("*+") == str(w.pid) and len(l.split()) > 3 and
                    l.split()[3].endswith(":%d" % conn["lport"])]
            if not mine:
                errs.append("no row of %s (pid %d) in the summary table" % (w.comm, w.pid))
                continue
            errs.eq("%s row's CGROUP" % w.comm, mine[-1][2], w.cgroup_rel)
    rec.check("cgroup_table", check)


def only_a(tree, wls):
    """What --cgroup a may list: a's and a/n's sockets; b's never."""
    a = tree.rel("a")

    def allowed(s):
        c = s.get("cgroup")
        if c == a or (isinstance(c, str) and c.startswith(a + "/")):
            return None
        return "socket of pid %r comm %r in cgroup %r listed with --cgroup %s" % (
            s.get("pid"), s.get("comm"), c, a)
    return allowed


@scenario("cgroup_filter_top", "cgroup_filter_top_nested")
def t_cgroup_filter_top(ctx, rec):
    """--cgroup as a path relative to the cgroup2 root."""
    tree, wls, (objs, summary) = run_in_cgroups(
        ctx, lambda t: ["top", "-o", "json", "-i", "1", "--cgroup", t.rel("a")])
    rec.check("cgroup_filter_top", lambda errs: check_filter_top(errs, tree, wls, objs, summary))
    rec.check("cgroup_filter_top_nested", lambda errs: check_nested(errs, wls, summary))


def check_filter_top(errs, tree, wls, objs, summary):
    """top --cgroup a: a's and a/n's readers with exact counts, none of b's."""
    filter_check(errs, objs, summary, [wls["a"], wls["a/n"]], [wls["b"]], only_a(tree, wls))


def check_nested(errs, wls, summary):
    """top --cgroup a: a's and a/n's sockets with their own cgroup each."""
    for sub in ("a", "a/n"):
        w = wls[sub]
        sock = find_socket(summary.get("sockets", []), w.done["conns"][0], "summary")
        check_identity(errs, "summary", sock, w)


def check_trace_reads(errs, objs, w):
    conn = w.done["conns"][0]
    recs = trace_records(objs, w.pid)
    data = [r for r in recs if isinstance(r.get("ret"), int) and r["ret"] > 0
            and r.get("peek") is False]
    errs.eq("%s data read records" % w.comm, len(data), conn["reads"])
    errs.eq("%s sum of ret" % w.comm, sum(r["ret"] for r in data), conn["bytes"])
    errs.eq("%s records (any result)" % w.comm, len(recs), sum(conn["sc_all"].values()))
    wrong = [(r.get("cgroup"), r.get("cgroup_id")) for r in recs
             if (r.get("cgroup"), r.get("cgroup_id")) != (w.cgroup_rel, w.cgroup_ino)]
    errs.true("%s read records in another cgroup than its own (%s, %d): %r"
              % (w.comm, w.cgroup_rel, w.cgroup_ino, wrong[:3]), not wrong)


@scenario("cgroup_filter_trace")
def t_cgroup_filter_trace(ctx, rec):
    """--cgroup as an absolute path under the mount: trace's read records
    and its summary's sockets are a's and a/n's only, counts exact."""
    tree, wls, (objs, summary) = run_in_cgroups(
        ctx, lambda t: ["trace", "-o", "json", "-i", "1", "--cgroup", t.path("a")])
    rec.check("cgroup_filter_trace",
              lambda errs: check_filter_trace(errs, tree, wls, objs, summary))


def check_filter_trace(errs, tree, wls, objs, summary):
    """trace --cgroup a: read records and summary sockets of a and a/n only."""
    a, n, b = wls["a"], wls["a/n"], wls["b"]
    for w in (a, n):
        check_trace_reads(errs, objs, w)
    pids = {r.get("pid") for r in objs if r.get("type") == "read"}
    errs.true("read records of pids %s, want only %d and %d"
              % (sorted(pids - {a.pid, n.pid}), a.pid, n.pid),
              pids <= {a.pid, n.pid, a.sender_pid, n.sender_pid})
    errs.true("read records of the excluded wl_cgb", not trace_records(objs, b.pid))
    filter_check(errs, objs, summary, [a, n], [b], only_a(tree, wls))
    for w in (a, n):
        sock = find_socket(summary.get("sockets", []), w.done["conns"][0], "summary")
        check_identity(errs, "trace summary", sock, w)


def hist_result(bs):
    rc = bs.stop()
    objs = bs.objects()
    if rc != 0:
        raise Failure("`%s` exited %d; stderr: %s" % (bs.cmdline, rc, one_line(bs.proc.err())))
    sums = [o for o in objs if o["type"] == "hist_summary"]
    if len(sums) != 1 or objs[-1] is not sums[0]:
        raise Failure("`%s` printed %d hist_summary objects (want 1, last)"
                      % (bs.cmdline, len(sums)))
    return objs, sums[0]


@scenario("cgroup_filter_hist")
def t_cgroup_filter_hist(ctx, rec):
    """--cgroup relative without its leading '/': hist's groups are a's and
    a/n's readers, with exactly their reads, bucket by bucket."""
    tree, wls, (objs, summary) = run_in_cgroups(
        ctx, lambda t: ["hist", "-o", "json", "--cgroup", t.rel("a").lstrip("/")],
        result=hist_result)
    rec.check("cgroup_filter_hist", lambda errs: check_filter_hist(errs, wls, summary))


def check_filter_hist(errs, wls, summary):
    """hist --cgroup a: groups of a's and a/n's readers, exact buckets."""
    a, n, b = wls["a"], wls["a/n"], wls["b"]
    groups = summary.get("groups", [])
    gp = {g.get("pid") for g in groups}
    errs.true("hist groups of pids %s with --cgroup a (want %d, %d)"
              % (sorted(gp, key=str), a.pid, n.pid),
              gp <= {a.pid, n.pid, a.sender_pid, n.sender_pid})
    errs.true("a group of the excluded wl_cgb", not gp & {b.pid, b.sender_pid})
    for w in (a, n):
        conn = w.done["conns"][0]
        mine = [g for g in groups if g.get("pid") == w.pid]
        if len(mine) != 1:
            errs.append("%d groups of %s (pid %d), want 1" % (len(mine), w.comm, w.pid))
            continue
        h = mine[0].get("hist", {}).get("read_bytes", {})
        errs.eq("%s read_bytes count" % w.comm, h.get("count"), conn["reads"])
        errs.eq("%s read_bytes buckets" % w.comm, hist_as_lists(h.get("buckets")),
                conn["hist"]["read_bytes"])


@scenario("cgroup_errors")
def t_cgroup_errors(ctx, rec):
    """A path that is no cgroup, or not on cgroup2: one line, status 2, a
    hint naming the mount; validate refuses the option."""
    mount = cgroup2_mount()

    def check(errs):
        cases = [(["top", "--cgroup", "/bufscope-no-such-%d" % os.getpid()], "no such cgroup"),
                 (["trace", "--cgroup", "/tmp"], "not a cgroup v2 directory"),
                 (["hist", "--cgroup", "../../.."], "not a cgroup v2 directory"),
                 (["top", "--cgroup", mount + "/cgroup.procs"], "no such cgroup"),
                 (["validate", "--cgroup", "/"], "does not apply to validate")]
        for args, want in cases:
            p = subprocess.run([ctx.bufscope] + args, capture_output=True,
                               timeout=scaled(10))
            err = p.stderr.decode("utf-8", "replace")
            errs.eq("exit status of %s" % " ".join(args), p.returncode, 2)
            errs.true("%s: stderr %r lacks %r" % (" ".join(args), err, want), want in err)
            errs.true("%s: stderr is not one line: %r" % (" ".join(args), err),
                      err.count("\n") == 1)
            errs.true("%s: no output expected, got %r" % (" ".join(args), p.stdout[:200]),
                      not p.stdout)
            if want != "does not apply to validate":
                errs.true("%s: hint lacks the mount %s: %r" % (" ".join(args), mount, err),
                          mount in err)
    rec.check("cgroup_errors", check)


@scenario("cgroup_stalled_filter", "cgroup_stalled_paths")
def t_cgroup_stalled(ctx, rec):
    """Readers that never read (stalled), one in a/n, one in b: no task of
    a's reads or closes, so --cgroup a finds a/n's socket through /proc (its
    holder's cgroup), with the bytes waiting that ss shows; b's is not
    listed. Without the filter, both sockets have their holder's cgroup."""
    def run(filtered):
        tree = CgroupTree(ctx)
        try:
            wls = {}
            for sub, comm, nbytes in (("a/n", "wl_stall_a", 60000), ("b", "wl_stall_b", 50000)):
                w = Workload(tree.ctx_for(sub, "stalled"), "stalled",
                             ["--comm", comm, "--bytes", str(nbytes)])
                if proc_cgroup(w.pid) != tree.rel(sub):
                    raise Failure("prerequisite: %s in cgroup %s, want %s"
                                  % (comm, proc_cgroup(w.pid), tree.rel(sub)))
                w.cgroup_rel = tree.rel(sub)
                w.cgroup_ino = os.stat(tree.path(sub)).st_ino
                wls[sub] = w
            args = ["top", "-o", "json", "-i", "1"]
            if filtered:
                args += ["--cgroup", tree.rel("a")]
            bs = Bufscope(ctx, args)
            bs.wait_ready()
            for w in wls.values():
                w.go()
            for w in wls.values():
                w.wait_done()
            ss = {sub: ss_find(w.done["conns"][0]["lport"], w.done["conns"][0]["rport"])
                  for sub, w in wls.items()}
            time.sleep(SETTLE)
            objs, summary = bufscope_result(bs)
            for w in wls.values():
                w.finish()
            return tree, wls, ss, objs, summary
        finally:
            for p in ALL_PROCS:
                if p.label == "stalled" and p.p.poll() is None:
                    p.kill()
            tree.remove()

    def stalled_ok(errs, where, summary, w, ss):
        conn = w.done["conns"][0]
        sock = find_socket(summary.get("sockets", []), conn, where)
        if len(ss) != 1:
            raise Failure("prerequisite: ss shows %d sockets for %s" % (len(ss), w.comm))
        errs.eq("%s %s queue_bytes (ss Recv-Q)" % (where, w.comm), sock.get("queue_bytes"),
                ss[0]["recvq"])
        errs.eq("%s %s queued (the workload's)" % (where, w.comm), ss[0]["recvq"],
                conn["sent"])
        errs.eq("%s %s owner" % (where, w.comm), sock.get("owner"), "fd")
        check_identity(errs, where, sock, w)

    tree, wls, ss, objs, summary = run(True)

    def filtered(errs):
        stalled_ok(errs, "--cgroup a", summary, wls["a/n"], ss["a/n"])
        filter_check(errs, objs, summary, [], [wls["b"]], only_a(tree, wls))
    rec.check("cgroup_stalled_filter", filtered)

    tree, wls, ss, objs, summary = run(False)

    def paths(errs):
        for sub in ("a/n", "b"):
            stalled_ok(errs, "no filter", summary, wls[sub], ss[sub])
    rec.check("cgroup_stalled_paths", paths)


CONTAINER_ID = "4f1c0a9e" * 8    # 64 hex digits, as docker makes them


@scenario("cgroup_container_json", "cgroup_container_table")
def t_cgroup_container(ctx, rec):
    """A reader in a cgroup named as docker's systemd driver names its
    containers (docker-<64 hex>.scope): `container` has the whole id, the
    table's CGROUP column its first 12 digits."""
    sub = "system.slice/docker-%s.scope" % CONTAINER_ID
    out = {}
    for mode in ("json", "table"):
        tree = CgroupTree(ctx, ("system.slice", sub))
        try:
            w = Workload(tree.ctx_for(sub), "reader_mix", ["--comm", "wl_ctr", "--bytes", "100000"])
            if proc_cgroup(w.pid) != tree.rel(sub):
                raise Failure("prerequisite: the workload is in %s" % proc_cgroup(w.pid))
            args = ["top", "-o", "json", "-i", "1"] if mode == "json" else \
                ["top", "-w", "-n", "0", "-d", "%g" % scaled(5)]
            bs = Bufscope(ctx, args)
            bs.wait_ready()
            w.go()
            w.wait_done()
            if mode == "json":
                time.sleep(SETTLE)
                out[mode] = bufscope_result(bs)
            else:
                if bs.wait_exit("(-d given)") != 0:
                    raise Failure("`%s` failed: %s" % (bs.cmdline, one_line(bs.proc.err())))
                out[mode] = bs.proc.out().decode("utf-8", "replace")
            w.finish()
            out[mode + "_w"] = w
            out["rel"] = tree.rel(sub)
        finally:
            for p in ALL_PROCS:
                if p.label == "reader_mix" and p.p.poll() is None:
                    p.kill()
            tree.remove()

    def js(errs):
        objs, summary = out["json"]
        w = out["json_w"]
        sock = find_socket(summary.get("sockets", []), w.done["conns"][0], "summary")
        errs.eq("cgroup", sock.get("cgroup"), out["rel"])
        errs.eq("container", sock.get("container"), CONTAINER_ID)
        check_counts(errs, "wl_ctr", sock, w.done["conns"][0])
    rec.check("cgroup_container_json", js)

    def table(errs):
        w = out["table_w"]
        rows = [l.split() for l in out["table"].splitlines()
                if l.split()[:1] and l.split()[0].rstrip("*+") == str(w.pid)]
        errs.true("no row of the workload in the table", rows)
        for r in rows:
            errs.eq("CGROUP cell", r[2] if len(r) > 2 else None, CONTAINER_ID[:12])
    rec.check("cgroup_container_table", table)


# A cgroup name its creator chose: an escape sequence, a quote, a backslash,
# '<' and a non-ASCII letter (the kernel refuses only '/' and a newline).
HOSTILE_CG = "ev\x1b[31mil\"q\\b<\u00e9"


@scenario("cgroup_hostile_json", "cgroup_hostile_table")
def t_cgroup_hostile(ctx, rec):
    """A reader in a cgroup with a hostile name: the JSON's `cgroup` is the
    path exactly (JSON-escaped: the line parses), the table's CGROUP cell
    has '?' for each byte or character that is not printable ASCII, and no
    raw ESC reaches the output."""
    counts = ((HOSTILE_CG, "wl_cgx", 100000),)
    tree, wls, (objs, summary) = run_in_cgroups(
        ctx, lambda t: ["top", "-o", "json", "-i", "1"], counts=counts)
    w = wls[HOSTILE_CG]

    def js(errs):
        sock = find_socket(summary.get("sockets", []), w.done["conns"][0], "summary")
        errs.eq("cgroup (the path, exactly)", sock.get("cgroup"), w.cgroup_rel)
        errs.true("the name is in it: %r" % w.cgroup_rel, w.cgroup_rel.endswith(HOSTILE_CG))
        check_counts(errs, "wl_cgx", sock, w.done["conns"][0])
    rec.check("cgroup_hostile_json", js)

    def table(bs):
        rc = bs.wait_exit("(-d given)")
        if rc != 0:
            raise Failure("`%s` exited %d; stderr: %s" % (bs.cmdline, rc, one_line(bs.proc.err())))
        return bs.proc.out()
    tree, wls, out = run_in_cgroups(
        ctx, lambda t: ["top", "-w", "-d", "%g" % scaled(6), "-n", "0"], result=table,
        counts=counts)
    w = wls[HOSTILE_CG]

    def tab(errs):
        errs.true("no ESC byte in the table", b"\x1b" not in out)
        errs.true("no byte outside printable ASCII and newline in the table",
                  all(32 <= c < 127 or c == 10 for c in out))
        shown = "".join(c if 32 <= ord(c) < 127 else "?" for c in w.cgroup_rel)
        rows = [l.split() for l in out.decode().splitlines()
                if l.split()[:1] and l.split()[0].rstrip("*+") == str(w.pid)]
        errs.true("no row of the workload in the table", rows)
        for r in rows:
            errs.eq("CGROUP cell", r[2] if len(r) > 2 else None, shown)
    rec.check("cgroup_hostile_table", tab)
