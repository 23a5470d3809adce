"""Hook misses: the runs of bufscope's BPF programs the kernel skipped
because the program was already running on that CPU (a softirq interrupting
tp_tcp_probe or tp_sk_data_ready while a socket's backlog is processed). The
kernel counts them only in each program's recursion_misses; bufscope sums
them over its loaded programs as `hook_misses` (JSON) and
bufscope_hook_misses_total (serve).

iperf3 (4 streams, 5 s) over the loopback of a namespace made here, with
`top -o json -i 1`, `trace -e close -o json` and `serve` beside it. The independent source is the
kernel's own counter of the same programs, as bpftool shows it, for the
program ids each bufscope holds (its descriptors' fdinfo). A miss can come
between two reads, so each bufscope figure is bracketed: bpftool read just
before (bufscope running) <= bufscope's figure <= bpftool read just after.
For top's and trace's summaries, "after" is read once they have exited:
the test holds duplicates of their program descriptors (pidfd_getfd), so
the programs stay
loaded, detached (their links went with bufscope: the counters no longer
move), and bpftool still shows them. The load need not cause a miss: the
figures are printed (-v), not required to be above 0.
"""
from harness import *
from serve_scrape import scrape, plain

import ctypes

HOOKMISS_PORT = 26900        # iperf3 in the namespace; +1 serve
SYS_PIDFD_GETFD = 438        # the same number on every architecture


def pin_programs(pid):
    """{our descriptor: program id}: duplicates of process pid's program
    descriptors (not its links': a link held would keep the program
    attached and its counter moving), so its programs outlive it."""
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    pinned = {}
    try:
        for fd, (kind, prog_id) in bpf_fds(pid).items():
            if kind != "prog":
                continue
            ours = libc.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0)
            if ours < 0:
                raise Failure("prerequisite: pidfd_getfd(%d, fd %d): %s"
                              % (pid, fd, os.strerror(ctypes.get_errno())))
            pinned[ours] = prog_id
    except BaseException:
        unpin(pinned)
        raise
    finally:
        os.close(pidfd)
    # the descriptor copied is the one fdinfo named (not one reused since)
    for ours, prog_id in pinned.items():
        with open("/proc/self/fdinfo/%d" % ours) as f:
            if "prog_id:\t%d\n" % prog_id not in f.read():
                unpin(pinned)
                raise Failure("prerequisite: descriptor copied from %d is not program %d"
                              % (pid, prog_id))
    return pinned


def unpin(pinned):
    for fd in pinned:
        os.close(fd)


def misses_of(ids):
    """(sum of the programs' recursion misses, {name: misses}); every id
    must still be there."""
    progs = prog_recursion_misses(ids)
    if set(progs) != set(ids):
        raise Failure("bpftool does not show programs %s" % sorted(set(ids) - set(progs)))
    return sum(m for _, m in progs.values()), {n: m for n, m in progs.values() if m}


def note(ctx, text):
    if ctx.verbose:
        print("  (hookmiss: %s)" % text, file=sys.stderr, flush=True)


