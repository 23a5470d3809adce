"""Several bufscope instances at once (issue 13): each loads its own BPF
programs and maps, and each must count the same workload exactly.

- multi_2, multi_4: 2 instances (serve, top -o json) and 4 (serve, top -o
  json, trace -o json, a second serve), all started and ready before
  serve_wl.py opens MULTI_CONNS short connections on a port of its own; every
  instance filters that port (-P). Each instance's totals of the server
  thread's reads (and the client thread's) must equal the workload's own
  counts: reads, bytes, requested bytes, full reads, end-of-stream reads;
  no instance may lose a record; every one exits 0.
- multi_attach_during_scrape: serve A is scraped in a loop (every 50 ms)
  while a first workload's connections churn; meanwhile a second instance
  (top -o json) starts and attaches, with scrapes of A running while it
  does (checked). A's counters never decrease from one scrape to the next;
  once the second instance is ready a second workload runs: A's totals
  equal both workloads' counts, the second instance's equal the second
  workload's, exactly.

Ports 31220-31259 (serve 31220-31229, the workloads 31230-31259), below the
ephemeral range, so that no client's connection takes one; each still the
first of its range that can be bound now (a listener of an earlier run, or
anything else bound there, may hold one).
"""
from harness import *
from scen_serve import Serve, ServeWorkload, check_wl_counts, parse_exposition

import socket

MULTI_SERVE_PORTS = range(31220, 31230)
MULTI_WL_PORTS = range(31230, 31260)
MULTI_CONNS = 400
MULTI_RATE = 200            # connections a second: 2 s of churn
SCRAPE_EVERY = 0.05


def free_port(ports, taken=()):
    """The first port of `ports` (not in `taken`) that a listener can bind
    now (with SO_REUSEADDR, as serve's and serve_wl.py's: TIME_WAIT sockets
    of earlier runs do not hold a port then, other connections do)."""
    for port in ports:
        if port in taken:
            continue
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise Failure("no port of %d-%d can be bound" % (ports[0], ports[-1]))


def wl_args(conns, tag):
    return ["--conns", str(conns), "--rate", str(MULTI_RATE), "--bytes", "3000",
            "--read", "1000", "--reply", "5000", "--reply-read", "1024",
            "--srv-comm", "bs-%s-srv" % tag, "--cli-comm", "bs-%s-cli" % tag]


def top_counts(summary, comm):
    """The workload's COUNTS (serve_wl.py) of thread `comm`, summed over the
    summary's sockets of that comm (closed, folded and evicted ones too)."""
    socks = [s for s in summary.get("sockets", []) if s.get("comm") == comm]
    return {"reads": sum(s["reads"] for s in socks), "bytes": sum(s["bytes"] for s in socks),
            "req_bytes": sum(s["req_bytes"] for s in socks),
            "full_reads": sum(s["full_reads"] for s in socks),
            "eof_reads": sum(s["eof_reads"] for s in socks), "sized": sum(
                s["req_reads"] for s in socks)}


def trace_counts(objs, comm):
    """The same, from trace's read records of thread `comm`."""
    recs = [o for o in objs if o["type"] == "read" and o.get("comm") == comm
            and not o.get("peek")]
    data = [r for r in recs if isinstance(r.get("ret"), int) and r["ret"] > 0]
    sized = [r for r in data if r.get("req") is not None]
    return {"reads": len(data), "bytes": sum(r["ret"] for r in data),
            "req_bytes": sum(r["req"] for r in sized),
            "full_reads": sum(1 for r in sized if r["req"] == r["ret"]),
            "eof_reads": sum(1 for r in recs if r.get("ret") == 0), "sized": len(sized)}


# the workload's name for what each metric counts; "sized" (reads whose
# requested size is known) is every data read of serve_wl.py's recv()
JSON_KEYS = {"bufscope_reads_total": "reads", "bufscope_read_bytes_total": "bytes",
             "bufscope_requested_bytes_total": "req_bytes",
             "bufscope_sized_reads_total": "sized",
             "bufscope_full_reads_total": "full_reads", "bufscope_eof_reads_total": "eof_reads"}


