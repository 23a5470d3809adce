# SPDX-License-Identifier: GPL-2.0
"""Issue 12, containers: `bufscope trace`'s table has the reader's cgroup, a
CGROUP column after COMM as in top, and on each close line.

Two reader_mix workloads (their own counts of their calls, reads and bytes)
run in cgroups made for the test (scen_cgroup's CgroupTree): `a`, and
`system.slice/docker-<64 hex>.scope` as docker's systemd driver names a
container. The truth for the cell is each workload's own /proc/PID/cgroup:
the path, or for the container's the first 12 digits of the id in its last
component (as `docker ps` shows it). trace runs with --cgroup on the test's
tree (in the kernel: no other reader's lines) until the workloads have
closed their sockets and exited, then SIGINT.
"""
import collections
import re

from harness import *
from scen_cgroup import CgroupTree, start_workloads, proc_cgroup, CONTAINER_ID

SUB_CTR = "system.slice/docker-%s.scope" % CONTAINER_ID
COUNTS = (("a", "wl_tta", 200000), (SUB_CTR, "wl_ttc", 150000))
DOCKER_SCOPE = re.compile(r"/docker-([0-9a-f]{64})\.scope$")


def cell_of(rel):
    """The CGROUP cell a reader in cgroup rel (its /proc/PID/cgroup) must
    have: a container's 12 digits, else the path (none here is long or
    holds a byte to escape)."""
    m = DOCKER_SCOPE.search(rel)
    return m.group(1)[:12] if m else rel


def run_trace_table(ctx):
    """The workloads of COUNTS, `trace` (table, a pipe) while they read and
    close; returns (workloads by cgroup, each one's /proc/PID/cgroup, the
    output, trace's exit status)."""
    tree = CgroupTree(ctx, ("system.slice",) + tuple(c[0] for c in COUNTS))
    try:
        wls = start_workloads(tree, COUNTS)
        # read while they run: the process is gone once it has finished
        rels = {sub: proc_cgroup(w.pid) for sub, w in wls.items()}
        bs = Bufscope(ctx, ["trace", "--cgroup", tree.root])
        bs.wait_ready()
        for w in wls.values():
            w.go()
        for w in wls.values():
            w.wait_done()
        for w in wls.values():
            w.finish()      # closes its sockets: trace's close lines
        time.sleep(SETTLE)
        rc = bs.stop(signal.SIGINT)
        return wls, rels, bs.proc.out().decode("utf-8", "replace"), rc
    finally:
        for p in ALL_PROCS:
            if p.label == "reader_mix" and p.p.poll() is None:
                p.kill()
        tree.remove()


def is_flow(tokens):
    """A trace line's tokens: a flow record's line (zero window, drop,
    rcvbuf change) rather than a read's."""
    return tokens[5:6] in (["zero"], ["drop:"], ["rcvbuf"])


def endpoints(conn):
    return "127.0.0.1:%d>127.0.0.1:%d" % (conn["lport"], conn["rport"])


@scenario("cgroup_trace_table", "cgroup_trace_table_close")
def t_cgroup_trace_table(ctx, rec):
    wls, rels, out, rc = run_trace_table(ctx)
    lines = out.splitlines()

    def reads(errs):
        errs.eq("trace's exit status after SIGINT", rc, 0)
        hdr = [l.split() for l in lines if l.startswith("TIME ")]
        errs.true("no trace header with CGROUP after COMM: %s" % one_line(out, 300),
                  hdr and hdr[0][:5] == ["TIME", "PID", "COMM", "CGROUP", "SOCKET"])
        head = [l for l in lines if l.startswith("bufscope trace ")]
        errs.true("no summary header: %s" % one_line(out[-600:], 600), head)
        errs.true("trace lost or missed reads: %r" % head[-1:],
                  head and " lost events 0 " in head[-1] and "missed reads" not in head[-1])
        for sub, w in wls.items():
            conn = w.done["conns"][0]
            want = cell_of(rels[sub])
            errs.true("%s: cell %r is not the id's 12 digits or the path %r"
                      % (w.comm, want, rels[sub]),
                      want == (CONTAINER_ID[:12] if sub == SUB_CTR else rels[sub]))
            # TIME PID COMM CGROUP SOCKET, then SYSCALL REQ RET QUEUE [peek]
            # on a read line, what happened on a flow line (rcvbuf here)
            of_sock = [l.split() for l in lines if l.split()[1:2] == [str(w.pid)]
                       and l.split()[4:5] == [endpoints(conn)]]
            flows = [t for t in of_sock if is_flow(t)]
            mine = [t for t in of_sock if not is_flow(t)]
            errs.eq("%s: read lines (any result) vs the workload's calls" % w.comm,
                    len(mine), sum(conn["sc_all"].values()))
            errs.eq("%s: read lines by SYSCALL vs the workload's calls" % w.comm,
                    dict(collections.Counter(t[5] for t in mine)),
                    {k: v for k, v in conn["sc_all"].items() if v})
            data = [int(t[7]) for t in mine if t[7].isdigit() and int(t[7]) > 0
                    and t[-1] != "peek"]
            errs.eq("%s: data read lines vs the workload's reads" % w.comm,
                    len(data), conn["reads"])
            errs.eq("%s: sum of RET vs the workload's bytes" % w.comm, sum(data),
                    conn["bytes"])
            wrong = [t[3] for t in mine if t[3] != want]
            errs.true("%s: %d read lines' CGROUP is not %r (its /proc/PID/cgroup %s): %r"
                      % (w.comm, len(wrong), want, rels[sub], sorted(set(wrong))[:3]),
                      not wrong)
            wrong = [t[3] for t in flows if t[3] != want]
            errs.true("%s: %d flow lines' CGROUP is not %r: %r"
                      % (w.comm, len(wrong), want, sorted(set(wrong))[:3]), not wrong)
            others = [l for l in lines if l.split()[1:2] == [str(w.pid)]
                      and l.split()[4:5] != [endpoints(conn)]]
            errs.true("%s: read lines of another socket: %r" % (w.comm, others[:2]),
                      not others)
    rec.check("cgroup_trace_table", reads)

    def closes(errs):
        for sub, w in wls.items():
            conn = w.done["conns"][0]
            want = "close: pid %d %s %s cgroup %s: %d reads, %d bytes, " % (
                w.pid, w.comm, endpoints(conn), cell_of(rels[sub]), conn["reads"],
                conn["bytes"])
            got = [l for l in lines if l.startswith("close: ") and endpoints(conn) in l]
            errs.true("%s: no close line %r, got %r" % (w.comm, want, got),
                      len(got) == 1 and got[0].startswith(want))
    rec.check("cgroup_trace_table_close", closes)
