# SPDX-License-Identifier: GPL-2.0
"""Faults (issue 13): signals, output that cannot be written, a machine
without what bufscope can do without.

- faults_signals_{top,trace,serve}: each of SIGKILL, SIGSEGV, SIGABRT,
  SIGPIPE (sent: default action), SIGTERM, SIGINT, SIGHUP, and SIGSTOP for
  the whole of a read flood then SIGCONT and SIGTERM, sent to a running
  `top -o json`, `trace -o json` and `serve`: the exit status each must give
  (killed by it, or 0 with the summary last); then no BPF program, map or
  link the process held (its ids, read from /proc/PID/fdinfo while it ran)
  is still in `bpftool prog/map/link show`; nothing new pinned under
  /sys/fs/bpf; lo's qdiscs and filters as before; and a last run works.
  bpftool lists no holder pids on the test machine,
  so the fdinfo ids make the check exact while other bufscopes run.
- faults_sigstop_{top,trace,serve}: the SIGSTOP runs' counts: top's and
  serve's reads and bytes of the flood = the workload's own (kernel-side
  state: nothing to lose); trace lost records while stopped (lost_events > 0,
  in `lost` records) and records + lost = the workload's reads.
- faults_output_full_fs_{trace,top}: stdout on a 64 KiB tmpfs that fills:
  exit 1 at once, one line "No space left on device" on stderr, and the file
  ends with a whole JSON line (every line parses).
- faults_output_pty_gone_{top,trace}: stdout and stdin a pty whose master is
  closed: exit 1 (not SIGPIPE) within seconds, one line saying the terminal
  went away.
- faults_output_head: `bufscope trace -o json | head -1`: head gets one
  whole JSON line; bufscope ends within seconds, killed by SIGPIPE (quiet,
  as any program in a pipe) or exit 1 with one line.
- faults_env_no_tracefs: in a private mount namespace without tracefs
  (and debugfs): top runs, exit 0, its counts exact.
- faults_env_cgroup_v1: in a private mount namespace whose /sys/fs/cgroup has
  only v1 hierarchies: top runs (cgroup null), `--cgroup` says cgroup v2 is
  needed (exit 2), serve's cgroup label is empty.
- faults_env_btf_missing, faults_env_btf_truncated, faults_env_btf_foreign:
  BUFSCOPE_BTF naming no file, the first 4 KiB of the kernel's BTF, and BTF
  without the kernel's types (bufscope's own object): exit 1, one line.
- faults_env_hook_refused: the `state` hook this kernel refuses (EPERM):
  one warning line naming it, `state` "none" in the summary, counts exact.
- faults_validate_sigkill: validate with a loss program killed mid-run: its
  namespaces and BPF objects gone within seconds (its guard), no other run.
- faults_map_drops_full: the drop table held to one entry: the drops whose
  reason found no place counted in lost_events, the sockets' drops exact.
- faults_fold_spill_*: the folded closes' table held to one reader: the rest
  spill (close_fold_unowned), foldclass's exact checks still hold.
- faults_closing_full: the closing sockets' table held to one: the second
  closing writer marked incomplete (and listed), the first exact.
"""
from harness import *

import os
import pty
import shutil
import tempfile

from scen_stream import (StreamWl, RawBufscope, flood_into, check_trace_counts,
                         parse_lines, summary_of, one_error_line)
from scen_serve import Serve

PORT = 26400            # 26400-26499: this file's (below the ephemeral range)
FLOOD_COMM = "bsfaultwl"
KINDS = ("prog", "map", "link")


def note(ctx, text):
    """A figure for docs/reliability.md (Faults), shown with -v."""
    if ctx.verbose:
        print("  (faults: %s)" % text, file=sys.stderr, flush=True)


# -------------------------------------------------------------- BPF objects

def held_ids(pid):
    """The BPF programs, maps and links pid holds a descriptor of, by id
    (its fdinfo: prog_id, map_id, link_id lines)."""
    ids = {k: set() for k in KINDS}
    for _, text in fdinfos(pid):
        for line in text.splitlines():
            key, _, val = line.partition(":")
            kind = key.strip()[:-3] if key.strip().endswith("_id") else None
            if kind in KINDS and val.strip().isdigit():
                ids[kind].add(int(val))
    return ids


def live_ids():
    """Every BPF program, map and link id the kernel has now."""
    ids = {}
    for k in KINDS:
        out = run_cmd(["bpftool", "-j", k, "show"], "bpftool %s show" % k)
        ids[k] = {o["id"] for o in json.loads(out or "[]")}
    return ids


def run_cmd_out(argv):
    p = subprocess.run(argv, capture_output=True, timeout=scaled(20))
    return p.stdout.decode("utf-8", "replace")


