"""A long run of connection churn: the collector's memory and CPU per interval
must not grow with the sockets that came and went (the model evicts closed
sockets into per-process aggregates), and its totals must stay exact.

ab (no keep-alive) against nginx, in batches of LONGRUN_RATE requests once a
second: a bounded rate of short connections, each ab run a new process (so
the per-process aggregates are many, and their own bound is reached in a
long run). bufscope watches nginx's port (-P). Every second the collector's
RSS (/proc/PID/status VmRSS) and CPU time (utime + stime, /proc/PID/stat)
are sampled. The totals are compared with nginx's access log and ab's
reports, as in scen_churn.py.

BUFSCOPE_LONGRUN_S sets the length (default LONGRUN_S, for CI);
BUFSCOPE_LONGRUN_SAMPLES names a file that gets one line per sample (the
30-minute figure of docs/performance.md is measured this way).
"""
from harness import *
from realprogs import Nginx
from scen_churn import Ab

import tempfile

LONGRUN_PORT = 29080        # below the ephemeral range
LONGRUN_S = 90.0
LONGRUN_RATE = 1000         # connections a second (ab's requests)
LONGRUN_CONCURRENCY = 4
LONGRUN_INDEX_BYTES = 300
RSS_GROWTH_KB = 5 * 1024    # first third to the end
# CPU per interval, last third vs first: noisy on shared cores, so a ratio
# and a floor; growing with the sockets seen it would double and more
CPU_RATIO = 1.5
CPU_FLOOR_TICKS = 2.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
# the summary: live sockets, MODEL_MAX_CLOSED closed ones, those closed in the
# last two passes, aggregates (model.h)
MODEL_MAX_CLOSED = 1024


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise Failure("no VmRSS in /proc/%d/status" % pid)


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])    # utime, stime


class Batches:
    """ab runs of `rate` requests, one started each second for `seconds`
    (the next waits for the last to end: the rate is at most `rate`)."""

    def __init__(self, port, rate, seconds):
        self.port, self.rate, self.seconds = port, rate, seconds
        self.reports = []
        self.error = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()

    def completed(self):
        return sum(r["complete"] for r in self.reports)

    def _run(self):
        try:
            start = time.monotonic()
            k = 0
            while time.monotonic() - start < self.seconds:
                ab = Ab(self.port, self.rate, LONGRUN_CONCURRENCY)
                ab.go()
                self.reports.append(ab.report(scaled(60)))
                k += 1
                delay = start + k - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        except Exception as e:
            self.error = e
        finally:
            self.done.set()


class Sampler:
    """The collector's RSS and CPU ticks once a second, with the connections
    made so far; each sample also to `path` when given."""

    def __init__(self, pid, batches, path=None):
        self.pid, self.batches = pid, batches
        self.samples = []      # (seconds, rss kB, cpu ticks, connections)
        self.stop = threading.Event()
        self.out = open(path, "w") if path else None
        if self.out:
            self.out.write("# seconds rss_kb cpu_ticks(%d/s) connections\n" % CLK_TCK)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.start = time.monotonic()
        self.thread.start()

    def _run(self):
        while not self.stop.wait(1.0):
            try:
                s = (time.monotonic() - self.start, rss_kb(self.pid),
                     cpu_ticks(self.pid), self.batches.completed())
            except (OSError, Failure):
                return
            self.samples.append(s)
            if self.out:
                self.out.write("%.1f %d %d %d\n" % s)
                self.out.flush()

    def finish(self):
        self.stop.set()
        self.thread.join()
        if self.out:
            self.out.close()


