"""`bufscope validate`: the built-in scenarios, verdicts, errors, teardown.

- every built-in scenario passes here, the suite in under 60 s; what the
  kernel counted (reads, bytes) equals the built-in programs' own counts;
- each kind of expectation has a positive and a negative control: a scenario
  built to fail exits 1 and names each expectation that failed;
- what a user's program cannot tell is "not observable", not a pass;
- bad scenario files: one error with the line, exit 2, nothing left behind;
- SIGINT, SIGTERM: everything torn down (namespaces, processes, BPF);
  SIGKILL: the next run removes what was left.
"""
from harness import *
from scen_faults import held_ids, wait_released

import glob
import shutil
import tempfile

VALIDATE_PORT = 29500       # this file's ports: 29500-29509 (below the ephemeral range)


def netns_left(pid):
    """Namespaces of the bufscope run with this pid (others may be running:
    only ours are looked at)."""
    p = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                       timeout=10)
    return [l.split()[0] for l in p.stdout.splitlines()
            if l.startswith("bufscope-%d-" % pid)]


MARK = 6100 + os.getpid() % 1000     # `sleep MARK`: our commands' processes


def role_procs(pid):
    """Our run's programs still running: built-in roles (children of pid, or
    orphans of it) and our commands (sleep MARK)."""
    out = []
    for d in glob.glob("/proc/[0-9]*"):
        try:
            with open(d + "/stat") as f:
                st = f.read()
            with open(d + "/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        state = st[st.rindex(")") + 2]
        if state == "Z":
            continue
        if (comm in ("bs-receiver", "bs-sender") and ppid == pid) or \
                cmd.startswith("sleep %d" % MARK):
            out.append("%s %s" % (d, cmd))
    return out


def check_clean(errs, where, pid):
    errs.eq("%s: namespaces left" % where, netns_left(pid), [])
    errs.eq("%s: processes left" % where, role_procs(pid), [])


class Ran:
    def __init__(self, pid, rc, out, err):
        self.pid, self.returncode, self.stdout, self.stderr = pid, rc, out, err


def validate(ctx, args, timeout=120):
    """Runs bufscope validate to its end: (its pid, status, output), seconds."""
    cmd = [ctx.bufscope, "validate"] + with_attach(args)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=scaled(timeout))
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise Failure("`%s` did not end in %d s" % (" ".join(cmd), timeout))
    return Ran(p.pid, p.returncode, out, err), time.monotonic() - t0


def reports(stdout):
    return [json.loads(l) for l in stdout.splitlines() if l.startswith("{")]


def write_ini(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".ini", prefix="bufscope-val-",
                                    delete=False)
    f.write(text)
    f.close()
    return f.name


def one_report(ctx, errs, path, want_rc=0):
    """Runs a scenario file with -o json: checks its exit status, returns
    (its report, the run) or raises when there is none."""
    r, _ = validate(ctx, [path, "-o", "json"])
    errs.eq("exit (stderr %s)" % one_line(r.stderr), r.returncode, want_rc)
    objs = reports(r.stdout)
    if not objs:
        raise Failure("no report: %s" % one_line(r.stderr))
    return objs[0], r


@scenario("validate_builtins_pass", "validate_builtins_app_counts",
          "validate_builtins_time", "validate_builtins_clean")
