"""Connection churn with real programs: ab (no keep-alive) against nginx.

Every connection is short: most sockets are born and destroyed between two
passes, so their totals reach bufscope only through their close, as a record
in the ring buffer or, when that has no room, folded in the kernel. The
totals are compared exactly with nginx's access log ($request_length: the
bytes of each request, which nginx reads whole) and with ab's own report
(complete requests; "Total transferred" is the sum of what ab's reads
returned: headers and bodies).
"""
from harness import *
from realprogs import Nginx

import shutil

CHURN_PORT_BASE = 21080     # below the ephemeral range; this part's ports
CHURN_REQUESTS = 20000      # about 1-2 s at ab's full rate on 2 cores
CHURN_STOP_REQUESTS = 40000  # long enough to stop bufscope in the middle
CHURN_STOP_S = 2.0          # bufscope stopped: the ring must overflow
CHURN_INDEX_BYTES = 300
CHURN_CONCURRENCY = 10


def churn_nginx(port):
    """nginx serving index.html (CHURN_INDEX_BYTES), its access log giving
    $request_length and $bytes_sent per request."""
    page = ("churn " * 60)[:CHURN_INDEX_BYTES - 1] + "\n"
    return Nginx(port, {"index.html": page}, "$request_length $bytes_sent $status",
                 prefix="bufscope-churn-")


class Ab:
    """ab waiting on its stdin before it starts (`read`, then exec: the pid
    bufscope is told with -p stays the same), so bufscope is ready first."""

    def __init__(self, port, requests, concurrency=CHURN_CONCURRENCY):
        if not shutil.which("ab"):
            raise Failure("prerequisite: ab is not installed (make deps)")
        self.url = "http://127.0.0.1:%d/index.html" % port
        self.proc = Proc(["sh", "-c", 'read go && exec ab -q -n %d -c %d "$0"'
                          % (requests, concurrency), self.url], label="ab")
        self.pid = self.proc.p.pid

    def go(self):
        self.proc.send("go\n")

    def report(self, timeout):
        rc = self.proc.wait(timeout)
        if rc is None:
            self.proc.kill()
            raise Failure("ab did not finish within %gs" % timeout)
        out = self.proc.out().decode("utf-8", "replace")
        if rc != 0:
            raise Failure("ab exited %d: %s" % (rc, one_line(out + self.proc.err().decode(
                "utf-8", "replace"))))
        got = {}
        for key, pat in (("complete", r"Complete requests:\s+(\d+)"),
                         ("failed", r"Failed requests:\s+(\d+)"),
                         ("transferred", r"Total transferred:\s+(\d+) bytes"),
                         ("rate", r"Requests per second:\s+([\d.]+)")):
            m = re.search(pat, out)
            if not m:
                raise Failure("ab's report has no %r: %s" % (key, one_line(out)))
            got[key] = float(m.group(1)) if key == "rate" else int(m.group(1))
        return got


def proc_rows(summary, pids):
    return [p for p in summary["processes"] if p["pid"] in pids]


def proc_sum(rows, field):
    return sum(p[field] for p in rows)


def run_churn(ctx, port, requests, stop_s=0.0, env=None, by_port=False,
              command=("top", "-o", "json", "-i", "1")):
    """nginx, bufscope on its workers and ab (`by_port`: on nginx's port, no
    process filter), then ab's requests; with stop_s, bufscope is stopped (SIGSTOP) that long
    while ab runs. Returns (objs, summary, nginx log lines, ab's report,
    worker pids, ab pid)."""
    ngx = churn_nginx(port)
    try:
        ab = Ab(port, requests)
        args = list(command)
        for pid in [] if by_port else ngx.workers + [ab.pid]:
            args += ["-p", str(pid)]
        if by_port:
            args += ["-P", str(port)]
        bs = Bufscope(ctx, args, env=env)
        bs.wait_ready()
        ab.go()
        if stop_s:
            time.sleep(0.5)
            bs.proc.signal(signal.SIGSTOP)
            time.sleep(stop_s)
            bs.proc.signal(signal.SIGCONT)
        report = ab.report(scaled(60))
        time.sleep(SETTLE)
        objs, summary = bufscope_result(bs)
        return objs, summary, ngx.log_lines(), report, ngx.workers, ab.pid
    finally:
        ngx.close()


