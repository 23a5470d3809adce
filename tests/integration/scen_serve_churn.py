"""`bufscope serve` under connection churn, with real programs: ab (no
keep-alive) against nginx, scraped every half second while it runs.

Every connection is short, so nearly every socket's counts reach the
exporter through its close: a record in the ring buffer, or, while serve is
stopped (SIGSTOP) and the ring overflows, a fold in the kernel keyed by the
reader, its cgroup and its served port. The counters of the label sets
{process="nginx", port=PORT} and {process="ab", port="ephemeral"} are
compared exactly with nginx's access log ($request_length, lines) and ab's
report (Total transferred); they never decrease from one scrape to the
next; serve's memory stays bounded.
"""
from harness import *
from scen_churn import Ab, churn_nginx
from serve_scrape import scrape, series_sum, plain

import re
import threading

SERVE_CHURN_PORT = 21180     # nginx (below the ephemeral range); +1 serve
SERVE_CHURN_REQUESTS = 20000


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


WATCHED = (("nginx", "bufscope_reads_total"), ("nginx", "bufscope_read_bytes_total"),
           ("ab", "bufscope_read_bytes_total"))


@scenario("serve_churn_nginx", "serve_churn_monotonic", "serve_churn_folded")
def t_serve_churn(ctx, rec):
    port, sport = SERVE_CHURN_PORT, SERVE_CHURN_PORT + 1
    ngx = churn_nginx(port)
    bs = None
    scrapes, stop = [], threading.Event()

    def scraper():
        while not stop.is_set():
            try:
                scrapes.append(scrape(sport))
            except OSError:
                pass    # serve stopped: the scrape times out
            stop.wait(0.5)

    try:
        ab = Ab(port, SERVE_CHURN_REQUESTS)
        bs = Bufscope(ctx, ["serve", "--listen", "127.0.0.1:%d" % sport, "-P", str(port)])
        bs.wait_ready()
        before = scrape(sport)
        rss0 = rss_kb(bs.proc.p.pid)
        t = threading.Thread(target=scraper)
        t.start()
        ab.go()
        time.sleep(0.3)
        bs.proc.signal(signal.SIGSTOP)   # the ring overflows: closes fold
        time.sleep(2.0)
        bs.proc.signal(signal.SIGCONT)
        report = ab.report(scaled(60))
        time.sleep(SETTLE)
        stop.set()
        t.join()
        after = scrape(sport)
        rss1 = rss_kb(bs.proc.p.pid)
        log = ngx.log_lines()
    finally:
        stop.set()
        if bs:
            bs.proc.signal(signal.SIGCONT)
            bs.stop(signal.SIGTERM)
        ngx.close()

    def exact(errs):
        errs.eq("ab: complete requests", report["complete"], SERVE_CHURN_REQUESTS)
        errs.eq("nginx: log lines", len(log), SERVE_CHURN_REQUESTS)
        lbl = dict(process="nginx", port=str(port))
        errs.eq("nothing counted before the load",
                series_sum(before, "bufscope_reads_total", **lbl), 0)
        errs.eq("nginx reads vs requests logged",
                series_sum(after, "bufscope_reads_total", **lbl), len(log))
        errs.eq("nginx bytes read vs sum of $request_length",
                series_sum(after, "bufscope_read_bytes_total", **lbl),
                sum(l[0] for l in log))
        errs.eq("ab bytes read vs ab's total transferred",
                series_sum(after, "bufscope_read_bytes_total", process="ab",
                           port="ephemeral"), report["transferred"])
        errs.eq("returned-size histogram: +Inf bucket vs reads (nginx)",
                series_sum(after, "bufscope_read_returned_bytes_bucket", le="+Inf", **lbl),
                len(log))
        errs.eq("lost events", plain(after, "bufscope_lost_events_total"), 0)
        errs.true("serve's memory: %d kB more after %d connections"
                  % (rss1 - rss0, 2 * SERVE_CHURN_REQUESTS), rss1 - rss0 < 64 * 1024)
        print("  serve_churn: ab %.0f requests/s, %d scrapes, closes folded %d, "
              "RSS %d -> %d kB" % (report["rate"], len(scrapes),
                                   plain(after, "bufscope_closes_folded_total"),
                                   rss0, rss1), file=sys.stderr, flush=True)
    rec.check("serve_churn_nginx", exact)

    def monotonic(errs):
        errs.true("%d scrapes during the load, want 4 or more" % len(scrapes),
                  len(scrapes) >= 4)
        seq = scrapes + [after]
        for comm, name in WATCHED:
            lbl = dict(process=comm)
            vals = [series_sum(s, name, **lbl) for s in seq]
            drops = [(a, b) for a, b in zip(vals, vals[1:]) if b < a]
            errs.true("%s{%s} decreased between scrapes: %r" % (name, comm, drops[:3]),
                      not drops)
    rec.check("serve_churn_monotonic", monotonic)

    def folded(errs):
        errs.true("closes folded while serve was stopped: %d"
                  % plain(after, "bufscope_closes_folded_total"),
                  plain(after, "bufscope_closes_folded_total") > 0)
    rec.check("serve_churn_folded", folded)