def t_builtins(ctx, rec):
    p, took = validate(ctx, ["--all", "-o", "json"])
    objs = reports(p.stdout)

    def passing(errs):
        errs.eq("exit status (stderr: %s)" % one_line(p.stderr), p.returncode, 0)
        errs.true("7 or more reports (got %d)" % len(objs), len(objs) >= 7)
        for o in objs:
            for v in o["verdicts"]:
                errs.eq("%s: %s (observed %s; %s)" % (o["scenario"]["name"],
                        v["expect"], v["observed"], v["why"]), v["verdict"], "pass")
            errs.eq("%s: failed count" % o["scenario"]["name"], o["failed"], 0)

    def app_counts(errs):
        # the kernel's counts against the built-in programs' own
        for o in objs:
            rx, tx = o["receiver"], o["sender"]
            name = o["scenario"]["name"]
            errs.eq("%s: reads (bufscope) vs the receiver's own" % name,
                    rx["reads"], rx["app"]["calls"])
            errs.eq("%s: bytes (bufscope) vs the receiver's own" % name,
                    rx["bytes"], rx["app"]["bytes"])
            eof = any(p["what"].startswith("receiver reads EOF") for p in o["phases"])
            errs.true("%s: the sender told its count" % name, tx["app"] is not None)
            if eof and tx["app"]:
                errs.eq("%s: bytes read vs the sender's own" % name,
                        rx["bytes"], tx["app"]["bytes"])
            errs.eq("%s: read records vs reads" % name, len(rx["read_log"]), rx["reads"])
            errs.eq("%s: sum of read sizes" % name, sum(r[2] for r in rx["read_log"]),
                    rx["bytes"])

    def timing(errs):
        errs.true("the built-in suite took %.1f s (< 60 s)" % took, took < 60)
        for o in objs:
            env = o["environment"]
            errs.true("%s: setup %.0f ms (< 1000 ms)" % (o["scenario"]["name"],
                      env["setup_ms"]), env["setup_ms"] < 1000)
            errs.true("%s: teardown %.0f ms (< 1000 ms)" % (o["scenario"]["name"],
                      env["teardown_ms"]), 0 < env["teardown_ms"] < 1000)

    def clean(errs):
        check_clean(errs, "after --all", p.pid)

    rec.check("validate_builtins_pass", passing)
    rec.check("validate_builtins_app_counts", app_counts)
    rec.check("validate_builtins_time", timing)
    rec.check("validate_builtins_clean", clean)


# Each kind of expectation, true and false, on the ten-kb run: the true ones
# pass, the false ones fail and are named.
CONTROLS = [
    ("receiver.reads = 3", "receiver.reads = 4"),
    ("receiver.reads >= 3", "receiver.reads >= 4"),
    ("receiver.reads <= 3", "receiver.reads <= 2"),
    ("receiver.reads != 2", "receiver.reads != 3"),
    ("receiver.bytes_read = [10000, 10240]", "receiver.bytes_read = [1, 10239]"),
    ("receiver.bytes_read = 10000 +- 5%", "receiver.bytes_read = 10000 +- 1%"),
    ("receiver.bytes_read = sender.bytes_written", "receiver.bytes_read = receiver.reads"),
    ("receiver.read_sizes = 4096, 4096, 2048", "receiver.read_sizes = 4096, 4096, 1808"),
    ("receiver.queue_before = 10240, 6144, 2048", "receiver.queue_before = 10240, 6144"),
    ("receiver.full_reads = 2", "receiver.partial_reads = 2"),
    ("receiver.zero_window_episodes = 0", "receiver.zero_window_episodes >= 1"),
    ("receiver.queue_peak <= 10240", "receiver.queue_peak <= 10239"),
    ("sender.app_bytes = 10KiB", "sender.app_bytes = 10KB"),
]


@scenario("validate_controls")
def t_controls(ctx, rec):
    text = ("[scenario]\nname = controls\nport = %d\n[sender]\nbytes = 10KiB\n"
            "write_size = 10KiB\n[receiver]\nbuf = 4KiB\nstart = after_sender\n"
            "[expect]\n" % VALIDATE_PORT)
    lines = []
    for good, bad in CONTROLS:
        lines += [good, bad]
    path = write_ini(text + "\n".join(lines) + "\n")

    def check(errs):
        p, _ = validate(ctx, [path, "-o", "json"])
        errs.eq("exit status: 1 (an expectation failed)", p.returncode, 1)
        objs = reports(p.stdout)
        errs.eq("one report", len(objs), 1)
        if not objs:
            return
        got = {v["expect"]: v["verdict"] for v in objs[0]["verdicts"]}
        for good, bad in CONTROLS:
            errs.eq("positive control %r" % good, got.get(good), "pass")
            errs.eq("negative control %r" % bad, got.get(bad), "fail")
        # the text report names each failure
        p, _ = validate(ctx, [path, "--no-timeline"])
        for good, bad in CONTROLS:
            errs.true("text names FAIL %r" % bad, ("FAIL  " + bad) in p.stdout)
        errs.true("closing line", "%d passed, %d failed" % (len(CONTROLS), len(CONTROLS))
                  in p.stdout)
        check_clean(errs, "after the controls", p.pid)
    try:
        rec.check("validate_controls", check)
    finally:
        os.unlink(path)


