"""`bufscope serve`'s cgroup and container labels, and `serve --cgroup`.

Two readers (the reader_mix workload, with its own counts) run in cgroups
made for the test: bufscope-test-PID/a, and bufscope-test-PID/system.slice/
docker-<64 hex>.scope as docker's systemd driver names a container. Their
series carry cgroup = the reader's own /proc/PID/cgroup path and container
= the id (or ""), with reads, bytes and requested bytes equal to the
workloads' own counts; `serve --cgroup a` has a's and none of the other's.
"""
from harness import *
from scen_cgroup import CgroupTree, proc_cgroup, CONTAINER_ID
from serve_scrape import scrape, series

SERVE_CG_PORT = 26330        # this part's ports (26330-26339, below the ephemeral range)


def run_serve(ctx, extra, port):
    """Readers in a and in the container's cgroup, serve with `extra`
    arguments; returns (tree, workloads, the scrape after they are done)."""
    sub_ctr = "system.slice/docker-%s.scope" % CONTAINER_ID
    tree = CgroupTree(ctx, ("a", "system.slice", sub_ctr))
    bs = None
    try:
        wls = {"a": Workload(tree.ctx_for("a"), "reader_mix",
                             ["--comm", "wl_sva", "--bytes", "300000"]),
               "ctr": Workload(tree.ctx_for(sub_ctr), "reader_mix",
                               ["--comm", "wl_svc", "--bytes", "200000"])}
        for key, sub in (("a", "a"), ("ctr", sub_ctr)):
            if proc_cgroup(wls[key].pid) != tree.rel(sub):
                raise Failure("prerequisite: workload %s is in %s"
                              % (key, proc_cgroup(wls[key].pid)))
            wls[key].rel = tree.rel(sub)
        bs = Bufscope(ctx, ["serve", "--listen", "127.0.0.1:%d" % port] + extra(tree))
        bs.wait_ready()
        for w in wls.values():
            w.go()
        for w in wls.values():
            w.wait_done()
        time.sleep(SETTLE)
        text = scrape(port)
        for w in wls.values():
            w.finish()
        return tree, wls, text
    finally:
        if bs:
            bs.stop(signal.SIGTERM)
        for p in ALL_PROCS:
            if p.label == "reader_mix" and p.p.poll() is None:
                p.kill()
        tree.remove()


def want_sum(w, field):
    return sum(c[field] for c in w.done["conns"])


@scenario("serve_cgroup_labels", "serve_cgroup_filter")
def t_serve_cgroup(ctx, rec):
    tree, wls, text = run_serve(ctx, lambda t: [], SERVE_CG_PORT)

    def labels(errs):
        for key, comm, ctr in (("a", "wl_sva", ""), ("ctr", "wl_svc", CONTAINER_ID)):
            w = wls[key]
            got = series(text, "bufscope_read_bytes_total", process=comm)
            errs.eq("%s: label sets" % comm, len(got), 1)
            if len(got) != 1:
                continue
            lbl = dict(next(iter(got)))
            errs.eq("%s: cgroup label vs /proc/PID/cgroup" % comm, lbl.get("cgroup"), w.rel)
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
                  if dict(k).get("cgroup") not in (wls["a"].rel,) and v}
        errs.eq("--cgroup a: reads outside a", others, {})
    rec.check("serve_cgroup_filter", filtered)
