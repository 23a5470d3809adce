"""`bufscope hist` against ground truth.

- socat reading a TCP connection with `-b 3000`, under strace: each read(2)
  on the accepted socket, its requested size and what it returned, is the
  truth; bufscope's requested-size and returned-size histograms of socat must
  hold exactly those reads, bucket by bucket (this file buckets strace's
  numbers itself: slot k holds [2^(k-1), 2^k), slot 0 holds 0).
- usage errors of hist, like top's.
"""
from harness import *

import random
import shutil
import socket

HIST_PORT_BASE = 29100       # this part's ports: 29100-29199 (below the ephemeral range)
SOCAT_BUF = 3000
SOCAT_CHUNKS = 300


def log2_slot(v):
    """The bucket of v: 0 for 0, else 1 + floor(log2 v), at most 31."""
    return min(v.bit_length(), 31)


def buckets_of(values):
    """{(low, high): count} as bufscope prints them ([low, high, count])."""
    out = {}
    for v in values:
        k = log2_slot(v)
        low = 0 if k == 0 else 1 << (k - 1)
        high = None if k == 31 else 1 << k
        out[(low, high)] = out.get((low, high), 0) + 1
    return out


def printed_buckets(h):
    return {(b[0], b[1]): b[2] for b in h["buckets"]}


def hist_objects(bs, sig=signal.SIGINT):
    """Stops hist; checks it exited 0 with one hist_summary, last."""
    rc = bs.stop(sig) if sig else bs.wait_exit("(-d given)")
    objs = bs.objects()
    if rc != 0:
        raise Failure("`%s` exited %d; stderr: %s"
                      % (bs.cmdline, rc, one_line(bs.proc.err())))
    sums = [o for o in objs if o["type"] == "hist_summary"]
    if len(sums) != 1 or objs[-1] is not sums[0]:
        raise Failure("`%s` printed %d hist_summary objects (want 1, last)"
                      % (bs.cmdline, len(sums)))
    return objs, sums[0]


def strace_reads(path, fd):
    """(requested, returned) of each read(fd, ...) that returned data."""
    pat = re.compile(r"^\d+\s+read\(%d, .*, (\d+)\)\s+=\s+(-?\d+)" % fd)
    out = []
    with open(path) as f:
        for line in f:
            m = pat.match(line)
            if m and int(m.group(2)) > 0:
                out.append((int(m.group(1)), int(m.group(2))))
    return out


def strace_accepted_fd(path):
    with open(path) as f:
        for line in f:
            m = re.match(r"^\d+\s+accept4?\(.*\)\s+=\s+(\d+)", line)
            if m:
                return int(m.group(1))
    raise Failure("strace saw no accept: %s" % one_line(open(path).read()))