# The time relations and per-episode lists, true and false, on one
# slow-reader run (a 1 s stall: one long episode and short ones).
EPISODE_CONTROLS = [
    ("receiver.first_probe_ms >= 150", "receiver.first_probe_ms <= 100"),
    ("receiver.window_reopens_within_ms <= 50", "receiver.window_reopens_within_ms >= 500"),
    ("receiver.episode_ms <= 2000", "receiver.episode_ms >= 2000"),
    ("sender.received_episode_ms <= 2000", "sender.received_episode_ms = [1, 2]"),
    ("receiver.zero_window_sent_ms = [700, 1300]", "receiver.zero_window_sent_ms = [0, 100]"),
    ("receiver.read_span_ms >= 900", "receiver.read_span_ms <= 500"),
    ("receiver.episodes_open = 0", "receiver.episodes_open >= 1"),
]


@scenario("validate_controls_episodes")
def t_controls_episodes(ctx, rec):
    p, _ = validate(ctx, ["--show", "slow-reader"])
    text = p.stdout.split("[expect]")[0].replace("name = slow-reader\n",
                                                  "name = controls-episodes\nport = %d\n"
                                                  % (VALIDATE_PORT + 4), 1)
    lines = []
    for good, bad in EPISODE_CONTROLS:
        lines += [good, bad]
    path = write_ini(text + "[expect]\n" + "\n".join(lines) + "\n")

    def check(errs):
        o, r = one_report(ctx, errs, path, want_rc=1)
        got = {v["expect"]: (v["verdict"], v["observed"]) for v in o["verdicts"]}
        for good, bad in EPISODE_CONTROLS:
            errs.eq("positive control %r (observed %s)" % (good, got.get(good, ("", ""))[1]),
                    got.get(good, ("?",))[0], "pass")
            errs.eq("negative control %r (observed %s)" % (bad, got.get(bad, ("", ""))[1]),
                    got.get(bad, ("?",))[0], "fail")
        check_clean(errs, "after the episode controls", r.pid)
    try:
        rec.check("validate_controls_episodes", check)
    finally:
        os.unlink(path)


@scenario("validate_not_observable")
def t_not_observable(ctx, rec):
    # a user's sender program: its own count is unknown to bufscope
    path = write_ini(
        "[scenario]\nname = unobservable\nport = %d\n"
        "[sender]\ncommand = head -c 20000 /dev/zero | socat -u STDIN TCP:{addr}:{port}\n"
        "[receiver]\nbuf = 4KiB\n[expect]\nreceiver.bytes_read = 20000\n"
        "sender.app_bytes = 20000\n" % (VALIDATE_PORT + 1))

    def check(errs):
        p, _ = validate(ctx, [path, "-o", "json"])
        objs = reports(p.stdout)
        errs.eq("exit status (not observable is no failure; stderr %s)"
                % one_line(p.stderr), p.returncode, 0)
        if objs:
            v = {x["expect"]: x for x in objs[0]["verdicts"]}
            errs.eq("bytes read", v["receiver.bytes_read = 20000"]["verdict"], "pass")
            errs.eq("the program's own count", v["sender.app_bytes = 20000"]["verdict"],
                    "not_observable")
            errs.eq("not_observable count", objs[0]["not_observable"], 1)
        p, _ = validate(ctx, [path, "--no-timeline"])
        errs.true("text says NOT OBSERVABLE", "NOT OBSERVABLE  sender.app_bytes" in p.stdout)
        errs.true("closing line counts it", "1 not observable" in p.stdout)
    try:
        rec.check("validate_not_observable", check)
    finally:
        os.unlink(path)