@scenario("hookmiss_top_vs_bpftool", "hookmiss_trace_vs_bpftool", "hookmiss_serve_vs_bpftool")
def t_hookmiss(ctx, rec):
    port, sport = HOOKMISS_PORT, HOOKMISS_PORT + 1
    env = FlowEnv(ctx)
    pinned = {}
    try:
        server = Proc(env.prefix() + ["iperf3", "-s", "-p", str(port), "-1"],
                      stdin=False, label="iperf3 -s")
        top = env.bufscope(ctx, ["top", "-o", "json", "-i", "1", "-P", str(port)])
        top.wait_ready()
        trace = env.bufscope(ctx, ["trace", "-e", "close", "-o", "json", "-P", str(port)])
        trace.wait_ready()
        serve = Bufscope(ctx, ["serve", "--listen", "127.0.0.1:%d" % sport, "-P", str(port)])
        serve.wait_ready()
        ids = {name: {i for _, i in bpf_fds(bs.proc.p.pid).values()}
               for name, bs in (("top", top), ("trace", trace), ("serve", serve))}
        if not all(ids.values()):
            raise Failure("prerequisite: no BPF program found in the fdinfo of some "
                          "bufscope: %s" % ids)
        time.sleep(0.3)       # iperf3 -s listening (it has no ready line)
        client = Proc(env.prefix() + ["iperf3", "-c", "127.0.0.1", "-p", str(port),
                                      "-P", "4", "-t", "5"], stdin=False, label="iperf3 -c")
        rc = client.wait(scaled(20))
        if rc != 0:
            raise Failure("iperf3 -c exited %r: %s" % (rc, one_line(client.err() + client.out())))
        server.wait(scaled(10))
        # serve: bracketed by bpftool while it runs
        serve_before, _ = misses_of(ids["serve"])
        text = scrape(sport)
        serve_after, serve_named = misses_of(ids["serve"])
        serve_got = plain(text, "bufscope_hook_misses_total")
        serve.stop(signal.SIGTERM)
        # top, trace: bpftool before the stop, the summary, bpftool after the exit
        res = {}
        for name, bs in (("top", top), ("trace", trace)):
            pinned.update(pin_programs(bs.proc.p.pid))
            if not ids[name] <= set(pinned.values()):
                raise Failure("prerequisite: %s's program ids %s, its descriptors %s"
                              % (name, sorted(ids[name]), sorted(pinned.values())))
            before, _ = misses_of(ids[name])
            objs, summary = bufscope_result(bs)
            after, named = misses_of(ids[name])
            res[name] = (before, objs, summary, after, named)
    finally:
        unpin(pinned)
        env.close()
    note(ctx, "top, trace: bpftool before the stop, summary, bpftool after (by "
         "program): %s; serve: bpftool %d, scrape %r, bpftool %d (%s)"
         % ({n: (b, s.get("hook_misses"), a, m) for n, (b, _, s, a, m) in res.items()},
            serve_before, serve_got, serve_after, serve_named))

    def bracketed(errs, name):
        """The summary's hook_misses between bpftool's two reads; returns it."""
        before, objs, summary, after, _ = res[name]
        got = summary.get("hook_misses")
        if not isinstance(got, int) or isinstance(got, bool):
            raise Failure("%s: summary hook_misses %r" % (name, got))
        errs.true("%s: summary hook_misses %d >= bpftool's sum %d read before the stop"
                  % (name, got, before), got >= before)
        errs.true("%s: summary hook_misses %d <= bpftool's sum %d read after the exit"
                  % (name, got, after), got <= after)
        check_lost(errs, objs, summary)
        return got

    def top_check(errs):
        got = bracketed(errs, "top")
        ivs = [o.get("hook_misses") for o in res["top"][1] if o["type"] == "interval"]
        if not ivs or not all(isinstance(v, int) and v >= 0 for v in ivs):
            raise Failure("intervals' hook_misses %r" % ivs)
        errs.true("intervals' hook_misses %r sum to more than the summary's %d"
                  % (ivs, got), sum(ivs) <= got)
    rec.check("hookmiss_top_vs_bpftool", top_check)

    def trace_check(errs):
        """The lost records' misses add up to at least the summary's (the
        last is read after the summary's pass) and at most bpftool's after."""
        got = bracketed(errs, "trace")
        lost = [o.get("hook_misses") for o in res["trace"][1] if o["type"] == "lost"]
        if not all(isinstance(v, int) and v >= 0 for v in lost):
            raise Failure("lost records' hook_misses %r" % lost)
        errs.true("lost records' hook_misses %r sum between the summary's %d and bpftool's "
                  "%d after the exit" % (lost, got, res["trace"][3]),
                  got <= sum(lost) <= res["trace"][3])
    rec.check("hookmiss_trace_vs_bpftool", trace_check)

    def serve_check(errs):
        errs.true("bufscope_hook_misses_total %r within bpftool's %d before and %d after "
                  "the scrape" % (serve_got, serve_before, serve_after),
                  serve_before <= serve_got <= serve_after)
    rec.check("hookmiss_serve_vs_bpftool", serve_check)