@scenario("hist_socat_strace_req", "hist_socat_strace_ret", "hist_socat_groups")
def t_hist_socat(ctx, rec):
    for prog in ("socat", "strace"):
        if not shutil.which(prog):
            raise Failure("prerequisite: %s is not installed (make deps)" % prog)
    port = HIST_PORT_BASE + os.getpid() % 100
    trace = "/tmp/bufscope-hist-strace-%d.txt" % os.getpid()
    bs = Bufscope(ctx, ["hist", "-P", str(port), "-o", "json"])
    bs.wait_ready()
    socat = Proc(["strace", "-f", "-qq", "-s", "0", "-e", "trace=read,accept,accept4",
                  "-o", trace, "socat", "-b", str(SOCAT_BUF), "-u",
                  "TCP4-LISTEN:%d,reuseaddr" % port, "GOPEN:/dev/null"],
                 stdin=False, label="socat")
    deadline = time.monotonic() + scaled(5)
    conn = None
    while conn is None:
        try:
            conn = socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError:
            if time.monotonic() > deadline:
                raise Failure("socat did not listen on %d" % port)
            time.sleep(0.05)
    rnd = random.Random(port)
    sent = 0
    for i in range(SOCAT_CHUNKS):
        n = rnd.choice((1, 7, 100, 1000, 2999, 3000, 3001, 9000, 40000))
        conn.sendall(b"h" * n)
        sent += n
        if i % 3 == 0:
            time.sleep(0.002)
    conn.close()
    if socat.wait(scaled(10)) is None:
        raise Failure("socat did not end after the sender closed")
    objs, summary = hist_objects(bs)
    reads = strace_reads(trace, strace_accepted_fd(trace))
    os.unlink(trace)
    groups = [g for g in summary["groups"] if g["comm"] == "socat"]

    def group(errs):
        errs.eq("socat groups", len(groups), 1)
        errs.eq("strace: bytes read", sum(r for _, r in reads), sent)
        errs.true("strace saw reads", len(reads) > SOCAT_CHUNKS / 10)
        if groups:
            errs.eq("socat's sockets", groups[0]["sockets"], 1)
            errs.eq("by", summary["by"], "process")

    def req(errs):
        if not groups:
            raise Failure("no socat group in %s" % one_line(json.dumps(summary)))
        h = groups[0]["hist"]["req_bytes"]
        errs.eq("requested sizes: reads", h["count"], len(reads))
        errs.eq("requested sizes: buckets", printed_buckets(h),
                buckets_of([q for q, _ in reads]))

    def ret(errs):
        if not groups:
            raise Failure("no socat group")
        h = groups[0]["hist"]["read_bytes"]
        errs.eq("returned sizes: reads", h["count"], len(reads))
        errs.eq("returned sizes: buckets", printed_buckets(h),
                buckets_of([r for _, r in reads]))
        # every read has a queue depth before it, at least what it returned
        q = groups[0]["hist"]["queue_bytes"]
        errs.eq("queue depths: reads", q["count"], len(reads))

    rec.check("hist_socat_groups", group)
    rec.check("hist_socat_strace_req", req)
    rec.check("hist_socat_strace_ret", ret)


@scenario("hist_usage_errors")
def t_hist_usage(ctx, rec):
    def check(errs):
        for args, want in ((["hist", "--sort", "queue"], "does not apply to hist"),
                           (["hist", "--by", "thread"], "unknown grouping"),
                           (["hist", "-e", "read"], "does not apply to hist")):
            p = subprocess.run([ctx.bufscope] + args, capture_output=True, timeout=10)
            errs.eq("%s: exit" % " ".join(args), p.returncode, 2)
            errs.true("%s: says %r (got %r)" % (" ".join(args), want, p.stderr[:200]),
                      want.encode() in p.stderr)
        # like top: a process that does not exist is an error now
        p = subprocess.run([ctx.bufscope, "hist", "-p", "999999999"], capture_output=True,
                           timeout=10)
        errs.eq("hist -p 999999999: exit", p.returncode, 1)
        errs.true("hist -p 999999999 says no such process (got %r)" % p.stderr[:200],
                  b"no such process" in p.stderr)
        p = subprocess.run([ctx.bufscope, "hist", "--help"], capture_output=True, timeout=10)
        errs.eq("hist --help: exit", p.returncode, 0)
        for word in (b"Usage: bufscope hist", b"--by", b"Examples:"):
            errs.true("hist --help has %r" % word, word in p.stdout)
        errs.true("hist --help has no --sort", b"--sort" not in p.stdout)

    rec.check("hist_usage_errors", check)


HISTWL_READS = 300      # 100 of each requested size (1 KiB, 4 KiB, 64 KiB)


def run_hist(ctx, wl_args, interval):
    """histwl under `bufscope hist -o json -P its port [-i interval]`;
    returns (its done line, hist objects, the hist_summary)."""
    w = Workload(ctx, "histwl", wl_args)
    args = ["hist", "-o", "json", "-P", str(w.conns[0]["lport"])]
    if interval:
        args += ["-i", str(interval)]
    bs = Bufscope(ctx, args)
    bs.wait_ready()
    w.go()
    done = w.wait_done()
    time.sleep(SETTLE)
    objs, summary = hist_objects(bs)
    w.finish()
    return w, done, objs, summary


def the_group(summary, pid):
    groups = [g for g in summary["groups"] if g["pid"] == pid]
    if len(groups) != 1:
        raise Failure("want one group of pid %d, got %s"
                      % (pid, one_line(json.dumps(summary["groups"]))))
    return groups[0]