def check_churn(rec, prefix, res, requests, want_folds):
    objs, summary, log, ab, workers, ab_pid = res

    def sources(errs):
        # the independent counts agree with each other first
        errs.eq("ab: complete requests", ab["complete"], requests)
        errs.eq("ab: failed requests", ab["failed"], 0)
        errs.eq("nginx: access log lines", len(log), requests)
        errs.eq("nginx: bytes sent (log) vs ab's total transferred",
                sum(l[1] for l in log), ab["transferred"])
    rec.check(prefix + "_sources", sources)

    def server(errs):
        rows = proc_rows(summary, workers)
        errs.true("no nginx worker in the summary's processes", rows)
        errs.eq("nginx workers: bytes read vs sum of $request_length",
                proc_sum(rows, "bytes"), sum(l[0] for l in log))
        # a 93-byte request arrives in one segment and is read in one read
        errs.eq("nginx workers: data reads vs requests logged",
                proc_sum(rows, "reads"), len(log))
        # every connection nginx accepted was read from (one socket each); ab
        # closes the few it opened ahead when its count is reached, unused
        socks = proc_sum(rows, "sockets")
        errs.true("nginx workers: %d sockets, want %d to %d"
                  % (socks, requests, requests + CHURN_CONCURRENCY),
                  requests <= socks <= requests + CHURN_CONCURRENCY)
    rec.check(prefix + "_server", server)

    def client(errs):
        rows = proc_rows(summary, [ab_pid])
        errs.eq("ab rows in the summary's processes", len(rows), 1)
        errs.eq("ab: bytes read vs ab's total transferred",
                proc_sum(rows, "bytes"), ab["transferred"])
        errs.eq("ab: sockets vs complete requests", proc_sum(rows, "sockets"),
                ab["complete"])
    rec.check(prefix + "_client", client)

    def folds(errs):
        errs.eq("lost_events", summary["lost_events"], 0)
        errs.eq("close_fold_unowned", summary["close_fold_unowned"], 0)
        folded = summary["close_folded"]
        if want_folds:
            errs.true("close_folded is 0: the ring did not overflow while "
                      "bufscope was stopped", folded > 0)
        ivs = [o for o in objs if o["type"] == "interval"]
        errs.eq("close_folded: the intervals' sum vs the summary",
                sum(o["close_folded"] for o in ivs), folded)
        # processes are rollups of the socket rows, folded entries included
        for pid in workers + [ab_pid]:
            socks = [s for s in summary["sockets"] if s["pid"] == pid]
            procs = proc_rows(summary, [pid])
            if procs:
                errs.eq("pid %d: bytes of its socket rows vs its process" % pid,
                        sum(s["bytes"] for s in socks), procs[0]["bytes"])
        # every interval's deltas add up to the summary (ab's bytes)
        errs.eq("ab: bytes summed over the intervals vs the summary",
                sum(p["bytes"] for o in ivs for p in o["processes"]
                    if p["pid"] == ab_pid),
                proc_sum(proc_rows(summary, [ab_pid]), "bytes"))
        incomplete = 0
        for s in summary["sockets"]:
            if s["folded"]:
                errs.true("a folded entry is not closed: %r" % s["cookie"], s["closed"])
            incomplete += not s["totals_complete"]
        # a socket's counts are "at least" only when its close was folded
        errs.true("%d sockets with totals_complete false, but no close folded"
                  % incomplete, folded or not incomplete)
        errs.true("%d sockets with totals_complete false, more than closes folded (%d)"
                  % (incomplete, folded), incomplete <= folded)
        print("  %s: ab %.0f requests/s, close_folded %d of %d sockets"
              % (prefix, ab["rate"], folded, 2 * requests), file=sys.stderr, flush=True)
    rec.check(prefix + "_folds", folds)


@scenario("churn_sources", "churn_server", "churn_client", "churn_folds")
def t_churn(ctx, rec):
    res = run_churn(ctx, CHURN_PORT_BASE, CHURN_REQUESTS)
    check_churn(rec, "churn", res, CHURN_REQUESTS, False)


@scenario("churn_stop_sources", "churn_stop_server", "churn_stop_client",
          "churn_stop_folds")
def t_churn_stopped(ctx, rec):
    res = run_churn(ctx, CHURN_PORT_BASE + 1, CHURN_STOP_REQUESTS, stop_s=CHURN_STOP_S)
    check_churn(rec, "churn_stop", res, CHURN_STOP_REQUESTS, True)


@scenario("churn_hash_sources", "churn_hash_server", "churn_hash_client",
          "churn_hash_folds")
def t_churn_hash(ctx, rec):
    """The kprobe tier's state (a hash map): the same folds. With no process
    filter (-P: the port only), every socket gets state at its first arrival,
    before any read, as without filters."""
    env = dict(os.environ, BUFSCOPE_STATE_HASH="1")
    res = run_churn(ctx, CHURN_PORT_BASE + 2, CHURN_STOP_REQUESTS,
                    stop_s=CHURN_STOP_S, env=env, by_port=True)
    check_churn(rec, "churn_hash", res, CHURN_STOP_REQUESTS, True)


@scenario("churn_trace_closes")
def t_churn_trace(ctx, rec):
    """`trace -e close` stopped during churn: a close the ring has no room
    for is folded, and the stream says so where it noticed (a `lost` record
    with close_folded), so close lines plus folded closes cover every socket
    with state: both ends of each connection (ab's few unused ones aside)."""
    res = run_churn(ctx, CHURN_PORT_BASE + 3, CHURN_STOP_REQUESTS, stop_s=CHURN_STOP_S,
                    by_port=True, command=("trace", "-e", "close", "-o", "json"))
    objs, summary, log, ab, _, _ = res

    def check(errs):
        n = CHURN_STOP_REQUESTS
        errs.eq("ab: complete requests", ab["complete"], n)
        closes = sum(1 for o in objs if o["type"] == "close")
        lost = [o for o in objs if o["type"] == "lost"]
        folded = sum(o["close_folded"] for o in lost)
        errs.eq("lost records' close_folded vs the summary's", folded,
                summary["close_folded"])
        errs.true("no close folded: the ring did not overflow while stopped", folded > 0)
        errs.eq("lost_events", summary["lost_events"], 0)
        errs.true("close lines %d + folded %d = %d, want %d to %d (two ends of %d "
                  "connections)" % (closes, folded, closes + folded, 2 * n,
                                    2 * n + CHURN_CONCURRENCY, n),
                  2 * n <= closes + folded <= 2 * n + CHURN_CONCURRENCY)
    rec.check("churn_trace_closes", check)
