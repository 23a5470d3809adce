# SPDX-License-Identifier: GPL-2.0
"""Issue 10, the workload library's ground-truth workload for `bufscope hist`:
histwl controls every arrival, so it knows the queue before each read
(FIONREAD) and buckets what it asked for, what it got and that queue with the
workload library's own log2 slots. Its histograms must equal the per-socket
histograms bufscope sums in the kernel (include/bufscope/log2.h: a second,
independent bucketing), here through `top`'s summary; `hist` is to be held
to the same workload."""

from harness import *

HISTWL_READS = 300      # 100 of each requested size (1 KiB, 4 KiB, 64 KiB)


def hist_total(h):
    return sum(b[2] for b in h or [])


@scenario("histwl_counts", "histwl_req_bytes", "histwl_read_bytes", "histwl_queue_bytes")
def t_histwl(ctx, rec):
    wls, objs, summary, bs = run_top(
        ctx, [("histwl", ["--reads", str(HISTWL_READS)])],
        lambda wls: ["top", "-o", "json", "-i", "1", "-P", str(wls[0].conns[0]["lport"])])
    d = wls[0].done
    truth = d["hist"]
    sock = find_socket(summary.get("sockets", []), d["conns"][0], "summary")
    h = sock.get("hist") if isinstance(sock.get("hist"), dict) else {}

    def counts(errs):
        # the workload's own consistency: every read's buckets counted once,
        # and every read returned min(requested, queued)
        errs.eq("workload reads", d["reads"], HISTWL_READS)
        errs.eq("workload not_min_reads (arrivals controlled)", d["not_min_reads"], 0)
        for name in ("req_bytes", "ret_bytes", "queue_bytes"):
            errs.eq("workload %s histogram total" % name, hist_total(truth[name]), d["reads"])
        errs.eq("workload gap_ns histogram total", hist_total(truth["gap_ns"]), d["reads"] - 1)
        errs.eq("workload sent = bytes + left_queued", d["sent"], d["bytes"] + d["left_queued"])
        # against bufscope
        errs.eq("reads", sock.get("reads"), d["reads"])
        errs.eq("bytes", sock.get("bytes"), d["bytes"])
        errs.eq("req_bytes", sock.get("req_bytes"), d["req_bytes"])
        errs.eq("queue_bytes (left unread)", sock.get("queue_bytes"), d["left_queued"])
    rec.check("histwl_counts", counts)

    for name, theirs in (("req_bytes", "req_bytes"), ("read_bytes", "ret_bytes"),
                         ("queue_bytes", "queue_bytes")):
        def one(errs, name=name, theirs=theirs):
            errs.eq("hist %s (bufscope vs workload %s)" % (name, theirs),
                    hist_as_lists(h.get(name)), truth[theirs])
        rec.check("histwl_" + name, one)