def json_getter(counts):
    def get(metric):
        if metric == "bufscope_partial_reads_total":
            return counts["sized"] - counts["full_reads"]
        return counts[JSON_KEYS[metric]]
    return get


def serve_getter(expo, port, comm, client):
    return lambda m: expo.total(m, process=comm, port="ephemeral" if client else port)


class JsonInstance:
    """top or trace -o json -P PORT, ready."""

    def __init__(self, ctx, args, port):
        self.kind = args[0]
        self.bs = Bufscope(ctx, args + ["-o", "json", "-P", str(port)])
        self.bs.wait_ready()


def check_losses(errs, where, lost):
    errs.eq("%s lost events" % where, lost, 0)


def start_instances(ctx, kinds, port):
    """The instances of `kinds` (serve, top, trace), each ready before the next
    starts."""
    insts = []
    for k in kinds:
        if k == "serve":
            taken = [i.port for i in insts if isinstance(i, Serve)]
            insts.append(Serve(ctx, free_port(MULTI_SERVE_PORTS, taken), ["-P", str(port)],
                               ready_line=True))
        else:
            insts.append(JsonInstance(ctx, [k, "-i", "1"], port))
    return insts


def instance_results(insts, port, tag, done, errs_of):
    """Stops each instance (exit 0) and checks its counts of the server and
    client threads against the workload's `done`; errs_of(name) -> Errs."""
    for n, inst in enumerate(insts):
        if isinstance(inst, Serve):
            where = "serve#%d" % n
            errs = errs_of(where)
            try:
                expo = inst.expo()
            finally:
                inst.stop()
            for side, client in (("server", False), ("client", True)):
                comm = "bs-%s-%s" % (tag, "cli" if client else "srv")
                check_wl_counts(errs, "%s %s" % (where, side),
                                serve_getter(expo, port, comm, client), done[side])
            check_losses(errs, where, expo.total("bufscope_lost_events_total"))
            continue
        where = "%s#%d" % (inst.kind, n)
        errs = errs_of(where)
        objs, summary = bufscope_result(inst.bs)
        for side in ("server", "client"):
            comm = "bs-%s-%s" % (tag, "cli" if side == "client" else "srv")
            got = top_counts(summary, comm) if inst.kind == "top" else trace_counts(objs, comm)
            check_wl_counts(errs, "%s %s" % (where, side), json_getter(got), done[side])
        check_losses(errs, where, summary.get("lost_events"))


def run_multi(ctx, rec, kinds, name):
    port = free_port(MULTI_WL_PORTS)
    tag = "m%d" % len(kinds)
    by_inst = {}
    insts = start_instances(ctx, kinds, port)
    w = ServeWorkload(port, wl_args(MULTI_CONNS, tag))
    w.go()
    done = w.wait_done()
    time.sleep(SETTLE)
    instance_results(insts, port, tag, done, lambda where: by_inst.setdefault(where, Errs()))
    w.finish()

    def exact(errs):
        errs.eq("workload connections", done["server"]["conns"], MULTI_CONNS)
        errs.eq("instances checked", sorted(by_inst),
                sorted("%s#%d" % (k, n) for n, k in enumerate(kinds)))
        for where, e in sorted(by_inst.items()):
            errs.extend(e)
    rec.check(name, exact)
    print("  %s: %s, %d connections: each instance's totals checked against the "
          "workload's (server reads %d, bytes %d; client reads %d, bytes %d)"
          % (name, "+".join(kinds), MULTI_CONNS, done["server"]["reads"],
             done["server"]["bytes"], done["client"]["reads"], done["client"]["bytes"]),
          file=sys.stderr, flush=True)


@scenario("multi_2")
def t_multi_2(ctx, rec):
    run_multi(ctx, rec, ["serve", "top"], "multi_2")


@scenario("multi_4")
def t_multi_4(ctx, rec):
    run_multi(ctx, rec, ["serve", "top", "trace", "serve"], "multi_4")