BAD_FILES = [
    ("unknown key", "[scenario]\nname = b\nspeed = 3\n", 3, "unknown key"),
    ("bad unit", "[scenario]\nname = b\ntimeout = 10 parsecs\n", 3, "timeout"),
    ("no unit", "[scenario]\nname = b\n[receiver]\npace = 20\n", 4, "unit"),
    ("contradiction", "[scenario]\nname = b\n[sender]\nbytes = 1\nwrites = 1, 2\n"
     "[receiver]\nbuf = 1\n[expect]\nreceiver.reads = 1\n", 5, "contradicts"),
    ("missing command placeholder", "[scenario]\nname = b\n[sender]\nbytes = 1\n"
     "[receiver]\ncommand = cat\n[expect]\nreceiver.reads = 1\n", 6, "{port}"),
    ("unknown metric", "[scenario]\nname = b\n[sender]\nbytes = 1\n[receiver]\n"
     "buf = 1\n[expect]\nreceiver.speed = 1\n", 8, "no such metric"),
    ("unknown section", "[scenario]\nname = b\n[printer]\nx = 1\n", 4, "unknown section"),
    ("missing program", "[scenario]\nname = b\n[sender]\nbytes = 1\n[receiver]\n"
     "command = no-such-program-here -l {port}\n[expect]\nreceiver.reads = 1\n", 6,
     "'no-such-program-here' is not a program"),
]


@scenario("validate_bad_files", "validate_bad_usage")
def t_bad_files(ctx, rec):
    def files(errs):
        for what, text, line, words in BAD_FILES:
            path = write_ini(text)
            try:
                p, _ = validate(ctx, [path])
            finally:
                os.unlink(path)
            errs.eq("%s: exit" % what, p.returncode, 2)
            errs.true("%s: names %s:%d and %r (got %r)" % (what, path, line, words,
                      p.stderr), ("%s:%d:" % (path, line)) in p.stderr and words in p.stderr)
            errs.true("%s: one error line (got %r)" % (what, p.stderr),
                      len([l for l in p.stderr.splitlines() if l.strip()]) == 1)
            errs.eq("%s: nothing on stdout" % what, p.stdout, "")
            check_clean(errs, "after " + what, p.pid)

    def usage(errs):
        for args, want in ((["no-such-scenario"], "no built-in scenario"),
                           ([], "name a scenario"),
                           (["--show", "nope"], "no built-in scenario"),
                           (["--repeat", "0", "ten-kb"], "bad repeat count"),
                           (["--svg", "/tmp/x.svg", "--all"], "one run"),
                           (["--sort", "queue", "ten-kb"], "does not apply"),
                           (["-d", "3", "ten-kb"], "'--duration' does not apply"),
                           (["-P", "80", "ten-kb"], "'--port' does not apply")):
            p, _ = validate(ctx, args)
            errs.eq("%s: exit" % args, p.returncode, 2)
            errs.true("%s: says %r (got %r)" % (args, want, p.stderr), want in p.stderr)
        p, _ = validate(ctx, ["--list"])
        errs.eq("--list exit", p.returncode, 0)
        errs.true("--list names slow-reader", "slow-reader" in p.stdout)
        # --show prints a file that loads and plans as the built-in does
        p, _ = validate(ctx, ["--show", "ten-kb"])
        path = write_ini(p.stdout)
        try:
            a, _ = validate(ctx, ["--dry-run", path])
            b, _ = validate(ctx, ["--dry-run", "ten-kb"])
        finally:
            os.unlink(path)
        errs.eq("--dry-run of the shown file: exit", a.returncode, 0)
        errs.eq("same plan", a.stdout.replace(path, "ten-kb"), b.stdout)
        errs.true("plan lists the expectations", "expect (line 15): receiver.reads = 3"
                  in b.stdout)

    rec.check("validate_bad_files", files)
    rec.check("validate_bad_usage", usage)


@scenario("validate_sigint_teardown", "validate_sigterm_teardown",
          "validate_sigkill_cleanup")
