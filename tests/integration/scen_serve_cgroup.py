"""`bufscope serve`'s cgroup and container labels, and `serve --cgroup`.

Two readers (the reader_mix workload, with its own counts) run in cgroups
made for the test: bufscope-test-PID/a, and bufscope-test-PID/system.slice/
docker-<64 hex>.scope as docker's systemd driver names a container. Their
series carry cgroup = the reader's own /proc/PID/cgroup path and container
= the id (or ""), with reads, bytes and requested bytes equal to the
workloads' own counts; `serve --cgroup a` has a's and none of the other's.
"""
from harness import *
import urllib.request
from scen_cgroup import run_in_cgroups, CONTAINER_ID
from serve_scrape import scrape, series

SERVE_CG_PORT = 26330        # this part's ports (26330-26339, below the ephemeral range)


SUB_CTR = "system.slice/docker-%s.scope" % CONTAINER_ID
COUNTS = (("a", "wl_sva", 300000), (SUB_CTR, "wl_svc", 200000))


def run_serve(ctx, extra, port):
    """Readers in a and in the container's cgroup, serve with `extra`
    arguments; returns (tree, workloads by cgroup, the scrape after they
    are done)."""
    def scrape_then_stop(bs):
        try:
            return scrape(port)
        finally:
            bs.stop(signal.SIGTERM)
    return run_in_cgroups(
        ctx, lambda t: ["serve", "--listen", "127.0.0.1:%d" % port] + extra(t),
        scrape_then_stop, COUNTS, parents=("system.slice",))


def want_sum(w, field):
    return sum(c[field] for c in w.done["conns"])


@scenario("serve_cgroup_labels", "serve_cgroup_filter")
def t_serve_cgroup(ctx, rec):
    tree, wls, text = run_serve(ctx, lambda t: [], SERVE_CG_PORT)

    def labels(errs):
        for key, comm, ctr in (("a", "wl_sva", ""), (SUB_CTR, "wl_svc", CONTAINER_ID)):
            w = wls[key]
            got = series(text, "bufscope_read_bytes_total", process=comm)
            errs.eq("%s: label sets" % comm, len(got), 1)
            if len(got) != 1:
                continue
            lbl = dict(next(iter(got)))
            errs.eq("%s: cgroup label vs /proc/PID/cgroup" % comm, lbl.get("cgroup"), w.cgroup_rel)
            errs.eq("%s: container label" % comm, lbl.get("container"), ctr)
            for metric, field in (("bufscope_reads_total", "reads"),
                                  ("bufscope_read_bytes_total", "bytes"),
                                  ("bufscope_requested_bytes_total", "req_bytes")):
                errs.eq("%s: %s vs the workload's %s" % (comm, metric, field),
                        sum(series(text, metric, process=comm).values()),
                        want_sum(w, field))
    rec.check("serve_cgroup_labels", labels)

    tree, wls, text = run_serve(ctx, lambda t: ["--cgroup", t.path("a")],
                                SERVE_CG_PORT + 1)

    def filtered(errs):
        errs.eq("--cgroup a: a's bytes",
                sum(series(text, "bufscope_read_bytes_total", process="wl_sva").values()),
                want_sum(wls["a"], "bytes"))
        errs.eq("--cgroup a: no series of the other cgroup's reader",
                series(text, "bufscope_read_bytes_total", process="wl_svc"), {})
        others = {k: v for k, v in series(text, "bufscope_reads_total").items()
                  if dict(k).get("cgroup") != wls["a"].cgroup_rel and v}
        errs.eq("--cgroup a: reads outside a", others, {})
    rec.check("serve_cgroup_filter", filtered)


@scenario("serve_cgroup_hostile")
def t_serve_cgroup_hostile(ctx, rec):
    """A reader in a cgroup with a hostile name (an escape sequence, a
    quote, a backslash, '<', a non-ASCII letter): promtool and both
    reference parsers accept the exposition, and the parsed cgroup label is
    the path with the ESC written as the text \x1b (no raw control byte),
    with the workload's counts."""
    from scen_cgroup import HOSTILE_CG
    from scen_serve import run_promtool, reference_parse
    counts = ((HOSTILE_CG, "wl_svx", 100000),)
    texts = {}

    def scrape_both(bs):
        try:
            texts["text"] = scrape(SERVE_CG_PORT + 2)
            req = urllib.request.Request(
                "http://127.0.0.1:%d/metrics" % (SERVE_CG_PORT + 2),
                headers={"Accept": "application/openmetrics-text; version=1.0.0"})
            with urllib.request.urlopen(req, timeout=10) as r:
                texts["openmetrics"] = r.read().decode()
        finally:
            bs.stop(signal.SIGTERM)
    tree, wls, _ = run_in_cgroups(
        ctx, lambda t: ["serve", "--listen", "127.0.0.1:%d" % (SERVE_CG_PORT + 2)],
        scrape_both, counts)
    w = wls[HOSTILE_CG]

    def check(errs):
        rc, said = run_promtool(texts["text"])
        errs.eq("promtool check metrics: %s" % one_line(said, 300), rc, 0)
        errs.true("no raw ESC in the exposition", "\x1b" not in texts["text"])
        for kind in ("text", "openmetrics"):
            fams = reference_parse(texts[kind], kind)
            got = [(s[1], s[2]) for f in fams for s in f["samples"]
                   if s[0] == "bufscope_read_bytes_total" and
                   s[1].get("process") == "wl_svx"]
            errs.eq("%s: label sets of the reader" % kind, len(got), 1)
            if got:
                # printable ASCII and UTF-8 as they are, escapes undone by
                # the parser; a control byte as the text \xNN (never raw)
                errs.eq("%s: cgroup label, parsed" % kind, got[0][0].get("cgroup"),
                        w.cgroup_rel.replace("\x1b", "\\x1b"))
                errs.eq("%s: bytes vs the workload's" % kind, got[0][1],
                        want_sum(w, "bytes"))
    rec.check("serve_cgroup_hostile", check)