def net_state():
    """What bufscope must not leave: lo's qdiscs and filters, pinned objects."""
    pins = []
    for root, dirs, files in os.walk("/sys/fs/bpf"):
        pins += [os.path.join(root, n) for n in dirs + files]
    return {"qdisc": run_cmd_out(["tc", "qdisc", "show", "dev", "lo"]),
            "ingress": run_cmd_out(["tc", "filter", "show", "dev", "lo", "ingress"]),
            "egress": run_cmd_out(["tc", "filter", "show", "dev", "lo", "egress"]),
            "pins": sorted(pins)}


def wait_released(held, timeout=10.0):
    """The ids of `held` still alive after timeout (the kernel frees maps
    and programs a little after the last descriptor goes: RCU, a work
    queue), by kind."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        live = live_ids()
        left = {k: sorted(held[k] & live[k]) for k in KINDS if held[k] & live[k]}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


# ----------------------------------------------------------------- signals

# (signal, exit status wanted: None = 0 with the summary last)
SIGNALS = (
    (signal.SIGKILL, -signal.SIGKILL),
    (signal.SIGSEGV, -signal.SIGSEGV),
    (signal.SIGABRT, -signal.SIGABRT),
    (signal.SIGPIPE, -signal.SIGPIPE),
    (signal.SIGTERM, None),
    (signal.SIGINT, None),
    (signal.SIGHUP, None),
    (signal.SIGSTOP, None),     # stopped for a whole flood, SIGCONT, SIGTERM
)


class Target:
    """One bufscope command under test: started on a flood workload's pid,
    stopped by a signal; its counts checked when it ends cleanly."""

    def __init__(self, ctx, cmd, port):
        self.ctx, self.cmd, self.port = ctx, cmd, port
        self.serve = None
        self.bs = None

    def start(self, w):
        if self.cmd == "serve":
            self.serve = Serve(self.ctx, self.port, ["-p", str(w.pid)], ready_line=True)
            self.bs = self.serve.bs
        else:
            args = [self.cmd, "-o", "json", "-p", str(w.pid)]
            if self.cmd == "top":
                args += ["-i", "1"]
            self.bs = Bufscope(self.ctx, args)
            self.bs.wait_ready()
        return self.bs.proc.p.pid

    def counts_before_stop(self):
        """serve's counts of the workload (a scrape before SIGTERM)."""
        if not self.serve:
            return None
        expo = self.serve.expo()
        return {"reads": expo.total("bufscope_reads_total", process=FLOOD_COMM),
                "bytes": expo.total("bufscope_read_bytes_total", process=FLOOD_COMM)}


def check_stopped_counts(errs, t, w, objs, scraped):
    """After the SIGSTOP run: top's and serve's counts of the flood exact;
    trace's records plus its losses = the workload's reads, with losses."""
    where = "%s stopped during the flood" % t.cmd
    note(t.ctx, "%s: workload reads %d bytes %d; bufscope %r" % (
        where, w.done["reads"], w.done["bytes"], scraped or [
            (s.get("reads"), s.get("bytes")) for s in summary_of(objs, where)["sockets"]
            if s.get("pid") == w.pid]))
    if t.cmd == "serve":
        errs.eq(where + ": bufscope_reads_total", scraped["reads"], w.done["reads"])
        errs.eq(where + ": bufscope_read_bytes_total", scraped["bytes"], w.done["bytes"])
        return
    summary = summary_of(objs, where)
    if t.cmd == "trace":
        records, lost = check_trace_counts(errs, objs, summary, w)
        note(t.ctx, "%s: %d read records + %d lost = workload's %d recv() calls"
             % (where, records, lost, w.done["calls"]))
        errs.true(where + ": no record lost although the ring buffer overflowed "
                  "(lost_events %d)" % lost, lost > 0)
        return
    sock = find_socket(summary.get("sockets", []), w.conns[0], where)
    for f in ("reads", "bytes"):
        errs.eq(where + ": summary " + f, sock.get(f), w.done[f])
    procs = [p for p in summary.get("processes", []) if p.get("pid") == w.pid]
    errs.true(where + ": the workload's process in the summary", len(procs) == 1)
    if procs:
        errs.eq(where + ": process bytes", procs[0].get("bytes"), w.done["bytes"])