class LoopScraper:
    """Scrapes a Serve every SCRAPE_EVERY s in a thread: (start, end, counters
    {(name, labels): value}) per scrape."""

    def __init__(self, serve):
        self.serve = serve
        self.scrapes = []
        self.errors = []
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.halt.is_set():
            t0 = time.monotonic()
            try:
                expo = parse_exposition(self.serve.scrape())
            except (Failure, OSError) as e:
                self.errors.append(str(e))
            else:
                self.scrapes.append((t0, time.monotonic(), counters(expo)))
            self.halt.wait(SCRAPE_EVERY)

    def stop(self):
        self.halt.set()
        self.thread.join(scaled(30))


def counters(expo):
    """{(sample name, labels): value} of the counters and the histograms'
    cumulative samples: none may decrease."""
    out = {}
    for fam in expo.families.values():
        if fam["type"] in ("counter", "histogram"):
            for sname, labels, v, _ in fam["samples"]:
                out[(sname, tuple(sorted(labels.items())))] = v
    return out


def decreases(scrapes):
    bad = []
    for (_, _, a), (_, t, b) in zip(scrapes, scrapes[1:]):
        for key, v in b.items():
            if key in a and v < a[key]:
                bad.append("%s%s: %g then %g" % (key[0], dict(key[1]), a[key], v))
    return bad


@scenario("multi_attach_during_scrape", "multi_attach_during_scrape_monotonic",
          "multi_attach_during_scrape_second")
def t_multi_attach_during_scrape(ctx, rec):
    port = free_port(MULTI_WL_PORTS)
    a = Serve(ctx, free_port(MULTI_SERVE_PORTS), ["-P", str(port)], ready_line=True)
    loop = None
    try:
        loop = LoopScraper(a)
        w1 = ServeWorkload(port, wl_args(2 * MULTI_CONNS, "ma1"))
        w1.go()
        time.sleep(0.5)
        t_start = time.monotonic()
        b = JsonInstance(ctx, ["top", "-i", "1"], port)
        t_ready = time.monotonic()
        done1 = w1.wait_done()
        w1.finish()
        w2 = ServeWorkload(port, wl_args(MULTI_CONNS, "ma2"))
        w2.go()
        done2 = w2.wait_done()
        w2.finish()
        time.sleep(SETTLE)
        loop.stop()
        final = a.expo()
        objs, summary = bufscope_result(b.bs)
    finally:
        if loop:
            loop.stop()
    a.stop()
    during = [s for s in loop.scrapes if s[0] < t_ready and s[1] > t_start]

    def first(errs):
        errs.eq("scrape errors", loop.errors[:3], [])
        errs.true("no scrape of serve ran while the second instance started and attached "
                  "(%.2fs to %.2fs)" % (t_start, t_ready), len(during) >= 1)
        for tag, done in (("ma1", done1), ("ma2", done2)):
            for side, client in (("server", False), ("client", True)):
                comm = "bs-%s-%s" % (tag, "cli" if client else "srv")
                check_wl_counts(errs, "serve %s %s" % (tag, side),
                                serve_getter(final, port, comm, client), done[side])
        check_losses(errs, "serve", final.total("bufscope_lost_events_total"))
    rec.check("multi_attach_during_scrape", first)

    def monotonic(errs):
        errs.true("only %d scrapes" % len(loop.scrapes), len(loop.scrapes) >= 20)
        errs.extend(decreases(loop.scrapes + [(0, 0, counters(final))])[:6])
    rec.check("multi_attach_during_scrape_monotonic", monotonic)

    def second(errs):
        for side in ("server", "client"):
            comm = "bs-ma2-%s" % ("cli" if side == "client" else "srv")
            check_wl_counts(errs, "top (second instance) ma2 %s" % side,
                            json_getter(top_counts(summary, comm)), done2[side])
            got = top_counts(summary, "bs-ma1-%s" % ("cli" if side == "client" else "srv"))
            errs.true("top counted more ma1 %s reads (%d) than there were (%d)"
                      % (side, got["reads"], done1[side]["reads"]),
                      got["reads"] <= done1[side]["reads"])
        check_losses(errs, "top", summary.get("lost_events"))
    rec.check("multi_attach_during_scrape_second", second)
    print("  multi_attach_during_scrape: %d scrapes, %d while the second instance attached "
          "(%.1fs)" % (len(loop.scrapes), len(during), t_ready - t_start),
          file=sys.stderr, flush=True)