def t_teardown(ctx, rec):
    def stop_with(sig, name):
        def check(errs):
            # a run with a user's command too: its process group must go
            path = write_ini(
                "[scenario]\nname = teardown\nport = %d\ntimeout = 30s\n"
                "[sender]\ncommand = sleep %d "
                "& exec socat -u /dev/zero TCP:{addr}:{port}\n"
                "[receiver]\nbuf = 4KiB\nschedule = read 64KiB, stall 20s, read rest\n"
                "[expect]\nreceiver.reads >= 1\n" % (VALIDATE_PORT + 2, MARK))
            bs = Proc([ctx.bufscope, "validate", path, "--no-timeline"] +
                      with_attach([]), stdin=False, label="validate")
            try:
                bs.wait_line("err", lambda l: b"ready" in l, scaled(READY_TIMEOUT))
                pid = bs.p.pid
                deadline = time.monotonic() + scaled(10)
                while not role_procs(pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
                errs.true("roles running before the signal", role_procs(pid) != [])
                errs.true("namespaces there before the signal", netns_left(pid) != [])
                time.sleep(0.5)
                # what it holds, by id (bpftool shows no holders here)
                held = held_ids(pid)
                errs.true("holds BPF programs before the signal: %r" % held,
                          len(held["prog"]) > 0)
                bs.signal(sig)
                rc = bs.wait(scaled(STOP_TIMEOUT))
            finally:
                os.unlink(path)
            if sig == signal.SIGKILL:
                # what it left is removed by the next run (another one running
                # here may have done it already)
                p, _ = validate(ctx, ["--cleanup"])
                errs.eq("--cleanup exit", p.returncode, 0)
                # the roles die with bufscope (parent-death signal) or with
                # the cleanup (it kills what runs in the namespaces)
                deadline = time.monotonic() + scaled(5)
                while role_procs(pid) and time.monotonic() < deadline:
                    time.sleep(0.1)
            else:
                errs.eq("exit status 2 (interrupted)", rc, 2)
                errs.true("says interrupted", b"interrupted" in bs.err())
                errs.true("report printed", b"passed" in bs.out())
            errs.eq("BPF programs, maps, links left (of those it held)",
                    wait_released(held), {})
            check_clean(errs, name, pid)
        return check

    rec.check("validate_sigint_teardown", stop_with(signal.SIGINT, "SIGINT"))
    rec.check("validate_sigterm_teardown", stop_with(signal.SIGTERM, "SIGTERM"))
    rec.check("validate_sigkill_cleanup", stop_with(signal.SIGKILL, "SIGKILL"))


@scenario("validate_repeat")
def t_repeat(ctx, rec):
    def check(errs):
        p, _ = validate(ctx, ["ten-kb", "--repeat", "3", "-o", "json"])
        errs.eq("exit", p.returncode, 0)
        objs = reports(p.stdout)
        runs = [o for o in objs if o["type"] == "validate"]
        tally = [o for o in objs if o["type"] == "validate_repeat"]
        errs.eq("3 runs", [o["run"] for o in runs], [1, 2, 3])
        errs.eq("one tally", len(tally), 1)
        if tally:
            errs.eq("runs in the tally", tally[0]["runs"], 3)
            errs.true("every expectation passed 3 of 3",
                      all(e["passed"] == 3 for e in tally[0]["expectations"]))
    rec.check("validate_repeat", check)


def capture_probe_times(pkts, rport):
    """Per zero-window episode the receiver advertised (bpf/flow.bpf.h's rule,
    as analyze_capture applies it): (start_ns, end_ns or None, first probe's
    ns or None), on the capture's clock."""
    eps, open_ep = [], None
    last_ack = last_win = None
    for p in pkts:
        fl = p["flags"]
        if p["sport"] == rport:
            if fl & TH_ACK:
                last_ack, last_win = p["ack"], p["win"]
            if fl & (TH_SYN | TH_RST):
                continue
            if p["win"] == 0:
                if not fl & TH_FIN and open_ep is None:
                    open_ep = [p["ts_ns"], None, None]
                    eps.append(open_ep)
            elif open_ep is not None:
                open_ep[1] = p["ts_ns"]
                open_ep = None
        elif p["dport"] == rport and open_ep is not None and open_ep[2] is None:
            if fl & (TH_SYN | TH_RST | TH_FIN) or last_ack is None:
                continue
            if p["len"] == 0 and last_win == 0 and p["seq"] == (last_ack - 1) & 0xffffffff:
                open_ep[2] = p["ts_ns"]
    return eps


@scenario("validate_episodes_vs_capture")
def t_episodes_vs_capture(ctx, rec):
    """slow-reader with a capture in the receiver's namespace: bufscope's
    episodes (count, lengths) and the time from the window closing to the
    first probe equal what the wire carried."""
    tmp = tempfile.mkdtemp(prefix="bufscope-val-cap-")
    pcap = os.path.join(tmp, "rx.pcap")
    p, _ = validate(ctx, ["--show", "slow-reader"])
    text = p.stdout.replace("[receiver]\n", "[receiver]\ncapture = %s\n" % pcap, 1)
    text = text.replace("name = slow-reader\n", "name = slow-reader-captured\nport = %d\n"
                        % (VALIDATE_PORT + 3), 1)
    path = write_ini(text)

    def check(errs):
        o, r = one_report(ctx, errs, path)
        ours = [e for e in o["receiver"]["episodes"] if e["dir"] == "advertised"]
        wire = capture_probe_times(read_pcap(pcap), VALIDATE_PORT + 3)
        errs.eq("episodes: bufscope vs the capture", len(ours), len(wire))
        for i, (b, w) in enumerate(zip(ours, wire)):
            if w[1] is not None and b["end_ms"] is not None:
                d_b = b["end_ms"] - b["start_ms"]
                d_w = (w[1] - w[0]) / 1e6
                errs.true("episode %d: %.3f ms (bufscope) vs %.3f ms (wire)" % (i + 1, d_b, d_w),
                          abs(d_b - d_w) < 1.0)
            errs.eq("episode %d probed: bufscope vs the wire" % (i + 1),
                    b["first_probe_ms"] is not None, w[2] is not None)
            if w[2] is not None and b["first_probe_ms"] is not None:
                f_b = b["first_probe_ms"] - b["start_ms"]
                f_w = (w[2] - w[0]) / 1e6
                errs.true("episode %d: first probe after %.3f ms (bufscope) vs %.3f ms "
                          "(wire)" % (i + 1, f_b, f_w), abs(f_b - f_w) < 1.0)
        errs.true("the wire shows a probed episode", any(w[2] for w in wire))
        # the side's time in zero window, in ms (it once was ns under the
        # _ms key): the wire's episodes, summed
        if all(w[1] is not None for w in wire):
            ms = o["receiver"]["zero_window_sent_ms"]
            on_wire = sum((w[1] - w[0]) / 1e6 for w in wire)
            errs.true("receiver zero_window_sent_ms %r vs the wire's episodes, summed "
                      "%.3f ms" % (ms, on_wire), isinstance(ms, (int, float)) and
                      abs(ms - on_wire) < 1.0 * max(1, len(wire)))
            errs.true("receiver zero_window_sent_ms %r within the run (%r ms)"
                      % (ms, o["duration_ms"]), ms <= o["duration_ms"])
    try:
        rec.check("validate_episodes_vs_capture", check)
    finally:
        os.unlink(path)
        shutil.rmtree(tmp, ignore_errors=True)


EXAMPLES_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                             "..", "..", "examples", "validate"))