def one_signal(ctx, t, sig, want_rc, stopped):
    """Starts t on a fresh flood, sends sig, checks how it ended and what it
    left; returns a list of problems (those of the SIGSTOP run's counts go
    to `stopped`)."""
    errs = Errs()
    name = signal.Signals(sig).name
    before = net_state()
    big = sig == signal.SIGSTOP
    # SIGSTOP: stopped for the whole flood; trace's 16 MiB ring overflows
    # with 24 MB read 64 bytes at a time (375,000 records)
    nbytes = (24000000 if t.cmd == "trace" else 4000000) if big else 200000
    w = StreamWl("flood", ["--port", t.port + 1, "--bytes", nbytes, "--chunk", 64,
                           "--comm", FLOOD_COMM])
    pid = t.start(w)
    held = held_ids(pid)
    errs.true("%s: holds no BPF program, map or link (fdinfo): %r" % (name, held),
              held["prog"] and held["map"] and held["link"])
    scraped = None
    if big:
        t.bs.proc.signal(signal.SIGSTOP)
        w.go()
        w.wait_done(120)
        time.sleep(0.5)
        t.bs.proc.signal(signal.SIGCONT)
        time.sleep(SETTLE)
        scraped = t.counts_before_stop()
        sig = signal.SIGTERM
    else:
        w.go()
        w.wait_done()
    t.bs.proc.signal(sig)
    rc = t.bs.wait_exit("after %s" % name, timeout=scaled(15))
    w.finish()
    if want_rc is not None:
        errs.eq("%s: exit status" % name, rc, want_rc)
    else:
        errs.eq("%s: exit status (stderr %s)" % (name, one_line(t.bs.proc.err())), rc, 0)
        objs = None
        if t.cmd != "serve":
            objs = parse_lines(t.bs.proc.out(), "%s after %s" % (t.cmd, name))
            summary_of(objs, "%s after %s" % (t.cmd, name))
        if big:
            check_stopped_counts(stopped, t, w, objs, scraped)
    left = wait_released(held)
    note(ctx, "%s %s: exit %s; held %s; alive after: %r" % (
        t.cmd, name, rc, {k: len(v) for k, v in held.items()}, left))
    errs.true("%s: BPF objects still alive after the process ended: %r" % (name, left),
              not left)
    after = net_state()
    errs.true("%s: lo's qdiscs, filters or /sys/fs/bpf changed: %r -> %r"
              % (name, before, after), before == after)
    return errs


def last_run_works(ctx, errs):
    res = subprocess.run([ctx.bufscope] + with_attach(["top", "-o", "json", "-d", "1"]),
                         capture_output=True, timeout=scaled(30))
    errs.eq("the run after: exit status (%s)" % one_line(res.stderr), res.returncode, 0)
    summary_of(parse_lines(res.stdout, "the run after"), "the run after")


@scenario("faults_signals_top", "faults_signals_trace", "faults_signals_serve",
          "faults_sigstop_top", "faults_sigstop_trace", "faults_sigstop_serve")
def t_signals(ctx, rec):
    for i, cmd in enumerate(("top", "trace", "serve")):
        t = Target(ctx, cmd, PORT + 10 * i)
        stopped = Errs()

        def check(errs):
            for sig, want in SIGNALS:
                try:
                    errs.extend(one_signal(ctx, t, sig, want, stopped))
                except Failure as e:
                    errs.append("%s: %s" % (signal.Signals(sig).name, e))
                    kill_all()
            last_run_works(ctx, errs)
        rec.check("faults_signals_" + cmd, check)
        rec.check("faults_sigstop_" + cmd, lambda errs: errs.extend(stopped))


# ------------------------------------------------------------------ output

def flood_until_exit(w, wait, timeout, what):
    """Starts the flood w, waits for bufscope's end (wait(seconds): its exit
    status or None), then the workload's: (exit status, seconds it took)."""
    t0 = time.monotonic()
    w.go()
    rc = wait(scaled(timeout))
    took = time.monotonic() - t0
    w.wait_done()
    w.finish()
    if rc is None:
        raise Failure("%s still runs %g s after the reads began" % (what, scaled(timeout)))
    return rc, took


