"""Histograms every pass, from the kernel side (collector_config.hist_every_pass).

The `hist` command does not exist yet, so these scenarios drive the collector
through a test-only program, khist_dump (tests/tools/khist_dump.c), which
prints every record, fold and kernel counter when told to. The workload is
this test process itself: it sends known amounts over loopback connections
on a port of its own and reads them with known request sizes, with FIONREAD
before each read and CLOCK_MONOTONIC around it, so every histogram bucket
has an independent expected count:

- requested size: the size passed to recv();
- returned size: what recv() returned;
- queue depth before the read: FIONREAD just before it (nothing arrives
  meanwhile: the sender is this thread, idle while it reads);
- time between reads: bracketed by the clock read before and after each
  recv() (the kernel takes TCP's clock inside it); a gap whose bracket spans
  a bucket boundary may fall either side, and only those may.

khist_every_pass: a pass after every step of the workload must bring a whole
record (with histograms) of the reading socket, equal bucket for bucket to
the workload's reads so far; a pass with nothing new only `alive`.
khist_fold_exact: closes that find the ring buffer full are folded in the
kernel; with every pass sending histograms, the folds must add exactly what
the histograms gained after each socket's last record, so that records plus
folds equal the workload, and nothing is counted as unfolded.
khist_unfolded_counted: without the option (as `top`), histograms that the
last full record did not carry and a fold cannot deliver are counted in
kstats.hist_reads_unfolded, exactly the reads after that record.
"""
from harness import *

import array
import fcntl
import socket
import termios

KHIST_PORT_BASE = 28100      # this part's ports: 28100-28899 (below the ephemeral range)
HIST_KINDS = ("read_bytes", "req_bytes", "queue_bytes", "byte_age_us", "gap_us")
RET, REQ, QUEUE, AGE, GAP = range(5)
SLOTS = 32
# (bytes sent, request size) per step, and the sleeps cycled between reads:
# chosen to spread the gaps over several buckets (the expected buckets come
# from the measured times, not from these).
STEPS = [(l, r) for r in (1024, 4096, 65536) for l in (3000, 10000, 40000)]
SLEEPS = (0.0004, 0.003, 0.012)


def slot(v):
    """The log2 bucket (include/bufscope/log2.h), written independently."""
    return min(v.bit_length(), SLOTS - 1) if v > 0 else 0


def khist_port(offset):
    return KHIST_PORT_BASE + (os.getpid() % 200) * 4 + offset


class Khist:
    """khist_dump on a port: commands in, JSON lines out."""

    def __init__(self, ctx, port, every_pass, ringbuf=None):
        path = os.path.join(ctx.workloads, "khist_dump")
        if not os.access(path, os.X_OK):
            raise Failure("%s is missing: build it with `make workloads`" % path)
        args = [path, "-P", str(port)]
        if every_pass:
            args.append("--every-pass")
        if ringbuf:
            args += ["--ringbuf", str(ringbuf)]
        if ATTACH:
            args += ["--attach", ATTACH]
        self.proc = Proc(args, label="khist_dump")
        self.seen = 0
        if not self.proc.wait_line("out", lambda l: b'"ready"' in l, READY_TIMEOUT):
            raise Failure("khist_dump did not start: %s" % one_line(self.proc.err()))

    def run(self, cmd):
        """The objects cmd printed, up to its "done" line."""
        self.proc.send(cmd + "\n")
        done = self.proc.wait_line("out", lambda l: b'"done"' in l, scaled(20), self.seen)
        if done is None:
            raise Failure("khist_dump: no answer to %r: %s" % (cmd, one_line(self.proc.err())))
        with self.proc.cond:
            lines = self.proc.lines["out"][self.seen:]
        end = lines.index(done)
        self.seen += end + 1
        objs = [json.loads(l) for l in lines[:end]]
        status = json.loads(done)
        if status["err"]:
            raise Failure("khist_dump %s failed: error %d" % (cmd, status["err"]))
        return objs

    def kstats(self):
        return self.run("kstats")[0]

    def close(self):
        self.proc.send("quit\n")
        self.proc.close_stdin()
        if self.proc.wait(scaled(10)) is None:
            self.proc.kill()