@scenario("validate_path_change", "validate_path_change_errors")
def t_path_change(ctx, rec):
    """examples/validate/link-change.ini: 8 Mbit/s, then 80 Mbit/s from 1 s.
    The change is made on time (its phase), and the reads show both rates:
    what was read before the change is 1 s at 1 MB/s, what came after at
    about ten times that (the receiver's own reads, from the read log)."""
    text = open(os.path.join(EXAMPLES_DIR, "link-change.ini")).read()
    text = text.replace("port = 5001", "port = %d" % (VALIDATE_PORT + 5))
    path = write_ini(text)

    def check(errs):
        o, r = one_report(ctx, errs, path)
        changes = [p for p in o["phases"] if p["what"].startswith("path:")]
        errs.eq("one change in the phases", len(changes), 1)
        if not changes:
            return
        t = changes[0]["t_ms"]
        errs.true("the change at %.1f ms (due at 1000, the tick is 100 ms)" % t,
                  1000 <= t <= 1150)
        errs.true("the change names the new rate: %r" % changes[0]["what"],
                  "80000000bit" in changes[0]["what"])
        log = o["receiver"]["read_log"]
        # the first read's bytes came before its time (as after[0]'s below),
        # and t is when the change began (before it is in place)
        first = log[0][0]
        before = sum(x[2] for x in log[1:] if x[0] <= t)
        slow = before / ((t - first) / 1000.0)
        errs.true("before the change: %.0f B/s (8 Mbit/s: 1e6 B/s of payload at most, "
                  "and 0.9e6 at least)" % slow, 0.9e6 <= slow <= 1.05e6)
        after = [x for x in log if x[0] > t + 50]
        if len(after) >= 2:
            fast = sum(x[2] for x in after[1:]) / ((after[-1][0] - after[0][0]) / 1000.0)
            errs.true("after the change: %.0f B/s (80 Mbit/s: about 1e7)" % fast,
                      0.7e7 <= fast <= 1.05e7)
        else:
            errs.true("reads after the change", False)
        check_clean(errs, "after the path change", r.pid)

    def errors(errs):
        base = ("[scenario]\nname = c\n[network]\nto_receiver.rate = 8mbit\n%s\n"
                "[sender]\nbytes = 1\n[receiver]\nbuf = 1\n[expect]\nreceiver.reads = 1\n")
        for what, line, want in (
                ("at 1s = to_receiver.rate 1mbit\nat 1000ms = rate 2mbit", 6, "the same time"),
                ("at 1s = to_receiver.rate 1mbit\nat 1s = rate 2mbit", 6, "given twice"),
                ("at soon = rate 1mbit", 5, "at TIME"),
                ("at 1s = rate", 5, "KEY VALUE"),
                ("at 1s = speed 1mbit", 5, "unknown key"),
                ("at 1s = to_receiver.jitter 5ms", 5, "needs a delay")):
            f = write_ini(base % what)
            try:
                p, _ = validate(ctx, [f])
            finally:
                os.unlink(f)
            errs.eq("%r: exit" % what, p.returncode, 2)
            errs.true("%r: says %r at line %d (got %r)" % (what, want, line, p.stderr),
                      want in p.stderr and ("line %d" % line in p.stderr or
                                            ":%d:" % line in p.stderr))
        if not os.path.exists("/sys/module/sch_netem"):
            f = write_ini(base % "at 1s = to_receiver.loss 1%")
            try:
                p, _ = validate(ctx, [f])
            finally:
                os.unlink(f)
            errs.eq("a loss change without netem: exit", p.returncode, 2)
            errs.true("says the loss change needs netem (got %r)" % p.stderr,
                      "change of random loss (line 5) needs tc's netem" in p.stderr)
    try:
        rec.check("validate_path_change", check)
        rec.check("validate_path_change_errors", errors)
    finally:
        os.unlink(path)