class Tmpfs:
    """A small tmpfs mounted on a directory of ours, with `free` bytes left
    (a filler file takes the rest)."""

    def __init__(self, size_kb, free):
        self.dir = tempfile.mkdtemp(prefix="bs-faults-")
        run_cmd(["mount", "-t", "tmpfs", "-o", "size=%dk" % size_kb, "bsfaults",
                 self.dir], "mount tmpfs")
        st = os.statvfs(self.dir)
        fill = st.f_bavail * st.f_frsize - free
        with open(os.path.join(self.dir, "filler"), "wb") as f:
            f.write(b"\0" * max(fill, 0))

    def close(self):
        subprocess.run(["umount", self.dir], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


@scenario("faults_output_full_fs_trace", "faults_output_full_fs_top")
def t_full_fs(ctx, rec):
    for cmd, free in (("trace", 20000), ("top", 6000)):
        def check(errs, cmd=cmd, free=free):
            fs = Tmpfs(256, free)
            try:
                path = os.path.join(fs.dir, "out.json")
                with open(path, "wb") as f:
                    w, bs = flood_into(ctx, PORT + 50, 4000000,
                                       lambda w: [cmd, "-o", "json", "-i", "0.2", "-d", "30",
                                                  "-p", str(w.pid)],
                                       f)
                rc, took = flood_until_exit(w, bs.wait, 20,
                                            "`%s` on a full file system" % bs.cmdline)
                with open(path, "rb") as f:
                    data = f.read()
            finally:
                fs.close()
            errs.eq("exit status", rc, 1)
            errs.true("ended %.1f s after the reads began, not at -d" % took,
                      took < scaled(15))
            one_error_line(errs, bs, "bufscope: cannot write to standard output: "
                                     "No space left on device")
            objs = parse_lines(data, "the file on the full file system")
            errs.true("no whole line in the file", len(objs) > 0)
        rec.check("faults_output_full_fs_" + cmd, check)


def run_on_pty(ctx, args, w):
    """bufscope with stdin and stdout a pty; once it has written, the
    master is closed. Returns (exit status or None, seconds it took, stderr)."""
    master, slave = pty.openpty()
    try:
        bs = RawBufscope(ctx, args, slave)
    finally:
        os.close(slave)
    try:
        bs.wait_ready()
        w.go()
        time.sleep(1.5)
        os.read(master, 65536)
    finally:
        os.close(master)
    t0 = time.monotonic()
    rc = bs.wait(scaled(10))
    return rc, time.monotonic() - t0, bs


@scenario("faults_output_pty_gone_top", "faults_output_pty_gone_trace")
def t_pty(ctx, rec):
    for cmd, args in (("top", ["top", "-i", "0.5"]), ("trace", ["trace"])):
        def check(errs, cmd=cmd, args=args):
            w = StreamWl("flood", ["--port", PORT + 60, "--bytes", 2000000, "--chunk", 64])
            rc, took, bs = run_on_pty(ctx, args + ["-p", str(w.pid), "-d", "30"], w)
            w.wait_done()
            w.finish()
            if rc is None:
                raise Failure("`%s` still runs 10 s after its terminal went away"
                              % bs.cmdline)
            errs.eq("exit status (not a signal)", rc, 1)
            errs.true("ended %.1f s after the terminal went away" % took, took < scaled(3))
            one_error_line(errs, bs, "bufscope: cannot write to standard output: "
                                     "Input/output error (hint: the terminal went away")
        rec.check("faults_output_pty_gone_" + cmd, check)


@scenario("faults_output_head")
def t_head(ctx, rec):
    def check(errs):
        w = StreamWl("flood", ["--port", PORT + 70, "--bytes", 2000000, "--chunk", 64])
        sh = ("%s trace -o json -p %d -d 30 | head -1; echo \"status ${PIPESTATUS[0]}\" >&2"
              % (ctx.bufscope, w.pid))
        p = Proc(["bash", "-c", sh], label="trace | head -1")
        if p.wait_line("err", lambda l: b"ready" in l, READY_TIMEOUT) is None:
            raise Failure("no ready line: %s" % one_line(p.err()))
        rc, took = flood_until_exit(w, p.wait, 10, "`trace | head -1`")
        objs = parse_lines(p.out(), "head -1's output")
        errs.eq("lines head printed", len(objs), 1)
        errs.true("ended %.1f s after the reads began" % took, took < scaled(5))
        err = p.err().decode("utf-8", "replace")
        status = [l for l in err.splitlines() if l.startswith("status ")]
        after = err.split("ready", 1)[-1].splitlines()[1:]
        after = [l for l in after if not l.startswith("status ")]
        errs.true("bufscope's exit status: %r" % status,
                  status in (["status 141"], ["status 1"]))
        if status == ["status 141"]:
            errs.true("killed by SIGPIPE yet said something: %r" % after, not after)
        else:
            errs.true("exit 1 without one line saying why: %r" % after,
                      len(after) == 1 and "Broken pipe" in after[0])
    rec.check("faults_output_head", check)


# ------------------------------------------------------------- environment

def flood_top_in(ctx, setup, port, extra=()):
    """top -o json on a flood, bufscope started in a private mount namespace
    after the shell commands `setup`; the workload, exit status, bufscope."""
    w = StreamWl("flood", ["--port", port, "--bytes", 300000, "--chunk", 100])
    prefix = ("unshare", "-m", "sh", "-c", setup + '; exec "$0" "$@"')
    bs = Bufscope(ctx, ["top", "-o", "json", "-i", "1", "-p", str(w.pid)] + list(extra),
                  prefix=prefix)
    return w, run_beside(bs, w), bs


def check_flood_counts(errs, w, rc, bs, where):
    errs.eq(where + ": exit status (%s)" % one_line(bs.proc.err()), rc, 0)
    summary = summary_of(parse_lines(bs.proc.out(), where), where)
    sock = find_socket(summary.get("sockets", []), w.conns[0], where)
    for f in ("reads", "bytes"):
        errs.eq(where + ": " + f, sock.get(f), w.done[f])
    return summary, sock


def mounts_of(sh):
    """/proc/self/mounts' file system types in a shell after `sh`."""
    out = subprocess.run(["unshare", "-m", "sh", "-c", sh + "; cat /proc/self/mounts"],
                         capture_output=True, timeout=scaled(20)).stdout.decode()
    return [l.split()[2] for l in out.splitlines() if len(l.split()) > 2]


NO_TRACEFS = ("for m in $(awk '$3 == \"tracefs\" || $3 == \"debugfs\" {print $2}' "
              "/proc/self/mounts | sort -r); do umount -l $m; done")
# every cgroup2 mount gone; /sys/fs/cgroup made of v1 hierarchies only
CGROUP_V1 = ("for m in $(awk '$3 == \"cgroup2\" {print $2}' /proc/self/mounts | sort -r); "
             "do umount -l $m; done; "
             "if ! awk '$3 == \"cgroup\"' /proc/self/mounts | grep -q .; then "
             "mount -t tmpfs cgroup /sys/fs/cgroup && mkdir /sys/fs/cgroup/bsfaults && "
             "mount -t cgroup -o none,name=bsfaults cgroup /sys/fs/cgroup/bsfaults; fi")


@scenario("faults_env_no_tracefs")
def t_no_tracefs(ctx, rec):
    def check(errs):
        types = mounts_of(NO_TRACEFS)
        errs.true("the namespace still has tracefs or debugfs",
                  "tracefs" not in types and "debugfs" not in types)
        w, rc, bs = flood_top_in(ctx, NO_TRACEFS, PORT + 80)
        check_flood_counts(errs, w, rc, bs, "top without tracefs")
    rec.check("faults_env_no_tracefs", check)


@scenario("faults_env_cgroup_v1")
def t_cgroup_v1(ctx, rec):
    def check(errs):
        types = mounts_of(CGROUP_V1)
        errs.true("the namespace still has cgroup2, or no v1 hierarchy: %r" % types,
                  "cgroup2" not in types and "cgroup" in types)
        w, rc, bs = flood_top_in(ctx, CGROUP_V1, PORT + 81)
        summary, sock = check_flood_counts(errs, w, rc, bs, "top on cgroup v1")
        errs.eq("top on cgroup v1: the socket's cgroup (unknown)", sock.get("cgroup"), None)
        res = subprocess.run(["unshare", "-m", "sh", "-c", CGROUP_V1 + "; exec %s top -d 1 "
                              "--cgroup /system.slice" % ctx.bufscope],
                             capture_output=True, timeout=scaled(30))
        lines = res.stderr.decode("utf-8", "replace").splitlines()
        errs.eq("--cgroup on cgroup v1: exit status", res.returncode, 2)
        errs.true("--cgroup on cgroup v1: not one line saying v2 is needed: %r" % lines,
                  len(lines) == 1 and "needs cgroup v2" in lines[0] and "hint" in lines[0])
    rec.check("faults_env_cgroup_v1", check)


@scenario("faults_env_btf_missing", "faults_env_btf_truncated", "faults_env_btf_foreign")
def t_btf(ctx, rec):
    d = tempfile.mkdtemp(prefix="bs-faults-btf-")
    try:
        trunc = os.path.join(d, "vmlinux.part")
        with open("/sys/kernel/btf/vmlinux", "rb") as src, open(trunc, "wb") as dst:
            dst.write(src.read(4096))
        foreign = os.path.join(os.path.dirname(os.path.abspath(ctx.bufscope)),
                               "bufscope.bpf.o")
        cases = (("faults_env_btf_missing", os.path.join(d, "none"),
                  "kernel BTF not readable at"),
                 ("faults_env_btf_truncated", trunc, "cannot parse kernel BTF at"),
                 ("faults_env_btf_foreign", foreign, "no way to attach the read hook"))
        for name, path, want in cases:
            def check(errs, path=path, want=want):
                errs.true("%s exists" % path, name.endswith("missing") or os.path.exists(path))
                e = dict(os.environ, BUFSCOPE_BTF=path)
                res = subprocess.run([ctx.bufscope] + with_attach(["top", "-d", "1"]),
                                     capture_output=True, env=e, timeout=scaled(30))
                lines = res.stderr.decode("utf-8", "replace").splitlines()
                errs.eq("exit status", res.returncode, 1)
                errs.true("not one line %r with a hint: %r" % (want, lines),
                          len(lines) == 1 and want in lines[0] and "(hint: " in lines[0])
                errs.eq("nothing on stdout", res.stdout, b"")
            rec.check(name, check)
    finally:
        shutil.rmtree(d, ignore_errors=True)


@scenario("faults_env_hook_refused")
def t_hook_refused(ctx, rec):
    def check(errs):
        w, rc, bs = flood_top_in(ctx, "true", PORT + 82)
        summary, _ = check_flood_counts(errs, w, rc, bs, "top with the state hook refused")
        state = summary.get("attach", {}).get("state")
        lines = [l.decode("utf-8", "replace") for l in bs.proc.err().splitlines()]
        warn = [l for l in lines if "warning" in l]
        if state == "none":
            errs.true("not one warning line naming the state hook: %r" % lines,
                      len(warn) == 1 and "state hook off" in warn[0])
        else:   # a kernel that lets it load: nothing to warn about
            errs.eq("warnings with every hook attached", warn, [])
    rec.check("faults_env_hook_refused", check)


# ------------------------------------------------------- validate, SIGKILL

def our_netns(pid):
    out = run_cmd_out(["ip", "netns", "list"])
    return [l.split()[0] for l in out.splitlines() if l.startswith("bufscope-%d-" % pid)]


def root_links():
    """The root namespace's interfaces, by name."""
    return sorted(l["ifname"] for l in json.loads(run_cmd_out(["ip", "-j", "link", "show"])
                                                  or "[]"))


@scenario("faults_validate_sigkill")
def t_validate_kill(ctx, rec):
    """validate with a lossy path (its loss program on a clsact hook in the
    receiver's namespace) killed with SIGKILL mid-scenario: within seconds,
    without another run, its namespaces and what it held (fdinfo ids: its
    programs, maps, links, the loss program's too) are gone (its guard
    removes them); `validate --cleanup` then finds nothing of it; no
    interface, qdisc or filter added in the root namespace."""
    def check(errs):
        before, links_before = net_state(), root_links()
        fd, path = tempfile.mkstemp(prefix="bs-faults-", suffix=".ini")
        with os.fdopen(fd, "w") as f:    # a lossy path, and a reader that stalls
            f.write("[scenario]\nname = faults-kill\nport = %d\ntimeout = 30s\n"
                    "[network]\nto_receiver.loss = 2%%\n[sender]\nbytes = 4MiB\n"
                    "[receiver]\nbuf = 4KiB\nschedule = read 64KiB, stall 20s, read rest\n"
                    "[expect]\nreceiver.reads >= 1\n" % (PORT + 90))
        try:
            bs = Proc([ctx.bufscope, "validate", path, "--no-timeline"] +
                      with_attach([]), stdin=False, label="validate")
            pid = bs.p.pid
            if bs.wait_line("err", lambda l: b"ready" in l, scaled(READY_TIMEOUT)) is None:
                raise Failure("validate: no ready line: %s" % one_line(bs.err()))
            time.sleep(1)   # the flow runs, the reader stalls
            held = held_ids(pid)
            ns = our_netns(pid)
        finally:
            os.unlink(path)
        errs.true("its namespaces before the kill: %r" % ns, len(ns) == 2)
        errs.true("holds no BPF program (fdinfo): %r" % held, len(held["prog"]) > 0)
        bs.signal(signal.SIGKILL)
        errs.eq("exit status", bs.wait(scaled(STOP_TIMEOUT)), -signal.SIGKILL)
        t0 = time.monotonic()
        deadline = t0 + scaled(20)    # 0.1 s idle; up to 5 s seen on a busy machine
        while our_netns(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        left_ns = our_netns(pid)
        left_ids = wait_released(held)
        note(ctx, "validate after SIGKILL: namespaces gone after %.1f s; left: namespaces "
             "%r, BPF ids alive %r (held %s)" % (time.monotonic() - t0, left_ns, left_ids,
                                                {k: len(v) for k, v in held.items()}))
        errs.eq("namespaces left after SIGKILL (the guard removes them)", left_ns, [])
        errs.true("BPF objects alive after SIGKILL: %r" % left_ids, not left_ids)
        # the next run's cleanup finds nothing more of it
        res = subprocess.run([ctx.bufscope, "validate", "--cleanup"], capture_output=True,
                             timeout=scaled(60))
        errs.eq("--cleanup exit (%s)" % one_line(res.stderr), res.returncode, 0)
        errs.true("--cleanup found namespaces of the killed run: %s" % one_line(res.stderr),
                  ("bufscope-%d-" % pid).encode() not in res.stderr)
        errs.eq("namespaces after the next run", our_netns(pid), [])
        errs.eq("root namespace's interfaces", root_links(), links_before)
        after = net_state()
        errs.true("lo's qdiscs, filters or /sys/fs/bpf changed: %r -> %r"
                  % (before, after), before == after)
    rec.check("faults_validate_sigkill", check)


# ------------------------------------------------------------- full tables

@scenario("faults_map_drops_full")
def t_drop_map_full(ctx, rec):
    """The per-socket, per-reason drop table held to one entry
    (BUFSCOPE_DROP_MAP_SIZE=1, a test knob) under flow_drop_rcvq's flow (a
    receive buffer shrunk under a sender: PROTO_MEM drops, and segments
    beyond the window): the drops that found no place are counted
    (lost_events = the sockets' OTHER drops), the sockets' drops stay exact
    (= the trace's drop records, each kept by the ring buffer whatever the
    table) and so does their class (drops_lost = the records of lost
    reasons: OTHER's class is the kernel's counter), and the PROTO_MEM
    records = nstat."""
    port = PORT + 95
    env = FlowEnv(ctx)
    try:
        w = shrink_flow(ctx, env, port)
        bs = Bufscope(ctx, ["trace", "-e", "drop", "-o", "json", "-P", str(port)],
                      env=dict(os.environ, BUFSCOPE_DROP_MAP_SIZE="1"))
        bs.wait_ready()
        _, _, n0, n1 = flow_under_capture(env, w, port, 0.3)
        rc = bs.stop(signal.SIGINT)
        w.finish()
    finally:
        env.close()

    def check(errs):
        errs.eq("exit status (%s)" % one_line(bs.proc.err()), rc, 0)
        objs = parse_lines(bs.proc.out(), "trace with a drop table of 1")
        summary = summary_of(objs, "trace with a drop table of 1")
        records = {}
        for o in objs:
            if o["type"] == "drop":
                key = (o.get("cookie"), o.get("reason"))
                records[key] = records.get(key, 0) + 1
        if len(records) < 2:
            raise Failure("not reproduced: drops of %d (socket, reason) pairs, want 2 or "
                          "more to overflow a table of one: %r" % (len(records), records))
        unplaced = 0
        for s in summary.get("sockets", []):
            by = {r: n for (c, r), n in records.items() if c == s.get("cookie")}
            reasons = s.get("drop_reasons") or {}
            where = "socket %s" % s.get("cookie")
            errs.eq(where + ": drops (its drop records %r)" % by, s.get("drops"),
                    sum(by.values()))
            errs.eq(where + ": the sum of drop_reasons %r" % reasons,
                    sum(reasons.values()), s.get("drops"))
            errs.eq(where + ": drops_lost + drops_expected", (s.get("drops_lost") or 0) +
                    (s.get("drops_expected") or 0), s.get("drops"))
            # all lost here (PROTO_MEM, TCP_INVALID_*: docs/metrics.md), the
            # unplaced ones too: their class is the kernel's counter
            lost_by = sum(n for r, n in by.items() if r == "PROTO_MEM" or
                          r.startswith("TCP_INVALID_"))
            errs.eq(where + ": drops_lost (its records of lost reasons)",
                    s.get("drops_lost"), lost_by)
            unplaced += reasons.get("OTHER", 0)
        note(ctx, "drop table of 1: (socket, reason) drops %r; lost_events %s; OTHER %d"
             % (records, summary.get("lost_events"), unplaced))
        errs.true("no drop without a place in the table: %r" % records, unplaced > 0)
        errs.eq("lost_events (the drops whose reason was not kept: OTHER)",
                summary.get("lost_events"), unplaced)
        lost = sum(o.get("lost_events", 0) for o in objs if o["type"] == "lost")
        errs.eq("lost records' sum", lost, summary.get("lost_events"))
        proto_mem = sum(n for (c, r), n in records.items() if r == "PROTO_MEM")
        errs.eq("PROTO_MEM drop records (nstat TcpExtTCPRcvQDrop + TcpExtTCPOFODrop)",
                proto_mem, nstat_delta(n0, n1, "TcpExtTCPRcvQDrop") +
                nstat_delta(n0, n1, "TcpExtTCPOFODrop"))
    rec.check("faults_map_drops_full", check)


@scenario("faults_fold_spill_folds", "faults_fold_spill_split", "faults_fold_spill_truth",
          "faults_fold_spill_unowned")
def t_fold_spill(ctx, rec):
    """foldclass's run (closes folded in the kernel while bufscope is
    stopped, zero-window probes among their drops) with the table of
    readers with folded closes held to one (BUFSCOPE_FOLD_MAP_SIZE=1, a test
    knob): the folds that find it full go to the spill slot, counted in
    close_fold_unowned and shown as an entry without owner; foldclass's
    checks hold all the same (the drops and their class = the capture's
    probes and duplicates, nstat's lost data)."""
    from scen_foldclass import run_foldclass, check_foldclass, FOLDCLASS_PORT_BASE
    res = run_foldclass(ctx, FOLDCLASS_PORT_BASE + 2,
                        dict(os.environ, BUFSCOPE_FOLD_MAP_SIZE="1"))
    check_foldclass(rec, "faults_fold_spill", res)
    summary = res[1]

    def unowned(errs):
        spilled = [s for s in summary["sockets"] if s["folded"] and s["pid"] is None
                   and s["comm"] is None]
        note(ctx, "fold table of 1: close_folded %s, close_fold_unowned %s, entries "
             "without owner %d" % (summary.get("close_folded"),
                                   summary.get("close_fold_unowned"), len(spilled)))
        errs.true("close_fold_unowned %r: no fold found the table full"
                  % summary.get("close_fold_unowned"), summary.get("close_fold_unowned", 0) > 0)
        errs.true("no folded entry without owner (the spill slot)", spilled)
        errs.true("close_fold_unowned %r > close_folded %r"
                  % (summary.get("close_fold_unowned"), summary.get("close_folded")),
                  summary.get("close_fold_unowned", 0) <= summary.get("close_folded", 0))
    rec.check("faults_fold_spill_unowned", unowned)


def two_stalled_reader():
    """Two connections to one port, both stalled: accepts both, then
    closing_socat's slow read (nothing for `stall` seconds, then to the end)
    of each in turn; prints the bytes of each."""
    import textwrap
    from scen_closing import SLOW_READ
    return ("import socket, sys, time\n"
            "port, stall = int(sys.argv[1]), float(sys.argv[2])\n"
            "ls = socket.socket()\n"
            "ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)\n"
            "ls.bind(('127.0.0.1', port))\n"
            "ls.listen(2)\n"
            "print('listening', flush=True)\n"
            "for c in [ls.accept()[0] for _ in range(2)]:\n" +
            textwrap.indent(SLOW_READ, "    "))


@scenario("faults_closing_full")
def t_closing_full(ctx, rec):
    """closing_socat's run twice at once (two socat writers close with most
    of 2 MB unsent into one reader that stalls) with the table of closing
    sockets held to one (BUFSCOPE_CLOSING_MAP_SIZE=1, a test knob): the
    second to close finds it full; it is marked zero_window_recv_incomplete
    and its count is at most the capture's; the other's is the capture's."""
    from scen_closing import payload_file
    port = PORT + 96
    nbytes = 2 * 1024 * 1024
    tmp = payload_file(nbytes)
    env = FlowEnv(ctx)
    try:
        reader = Proc(env.prefix() + ["python3", "-c", two_stalled_reader(), str(port), "2"],
                      stdin=False, label="two stalled")
        if reader.wait_line("out", lambda l: l.startswith(b"listening"), scaled(10)) is None:
            raise Failure("the reader did not start: %s" % one_line(reader.err()))
        bs = Bufscope(ctx, ["top", "-o", "json", "-i", "1", "-P", str(port)],
                      env=dict(os.environ, BUFSCOPE_CLOSING_MAP_SIZE="1"))
        bs.wait_ready()
        cap = Capture(env, port)
        writers = [Proc(env.prefix() + ["socat", "-u", "FILE:" + os.path.join(tmp, "payload"),
                                        "TCP:127.0.0.1:%d" % port], stdin=False, label="socat")
                   for _ in range(2)]
        pids = [w.p.pid for w in writers]
        for w in writers:
            if w.wait(scaled(30)) != 0:
                raise Failure("socat failed: %s" % one_line(w.err()))
        if reader.wait(scaled(60)) is None:
            raise Failure("the reader did not finish")
        got = [int(l.split()[1]) for l in reader.out().splitlines() if l.startswith(b"read ")]
        time.sleep(0.5)
        cap.stop()
        objs, summary = bufscope_result(bs)
        pkts = cap.need()
    finally:
        env.close()
        shutil.rmtree(tmp, ignore_errors=True)

    def check(errs):
        errs.eq("bytes the reader got", got, [nbytes, nbytes])
        # by pid: -P matches the port in every namespace, and other tests'
        # ephemeral ports may be this one
        senders = [s for s in summary.get("sockets", []) if s.get("rport") == port
                   and s.get("pid") in pids]
        if len(senders) != 2:
            raise Failure("%d sender sockets in the summary, want 2: %r" % (len(senders), [
                (s.get("pid"), s.get("comm"), s.get("lport"), s.get("rport"), s.get("state"),
                 s.get("folded"), s.get("zero_window_recv"))
                for s in summary.get("sockets", [])]))
        marks = []
        for s in senders:
            mine = [p for p in pkts if s.get("lport") in (p["sport"], p["dport"])]
            a = analyze_capture(mine, port)
            if not a["zw_segments"]:
                raise Failure("not reproduced: no zero window towards %s" % s.get("lport"))
            inc = s.get("zero_window_recv_incomplete")
            marks.append(inc)
            note(ctx, "closing table of 1: sender %s: zero_window_recv %s, capture %d, "
                 "incomplete %s" % (s.get("lport"), s.get("zero_window_recv"),
                                    a["zw_segments"], inc))
            if inc:
                errs.true("sender %s marked incomplete: %s window-0 segments, more than "
                          "the capture's %d" % (s.get("lport"), s.get("zero_window_recv"),
                                                a["zw_segments"]),
                          s.get("zero_window_recv") <= a["zw_segments"])
            else:
                errs.eq("sender %s zero_window_recv (capture)" % s.get("lport"),
                        s.get("zero_window_recv"), a["zw_segments"])
        errs.eq("senders marked zero_window_recv_incomplete (the table holds one)",
                sorted(marks), [False, True])
    rec.check("faults_closing_full", check)