@scenario("hist_truth_req", "hist_truth_ret", "hist_truth_queue", "hist_truth_counts",
          "hist_truth_intervals")
def t_hist_truth(ctx, rec):
    w, d, objs, summary = run_hist(ctx, ["--reads", str(HISTWL_READS)], 1)
    truth = d["hist"]
    g = the_group(summary, w.pid)
    h = g["hist"]

    def counts(errs):
        errs.eq("workload reads", d["reads"], HISTWL_READS)
        errs.eq("workload: every read returned min(requested, queued)",
                d["not_min_reads"], 0)
        errs.eq("comm", g["comm"], w.comm)
        errs.eq("sockets", g["sockets"], 1)
        for k in ("req_bytes", "read_bytes", "queue_bytes", "byte_age_us", "gap_us"):
            want = d["reads"] - 1 if k == "gap_us" else d["reads"]
            # residence needs the byte's arrival among the last few kept:
            # each read takes what one send brought, so every read has one
            errs.eq("%s count" % k, h[k]["count"], want)
            errs.eq("%s count = sum of buckets" % k,
                    sum(b[2] for b in h[k]["buckets"]), h[k]["count"])
    rec.check("hist_truth_counts", counts)

    for name, theirs in (("req", "req_bytes"), ("ret", "ret_bytes"),
                         ("queue", "queue_bytes")):
        key = {"req": "req_bytes", "ret": "read_bytes", "queue": "queue_bytes"}[name]

        def one(errs, key=key, theirs=theirs):
            errs.eq("hist %s buckets (bufscope vs workload %s)" % (key, theirs),
                    [list(b) for b in h[key]["buckets"]], truth[theirs])
            # the percentiles are the buckets holding them, from the truth
            total = sum(b[2] for b in truth[theirs])
            for p in (50, 90, 99):
                seen = 0
                for lo, hi, n in truth[theirs]:
                    seen += n
                    if seen >= total * p / 100:
                        errs.eq("%s p%d" % (key, p), h[key]["p%d" % p], [lo, hi])
                        break
        rec.check("hist_truth_" + name, one)

    def intervals(errs):
        ivs = [o for o in objs if o["type"] == "hist_interval"]
        errs.true("interval objects printed", len(ivs) >= 1)
        for k in ("req_bytes", "read_bytes", "queue_bytes", "byte_age_us", "gap_us"):
            sums = {}
            for o in ivs:
                for grp in o["groups"]:
                    if grp["pid"] != w.pid:
                        continue
                    for lo, hi, n in grp["hist"][k]["buckets"]:
                        sums[(lo, hi)] = sums.get((lo, hi), 0) + n
            errs.eq("%s: the intervals' buckets add up to the summary's" % k,
                    sums, {(b[0], b[1]): b[2] for b in h[k]["buckets"]})
    rec.check("hist_truth_intervals", intervals)


@scenario("hist_table")
def t_hist_table(ctx, rec):
    """The table: the same counts as histwl's own, as lines with bars."""
    w = Workload(ctx, "histwl", ["--reads", str(HISTWL_READS)])
    bs = Bufscope(ctx, ["hist", "-P", str(w.conns[0]["lport"])])
    bs.wait_ready()
    w.go()
    d = w.wait_done()
    time.sleep(SETTLE)
    rc = bs.stop()
    w.finish()
    out = bs.proc.out().decode("utf-8", "replace")

    def check(errs):
        errs.eq("exit", rc, 0)
        errs.true("a whole-run header (got %r)" % out[:200],
                  "(the whole run)" in out)
        errs.true("the group: pid %d %s" % (w.pid, w.comm),
                  ("pid %d %s: 1 socket" % (w.pid, w.comm)) in out)
        errs.true("requested sizes: %d reads" % d["reads"],
                  "requested read size (bytes): %d reads" % d["reads"] in out)
        # one line per bucket from the truth: "low -> high-1 : count |bar|"
        for lo, hi, n in d["hist"]["req_bytes"]:
            pat = r"\b%d -> %d\s+: %d\s+\|\*+\s*\|" % (lo, hi - 1, n)
            errs.true("a bucket line %d -> %d : %d" % (lo, hi - 1, n),
                      re.search(pat, out) is not None)
    rec.check("hist_table", check)
