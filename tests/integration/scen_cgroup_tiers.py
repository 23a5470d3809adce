# SPDX-License-Identifier: GPL-2.0
"""Issue 12's cgroup paths and --cgroup filter (scen_cgroup.py's checks) on
one run of the three cgroup workloads, for the VM matrix (tests/vm/run.py),
which runs it on every attach tier of each kernel.

The filter is applied in the kernel (a cgroup array and
bpf_current_task_under_cgroup in each read hook), so every tier's programs
must apply it. Four bufscope instances watch the same workloads at once:
`top` without a filter (paths, ids, counts), `top --cgroup a`,
`trace --cgroup a` and `hist --cgroup a`, each with its own filter map: the
unfiltered one must see b's reader, the others must not. One run instead of
scen_cgroup.py's four keeps the matrix's added time small (each run waits
for the workloads and two intervals).
"""
from harness import *
from scen_cgroup import (check_filter_hist, check_filter_top, check_filter_trace,
                         check_nested, check_paths, hist_result, run_many_in_cgroups)


@scenario("cgroup_tier_paths", "cgroup_tier_top", "cgroup_tier_top_nested",
          "cgroup_tier_trace", "cgroup_tier_hist")
def t_cgroup_tier(ctx, rec):
    runs = [(lambda t: ["top", "-o", "json", "-i", "1"], bufscope_result),
            (lambda t: ["top", "-o", "json", "-i", "1", "--cgroup", t.rel("a")],
             bufscope_result),
            (lambda t: ["trace", "-o", "json", "-i", "1", "--cgroup", t.path("a")],
             bufscope_result),
            (lambda t: ["hist", "-o", "json", "--cgroup", t.rel("a").lstrip("/")],
             hist_result)]
    tree, wls, (paths, top, trace, hist) = run_many_in_cgroups(ctx, runs)
    rec.check("cgroup_tier_paths", lambda errs: check_paths(errs, wls, *paths))
    rec.check("cgroup_tier_top", lambda errs: check_filter_top(errs, tree, wls, *top))
    rec.check("cgroup_tier_top_nested", lambda errs: check_nested(errs, wls, top[1]))
    rec.check("cgroup_tier_trace", lambda errs: check_filter_trace(errs, tree, wls, *trace))
    rec.check("cgroup_tier_hist", lambda errs: check_filter_hist(errs, wls, hist[1]))