class Conn:
    """A loopback connection on `listener`; this process sends on `cli` and
    reads on `srv`, logging each read: (req, ret, queue before, t0, t1)."""

    def __init__(self, listener):
        self.cli = socket.create_connection(listener.getsockname())
        self.srv, _ = listener.accept()
        self.lport = self.srv.getsockname()[1]
        self.rport = self.srv.getpeername()[1]
        self.reads = []

    def fionread(self):
        buf = array.array("i", [0])
        fcntl.ioctl(self.srv.fileno(), termios.FIONREAD, buf)
        return buf[0]

    def send_wait(self, n):
        """n bytes sent, and all of them waiting in the reader's queue."""
        before = self.fionread()
        self.cli.sendall(b"k" * n)
        deadline = time.monotonic() + scaled(5)
        while self.fionread() < before + n:
            if time.monotonic() > deadline:
                raise Failure("loopback: %d bytes sent did not arrive" % n)
            time.sleep(0.0002)

    def read(self, req):
        q = self.fionread()
        t0 = time.monotonic_ns()
        data = self.srv.recv(req)
        t1 = time.monotonic_ns()
        if not data:
            raise Failure("unexpected EOF on the test connection")
        self.reads.append((req, len(data), q, t0, t1))

    def drain(self, req, sleeps=SLEEPS):
        while self.fionread():
            time.sleep(sleeps[len(self.reads) % len(sleeps)])
            self.read(req)

    def close(self, rst=False):
        for s in (self.cli, self.srv):
            if rst:  # destroyed at once, not after FIN_WAIT/TIME_WAIT
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()


def listener_on(port):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # room for a whole step in the queue, and in the first window
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    return ls


def expected(reads):
    """(exact histograms [kind][slot], gap slots that may go either way) of
    a list of reads: the gaps whose bracket spans a boundary, as (lo, hi)."""
    h = [[0] * SLOTS for _ in HIST_KINDS]
    loose = []
    for i, (req, ret, q, t0, t1) in enumerate(reads):
        h[REQ][slot(req)] += 1
        h[RET][slot(ret)] += 1
        h[QUEUE][slot(q)] += 1
        if i == 0:
            continue    # the first read has no gap
        p0, p1 = reads[i - 1][3], reads[i - 1][4]
        # TCP's clock is taken in microseconds inside each recv()
        lo = t0 // 1000 - p1 // 1000
        hi = t1 // 1000 - p0 // 1000
        if slot(max(lo, 0)) == slot(hi):
            h[GAP][slot(hi)] += 1
        else:
            loose.append((slot(max(lo, 0)), slot(hi)))
    return h, loose


def check_hist(errs, where, got, reads, kinds=(RET, REQ, QUEUE, GAP)):
    """got (the record's histograms) against the workload's reads."""
    want, loose = expected(reads)
    for k in kinds:
        if k != GAP:
            errs.eq("%s: %s buckets" % (where, HIST_KINDS[k]), got[k], want[k])
            continue
        # every bucket holds its exact gaps, plus at most the loose ones that
        # could fall there; and the total is exact
        errs.eq("%s: gap_us count (reads - 1)" % where, sum(got[k]),
                max(0, len(reads) - 1))
        for b in range(SLOTS):
            may = sum(1 for lo, hi in loose if lo <= b <= hi)
            if not want[k][b] <= got[k][b] <= want[k][b] + may:
                errs.append("%s: gap_us bucket %d: bufscope %d, want %d (+ up to %d "
                            "whose gap spans a bucket boundary); workload gaps %s"
                            % (where, b, got[k][b], want[k][b], may,
                               [round((r[3] - p[4]) / 1000) for p, r in
                                zip(reads, reads[1:])][:40]))


def reader_recs(objs, conn, kinds=("sock", "close", "sample", "alive")):
    return [o for o in objs if o["t"] == "rec" and o["kind"] in kinds and
            o.get("lport") == conn.lport and o.get("rport") == conn.rport]