def stream_objects(path, workers):
    """bufscope's JSON lines, read one at a time (a long run writes many):
    the intervals' sums for nginx's workers, and the summary."""
    sums = {"intervals": 0, "bytes": 0, "reads": 0, "sockets": 0}
    summary, nsum = None, 0
    with open(path, "rb") as f:
        for i, line in enumerate(f):
            if not line.strip():
                continue
            try:
                o = json.loads(line.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                raise Failure("stdout line %d is not JSON (%s): %r" % (i + 1, e, line[:200]))
            if o.get("type") == "error":
                raise Failure("bufscope printed an error object: %r" % o)
            if o.get("type") == "interval":
                sums["intervals"] += 1
                for p in o["processes"]:
                    if p["pid"] in workers:
                        for k in ("bytes", "reads", "sockets"):
                            sums[k] += p[k]
            elif o.get("type") == "summary":
                summary, nsum = o, nsum + 1
    if nsum != 1:
        raise Failure("%d summary objects, want 1" % nsum)
    return sums, summary


def third_means(samples, lo, hi):
    return [s for s in samples if lo <= s[0] < hi]


def cpu_per_interval(samples):
    """CPU ticks per second between consecutive samples."""
    return [(b[2] - a[2]) / (b[0] - a[0]) for a, b in zip(samples, samples[1:])
            if b[0] > a[0]]


@scenario("longrun_sources", "longrun_memory", "longrun_cpu", "longrun_exact",
          "longrun_bounded")
def t_longrun(ctx, rec):
    seconds = float(os.environ.get("BUFSCOPE_LONGRUN_S", LONGRUN_S))
    page = ("longrun " * 60)[:LONGRUN_INDEX_BYTES - 1] + "\n"
    ngx = Nginx(LONGRUN_PORT, {"index.html": page}, "$request_length $bytes_sent $status",
                prefix="bufscope-longrun-")
    out = tempfile.NamedTemporaryFile(prefix="bufscope-longrun-", suffix=".json",
                                      delete=False)
    try:
        bs = Bufscope(ctx, ["top", "-o", "json", "-i", "1", "-P", str(LONGRUN_PORT)],
                      stdout=out.fileno())
        bs.wait_ready()
        batches = Batches(LONGRUN_PORT, LONGRUN_RATE, seconds)
        sampler = Sampler(bs.proc.p.pid, batches,
                          os.environ.get("BUFSCOPE_LONGRUN_SAMPLES"))
        batches.start()
        batches.done.wait(seconds + scaled(120))
        time.sleep(SETTLE)
        sampler.finish()
        rc = bs.stop()
        if rc != 0:
            raise Failure("bufscope exited %d: %s" % (rc, one_line(bs.proc.err())))
        if batches.error:
            raise batches.error
        log = ngx.log_lines()
        sums, summary = stream_objects(out.name, ngx.workers)
    finally:
        ngx.close()
        out.close()
        os.unlink(out.name)
    samples = sampler.samples
    made = batches.completed()
    third = seconds / 3

    def sources(errs):
        errs.eq("ab: failed requests", sum(r["failed"] for r in batches.reports), 0)
        errs.eq("nginx: access log lines vs ab's complete requests", len(log), made)
        errs.eq("nginx: bytes sent (log) vs ab's total transferred",
                sum(l[1] for l in log), sum(r["transferred"] for r in batches.reports))
        errs.true("only %d connections in %.0fs: want at least half of %d/s"
                  % (made, seconds, LONGRUN_RATE), made >= seconds * LONGRUN_RATE / 2)
    rec.check("longrun_sources", sources)

    first = third_means(samples, third - 10, third)
    last = third_means(samples, seconds - 10, seconds + 1)
    conns_third = first[-1][3] if first else 0

    def memory(errs):
        errs.true("too few samples: %d around a third, %d at the end"
                  % (len(first), len(last)), first and last)
        if not (first and last):
            return
        rss_third = max(s[1] for s in first)
        rss_end = max(s[1] for s in last)
        print("  longrun: RSS %d kB at %.0fs (%d connections), %d kB at %.0fs "
              "(%d connections), peak %d kB"
              % (rss_third, first[-1][0], conns_third, rss_end, last[-1][0], last[-1][3],
                 max(s[1] for s in samples)), file=sys.stderr, flush=True)
        errs.true("the sockets seen did not grow: %d at a third, %d at the end"
                  % (conns_third, last[-1][3]), last[-1][3] >= 2 * conns_third > 0)
        errs.true("RSS grew %d kB from a third (%d kB) to the end (%d kB): more "
                  "than %d kB" % (rss_end - rss_third, rss_third, rss_end, RSS_GROWTH_KB),
                  rss_end - rss_third <= RSS_GROWTH_KB)
    rec.check("longrun_memory", memory)

    def cpu(errs):
        # after the first 5 s (start-up), and before ab's last run ends
        early = cpu_per_interval(third_means(samples, 5, third))
        late = cpu_per_interval(third_means(samples, 2 * third, seconds))
        errs.true("too few samples: %d early, %d late" % (len(early), len(late)),
                  len(early) >= 5 and len(late) >= 5)
        if len(early) < 5 or len(late) < 5:
            return
        e = sum(early) / len(early)
        l = sum(late) / len(late)
        print("  longrun: CPU %.2f ticks/s in the first third, %.2f in the last "
              "(%d ticks/s)" % (e, l, CLK_TCK), file=sys.stderr, flush=True)
        errs.true("CPU per interval grew: %.2f ticks/s in the first third, %.2f "
                  "in the last" % (e, l), l <= e * CPU_RATIO + CPU_FLOOR_TICKS)
    rec.check("longrun_cpu", cpu)

    def exact(errs):
        workers = [p for p in summary["processes"] if p["pid"] in ngx.workers]
        errs.true("no nginx worker in the summary's processes", workers)
        errs.eq("nginx workers: bytes read vs sum of $request_length",
                sum(p["bytes"] for p in workers), sum(l[0] for l in log))
        errs.eq("nginx workers: data reads vs requests logged",
                sum(p["reads"] for p in workers), len(log))
        socks = sum(p["sockets"] for p in workers)
        errs.true("nginx workers: %d sockets, want %d to %d"
                  % (socks, made, made + LONGRUN_CONCURRENCY * len(batches.reports)),
                  made <= socks <= made + LONGRUN_CONCURRENCY * len(batches.reports))
        # the intervals' deltas (one cursor) add up to the summary, across
        # evictions
        errs.eq("nginx workers: bytes summed over the intervals vs the summary",
                sums["bytes"], sum(p["bytes"] for p in workers))
        errs.eq("nginx workers: reads summed over the intervals vs the summary",
                sums["reads"], sum(p["reads"] for p in workers))
        # ab: its processes are many (one a second), folded by the model
        # into their command's aggregate beyond its bound: by comm
        ab = [s for s in summary["sockets"] if s["comm"] == "ab"]
        errs.eq("ab: bytes read vs ab's total transferred",
                sum(s["bytes"] for s in ab),
                sum(r["transferred"] for r in batches.reports))
        errs.eq("ab: sockets vs complete requests",
                sum(s["folded_sockets"] if s["folded"] else 1 for s in ab), made)
        errs.eq("lost_events", summary["lost_events"], 0)
    rec.check("longrun_exact", exact)

    def bounded(errs):
        n = len(summary["sockets"])
        evicted = [s for s in summary["sockets"] if s["evicted"]]
        print("  longrun: summary of %d entries (%d aggregates of %d sockets) for "
              "%d connections, %d intervals" % (n, len(evicted),
                                                sum(s["folded_sockets"] for s in evicted),
                                                made, sums["intervals"]),
              file=sys.stderr, flush=True)
        errs.true("no aggregate of evicted sockets in the summary", evicted)
        # closed ones kept, those of the last two passes (at most the rate
        # each, both ends), aggregates: far below the 2 sockets a connection
        bound = MODEL_MAX_CLOSED + 4 * LONGRUN_RATE + 400
        errs.true("the summary lists %d entries: more than %d" % (n, bound), n <= bound)
    rec.check("longrun_bounded", bounded)