@scenario("validate_ipv6_sysctl_call")
def t_ipv6_sysctl_call(ctx, rec):
    """ten-kb over IPv6 with a jumbo MTU, read with recvmsg(), and the
    receiver's tcp_rmem set small with autotuning off: the reads are the
    same, the sockets are IPv6 ones at the scenario's addresses, and the
    receive buffer is the tcp_rmem default the scenario set (the kernel's
    own record of the setting, read back in the namespace, in the report)."""
    p, _ = validate(ctx, ["--show", "ten-kb"])
    text = p.stdout.replace("name = ten-kb\n", "name = ten-kb-v6\nfamily = ipv6\nport = %d\n"
                            % (VALIDATE_PORT + 6), 1)
    text = text.replace("[sender]\n", "[network]\nmtu = 9000\n\n[sysctl]\n"
                        "receiver.net.ipv4.tcp_rmem = 4096 65536 65536\n"
                        "net.ipv4.tcp_moderate_rcvbuf = 0\n\n[sender]\n", 1)
    text = text.replace("buf = 4KiB\n", "buf = 4KiB\ncall = recvmsg\n", 1)
    text += "receiver.rcvbuf_first = 65536\nreceiver.rcvbuf_changes = 0\n"
    path = write_ini(text)

    def check(errs):
        o, r = one_report(ctx, errs, path)
        for v in o["verdicts"]:
            errs.eq("%s (observed %s; %s)" % (v["expect"], v["observed"], v["why"]),
                    v["verdict"], "pass")
        env = o["environment"]
        errs.eq("family", env["family"], "ipv6")
        rmem = env["sysctl"].get("net.ipv4.tcp_rmem", {})
        errs.eq("tcp_rmem in force, receiver", rmem.get("receiver"), "4096 65536 65536")
        errs.true("tcp_rmem in force, sender: the default (got %r)" % rmem.get("sender"),
                  rmem.get("sender") not in (None, "-", "4096 65536 65536"))
        mod = env["sysctl"].get("net.ipv4.tcp_moderate_rcvbuf", {})
        errs.eq("tcp_moderate_rcvbuf in force", (mod.get("sender"), mod.get("receiver")),
                ("0", "0"))
        check_clean(errs, "after the IPv6 run", r.pid)
    try:
        rec.check("validate_ipv6_sysctl_call", check)
    finally:
        os.unlink(path)