def add_hist(a, b, sign=1):
    return [[x + sign * y for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]


ZERO_HIST = [[0] * SLOTS for _ in HIST_KINDS]


@scenario("khist_records_every_pass", "khist_hist_vs_workload", "khist_gap_vs_workload")
def t_khist_every_pass(ctx, rec):
    port = khist_port(0)
    kd = Khist(ctx, port, every_pass=True)
    ls = listener_on(port)
    conn = Conn(ls)
    passes = []     # (reads so far, records of the reading socket)
    try:
        for n, req in STEPS:
            conn.send_wait(n)
            conn.drain(req)
            passes.append((len(conn.reads), reader_recs(kd.run("pass"), conn)))
        # nothing new since the last pass: only alive
        idle = kd.run("pass")
        conn.close()
        time.sleep(0.2)
        closes = reader_recs(kd.run("poll"), conn, ("close",))
        ks = kd.kstats()
    finally:
        ls.close()
        kd.close()
    cookie = passes[0][1][0]["cookie"] if passes and passes[0][1] else None

    def records(errs):
        for i, (nreads, recs) in enumerate(passes):
            errs.eq("pass %d: records of the reading socket" % i,
                    [r["kind"] for r in recs], ["sock"])
            if recs:
                errs.eq("pass %d: reads in the record" % i, recs[0]["reads"], nreads)
                # every kind but the gaps and ages counts each data read once
                for k in (RET, QUEUE):
                    errs.eq("pass %d: %s total" % (i, HIST_KINDS[k]),
                            sum(recs[0]["hist"][k]), nreads)
        errs.eq("idle pass: the reading socket only alive",
                [o["kind"] for o in idle if o.get("cookie") == cookie], ["alive"])
        errs.eq("close records of the reading socket", len(closes), 1)
        errs.eq("hist_reads_unfolded", ks["hist_reads_unfolded"], 0)
        errs.eq("lost_events", ks["lost_events"], 0)

    def buckets(errs):
        for i, (nreads, recs) in enumerate(passes):
            if recs:
                check_hist(errs, "pass %d" % i, recs[0]["hist"], conn.reads[:nreads],
                           (RET, REQ, QUEUE))
        if closes:
            check_hist(errs, "close", closes[0]["hist"], conn.reads, (RET, REQ, QUEUE))
        # the workload itself must reach the buckets it claims to test
        want, _ = expected(conn.reads)
        errs.true("workload: fewer than 3 requested-size buckets used",
                  sum(1 for x in want[REQ] if x) >= 3)
        errs.true("workload: fewer than 4 queue-depth buckets used",
                  sum(1 for x in want[QUEUE] if x) >= 4)

    def gaps(errs):
        for i, (nreads, recs) in enumerate(passes):
            if recs:
                check_hist(errs, "pass %d" % i, recs[0]["hist"], conn.reads[:nreads], (GAP,))
        if closes:
            check_hist(errs, "close", closes[0]["hist"], conn.reads, (GAP,))
            errs.true("gap_us: fewer than 3 buckets used (the sleeps should spread "
                      "them): %s" % closes[0]["hist"][GAP],
                      sum(1 for x in closes[0]["hist"][GAP] if x) >= 3)

    rec.check("khist_records_every_pass", records)
    rec.check("khist_hist_vs_workload", buckets)
    rec.check("khist_gap_vs_workload", gaps)


FOLD_CONNS = 6      # recorded by a pass, then read more, then closed
FOLD_LATE = 2       # read and closed between two passes: never recorded
FOLD_RING = 4096    # the smallest ring: one or two close records fit


def fold_run(ctx, port, every_pass):
    """Connections read (phase A), a pass (`pass`, or `final` without the
    option), more reads (phase B) and late connections, then every socket
    reset while nobody empties the ring: the closes beyond its room fold.
    Returns (conns, records of the pass, close records, folds, kstats)."""
    kd = Khist(ctx, port, every_pass, FOLD_RING)
    ls = listener_on(port)
    conns = []
    try:
        for i in range(FOLD_CONNS):
            c = Conn(ls)
            c.send_wait(3000 + 7000 * i)
            c.drain((1024, 4096, 65536)[i % 3], (0.0003, 0.002))
            conns.append(c)
        passed = kd.run("pass" if every_pass else "final")
        marks = {c: len(c.reads) for c in conns}
        for i, c in enumerate(conns):
            c.send_wait(2000 + 5000 * i)
            c.drain((4096, 1024, 65536)[i % 3], (0.0005, 0.004))
        for i in range(FOLD_LATE):
            c = Conn(ls)
            c.send_wait(20000)
            c.drain(2048, (0.0003, 0.003))
            marks[c] = 0
            conns.append(c)
        for c in conns:
            c.close(rst=True)
        # every destroyed socket either sent its close record or was folded
        deadline = time.monotonic() + scaled(5)
        while kd.kstats()["close_folded"] < len(conns) - 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        closes = kd.run("poll")
        folds = kd.run("folds")
        ks = kd.kstats()
    finally:
        ls.close()
        kd.close()
    return conns, marks, passed, closes, folds, ks


@scenario("khist_fold_exact")
def t_khist_fold_exact(ctx, rec):
    conns, marks, passed, closes, folds, ks = fold_run(ctx, khist_port(1), True)

    def check(errs):
        mine = [f for f in folds if f["pid"] == os.getpid() and not f["unowned"]]
        errs.eq("folds of this process", len(mine), 1)
        got = mine[0]["hist"] if mine else ZERO_HIST
        total_reads = sum(len(c.reads) for c in conns)
        folded_recorded = 0
        for c in conns:
            closed = reader_recs(closes, c, ("close",))
            recorded = reader_recs(passed, c, ("sock",))
            if closed:
                got = add_hist(got, closed[0]["hist"])
            elif recorded:
                got = add_hist(got, recorded[0]["hist"])
                folded_recorded += 1
        # records plus folds give every read exactly once
        want, _ = expected([r for c in conns for r in c.reads])
        for k in (RET, REQ, QUEUE):
            errs.eq("records + fold: %s" % HIST_KINDS[k], got[k], want[k])
        errs.eq("records + fold: gap_us count", sum(got[GAP]),
                sum(max(0, len(c.reads) - 1) for c in conns))
        errs.eq("records + fold: reads", mine[0]["reads"] + sum(
            (reader_recs(closes, c, ("close",)) or reader_recs(passed, c, ("sock",)) or
             [{"reads": 0}])[0]["reads"] for c in conns) if mine else None, total_reads)
        errs.eq("hist_reads_unfolded", ks["hist_reads_unfolded"], 0)
        # the test tests something: folds happened, to recorded sockets too
        errs.true("no close was folded (the ring did not fill): %s" % ks,
                  ks["close_folded"] > 0)
        errs.true("no socket with an earlier record was folded", folded_recorded > 0)

    rec.check("khist_fold_exact", check)


@scenario("khist_unfolded_counted")
def t_khist_unfolded_counted(ctx, rec):
    conns, marks, passed, closes, folds, ks = fold_run(ctx, khist_port(2), False)

    def check(errs):
        want_unfolded = 0
        folded_recorded = 0
        for c in conns:
            if reader_recs(closes, c, ("close",)):
                continue
            if reader_recs(passed, c, ("sock",)):
                want_unfolded += len(c.reads) - marks[c]
                folded_recorded += 1
        errs.eq("hist_reads_unfolded (reads after the last full record of folded "
                "sockets)", ks["hist_reads_unfolded"], want_unfolded)
        # the late sockets, never recorded, are in the fold whole
        mine = [f for f in folds if f["pid"] == os.getpid() and not f["unowned"]]
        late = [c for c in conns if marks[c] == 0 and not reader_recs(closes, c, ("close",))]
        want, _ = expected([r for c in late for r in c.reads])
        got = mine[0]["hist"] if mine else ZERO_HIST
        for k in (RET, REQ, QUEUE):
            errs.eq("fold: %s (the late sockets' reads only)" % HIST_KINDS[k], got[k], want[k])
        errs.true("no socket with an earlier record was folded", folded_recorded > 0)
        errs.true("nothing to count: the folded sockets read nothing after the record",
                  want_unfolded > 0)

    rec.check("khist_unfolded_counted", check)
