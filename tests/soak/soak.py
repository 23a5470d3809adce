#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""`make soak DURATION=S`: bufscope `top`, `trace` and `serve` at once, for S
seconds, under steady load; fails when one of them grows without bound, dies,
loses counts silently or leaves BPF objects behind.

The load, all of it on port PORT: the three instances watch that port only
(-P PORT), so that their figures are this load's, whatever else the machine
runs meanwhile (their BPF programs still run on every read of the machine;
the filter is applied in them):
  churn       nginx on 127.0.0.1:PORT, `ab` (no keep-alive) RATE requests a
              second in one batch a second: RATE short connections a second,
              each ab a new process;
  namespaces  one network namespace a second (bssoak-<pid>-<n>), each with its
              own loopback: NS_CONNS socat clients sending NS_BYTES each to
              a forking socat server on PORT, then the namespace is deleted;
              at most NS_LIVE exist at once;
  read flood  in one namespace of its own, one long connection: pv sends
              FLOOD_RATE bytes a second, socat reads them FLOOD_READ bytes at a
              time (-b): FLOOD_RATE / FLOOD_READ reads a second.

The three bufscope instances: `top -o json -i 1 -P PORT` and `trace -o json
-P PORT` write to pipes this script reads and discards, counting lines and
checking that each is whole JSON (so the disk is not filled); `serve
--listen 127.0.0.1:PORT+1 -P PORT` is scraped every second.

Every SAMPLE seconds, for each instance: RSS (VmRSS), open fds
(/proc/PID/fd), CPU time (utime + stime) and the entries of its BPF hash
maps (the maps whose fds it holds, found in /proc/PID/fdinfo, counted with
`bpftool map dump`); serve's own bufscope_map_entries too. A table row per
sample on stdout; all samples in OUT/samples.json and OUT/samples.csv, the
verdict in OUT/result.json.

Growth rule (after a warm-up of WARMUP seconds, long enough for the model's
bounded tables (1024 closed sockets, 256 + 64 aggregates) to fill, and for
serve's one-time steps of RSS as its allocator settles, 1 to 4 MiB in the
first two minutes):
the samples are split in thirds; for each instance and each figure
  1. the last third's maximum may exceed the first third's maximum by at most
     the figure's allowance (RSS 10 % + 4 MiB, fds 8, map entries 10 % of the
     map's capacity + 64, CPU % 1.5x + 5 points on the mean: other programs
     share these cores, and the churn is not perfectly even); serve's
     tables that keep history by design up to their capacity (label sets,
     zero-window episodes) are held to that capacity instead;
  2. the least-squares slope over the run after warm-up, times the length of
     that part, may not exceed the same allowance (a steady climb that the
     thirds' maxima hide: memory that grows a little every minute);
  both only while the figure still climbs in the last third (its slope
  there adds more than a third of the allowance): a one-time step that stays
  flat after it (a stall that filled the queues once, memory the allocator
  keeps for the next one) is bounded, and the one-hour run had one. CPU %
  is judged on its mean, always.
Bounded growth (a table filling to its capacity during warm-up) passes;
unbounded growth (anything that rises with the connections or namespaces
made) fails both rules within an hour, and the one-hour run's figures are in
docs/reliability.md (Soak).

Correctness checked while soaking: the three instances' totals of data reads
and bytes on the port agree exactly (serve's series, top's and trace's
summaries, trace's read records); serve's counters (_total, histogram
_bucket/_count/_sum) never decrease between two scrapes of the same series;
every scrape answers; losses (lost events, missed reads, untracked sockets,
folded closes) are reported by each instance and printed (a non-zero loss
is not a failure when the instance reported it, as bufscope must); every
instance is alive at the end, exits 0 on SIGINT, and after it none of its BPF
programs or maps remains (bpftool); no namespace of this run remains; nginx's
access log has one line per request ab completed, and serve's
bufscope_read_bytes_total{process="nginx",port=PORT} equals the sum of
nginx's $request_length exactly, {process="socat",port=PORT} the bytes
the flood's and the namespaces' socat servers passed on (wc -c) (or, with
losses reported, at most these).
"""
import argparse
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
import run as harness  # noqa: E402  (the integration tests' helpers; no side effect)
sys.modules.setdefault("harness", harness)
from realprogs import Nginx  # noqa: E402
from serve_scrape import SAMPLE, LABEL, series_sum  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = ("soak " * 60)[:299] + "\n"
LOSS_KEYS = ("lost_events", "missed_reads", "untracked_sockets", "close_folded")
SERVE_LOSSES = {"lost_events": "bufscope_lost_events_total",
                "missed_reads": "bufscope_missed_reads_total",
                "untracked_sockets": "bufscope_untracked_sockets_total",
                "close_folded": "bufscope_closes_folded_total"}
# a data read in trace's stream: its returned bytes and whether it peeked
READ_RECORD = re.compile(rb'^\{"type":"read".*"comm":("(?:[^"\\]|\\.)*").*"cookie":(\d+),'
                         rb'.*"ret":(-?\d+),"peek":(true|false)')
CLOSED_KEPT = 100000        # closed cookies remembered (a read after its close)
HASH_TYPES = ("hash", "lru_hash", "percpu_hash", "lru_percpu_hash")
# serve's tables that keep history up to their capacity by design (label
# sets, zero-window episodes): judged by their capacity, not by growth
RETAINING = ("serve:series", "serve:episodes")
MONOTONIC = re.compile(r"_(total|bucket|count|sum)$")


class SoakError(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def run(argv, check=True, timeout=30, **kw):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise SoakError("%s exited %d: %s" % (" ".join(argv), p.returncode,
                                              p.stderr.strip()[:300]))
    return p


# -- the load -----------------------------------------------------------------

def start_nginx(port):
    """nginx (realprogs.Nginx: 2 workers, a scratch directory) serving
    index.html, its access log giving $request_length per request."""
    return Nginx(port, {"index.html": PAGE}, "$request_length", prefix="bufscope-soak-")


def nginx_log(ngx):
    """(lines, sum of $request_length) of the access log."""
    lines = ngx.log_lines()
    return len(lines), sum(n for n, in lines)


class Loop(threading.Thread):
    """A load that runs `step` every `period` seconds until stopped; the
    first exception ends it and is kept."""

    def __init__(self, name, period):
        super().__init__(name=name, daemon=True)
        self.period = period
        self.halt = threading.Event()
        self.error = None

    def run(self):
        start, k = time.monotonic(), 0
        try:
            while not self.halt.is_set():
                self.step()
                k += 1
                self.halt.wait(max(0.0, start + k * self.period - time.monotonic()))
        except Exception as e:      # reported at the end, as a failure
            self.error = "%s: %s" % (self.name, e)
        finally:
            self.finish()

    def step(self):
        raise NotImplementedError

    def finish(self):
        pass

    def stop(self):
        self.halt.set()
        self.join(120)


class Churn(Loop):
    """ab -n RATE -c 4, one batch a second (the next starts when the last
    has ended and its second is over: at most RATE connections a second)."""

    def __init__(self, port, rate):
        super().__init__("churn", 1.0)
        self.url = "http://127.0.0.1:%d/index.html" % port
        self.rate = rate
        self.complete = self.failed = self.batches = 0

    def step(self):
        p = run(["ab", "-q", "-n", str(self.rate), "-c", "4", self.url], timeout=60)
        m = re.search(r"Complete requests:\s+(\d+)", p.stdout)
        f = re.search(r"Failed requests:\s+(\d+)", p.stdout)
        if not m or not f:
            raise SoakError("ab's report has no counts: %s" % p.stdout[:200])
        self.complete += int(m.group(1))
        self.failed += int(f.group(1))
        self.batches += 1


# One forking socat server; what its children read goes through a FIFO to
# wc -c: the bytes read in the namespace, counted by the reader's side. It is
# stopped once its children are gone (every connection read to its end).
# Patient (10 s to connect, 30 s for the readers): a machine under load
# starts the server late and runs its children late.
NS_SCRIPT = """
d=$(mktemp -d /tmp/bssoak-ns.XXXXXX)
mkfifo $d/f
wc -c < $d/f > $d/n &
wcp=$!
socat -u TCP-LISTEN:%(port)d,bind=127.0.0.1,reuseaddr,fork STDOUT > $d/f &
srv=$!
ok=0
i=0
while [ $i -lt %(conns)d ]; do
    i=$((i + 1))
    head -c %(bytes)d /dev/zero | \
        socat -u - TCP:127.0.0.1:%(port)d,retry=500,interval=0.02 && ok=$((ok + 1))
done
n=0
while [ -n "$(ps -o pid= --ppid $srv)" ] && [ $n -lt 600 ]; do
    sleep 0.05
    n=$((n + 1))
done
kill $srv
wait $wcp
echo "received $(cat $d/n)"
echo "connections $ok"
rm -rf $d
"""


def in_netns(name, script, stdout):
    """sh -c script in namespace `name`, in a session of its own (so that
    its whole group can be signalled); text output."""
    return subprocess.Popen(["ip", "netns", "exec", name, "sh", "-c", script],
                            stdin=subprocess.DEVNULL, stdout=stdout,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)


def netns_add(name):
    run(["ip", "netns", "add", name])
    run(["ip", "-n", name, "link", "set", "lo", "up"])


def netns_del(name):
    """Kills what still runs in the namespace, then deletes it."""
    p = run(["ip", "netns", "pids", name], check=False)
    for pid in p.stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
    run(["ip", "netns", "del", name], check=False)


class Namespaces(Loop):
    """One namespace a second with NS_CONNS loopback connections in it;
    each deleted when its traffic is done; at most `live` at once."""

    def __init__(self, prefix, port, live, conns, nbytes):
        super().__init__("namespaces", 1.0)
        self.prefix, self.port, self.live = prefix, port, live
        self.conns, self.nbytes = conns, nbytes
        self.running = []           # (name, Popen)
        self.made = self.removed = self.connections = self.received = 0
        self.failures = []

    def reap(self, block=False):
        for name, p in list(self.running):
            if block:
                try:
                    p.wait(60)
                except subprocess.TimeoutExpired:
                    p.kill()
            if p.poll() is None:
                continue
            out = p.stdout.read()
            m = re.search(r"connections (\d+)", out)
            got = int(m.group(1)) if m else 0
            m = re.search(r"received (\d+)", out)
            self.connections += got
            self.received += int(m.group(1)) if m else 0
            if (got != self.conns or not m) and len(self.failures) < 10:
                self.failures.append("%s: %d of %d connections made; %s"
                                     % (name, got, self.conns, out.strip()[-100:]))
            netns_del(name)
            self.removed += 1
            self.running.remove((name, p))

    def step(self):
        self.reap()
        if len(self.running) >= self.live:
            return
        name = "%s-%d" % (self.prefix, self.made)
        self.made += 1
        netns_add(name)
        p = in_netns(name, NS_SCRIPT % {"port": self.port, "conns": self.conns,
                                        "bytes": self.nbytes}, subprocess.PIPE)
        self.running.append((name, p))

    def finish(self):
        self.reap(block=True)


class Flood:
    """One long connection in a namespace of its own: pv sends `rate` bytes
    a second (-L), socat reads them `read` bytes at a time and passes them
    to wc -c, whose count is the bytes received."""

    def __init__(self, name, port, rate, read):
        self.name = name
        self.received = None
        netns_add(name)
        self.srv = in_netns(name, "socat -u -b %d TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr "
                            "STDOUT | wc -c" % (read, port), subprocess.PIPE)
        self.cli = in_netns(name, "pv -q -L %d /dev/zero | socat -u - TCP:127.0.0.1:%d,"
                            "retry=50,interval=0.05" % (rate, port), subprocess.DEVNULL)

    def alive(self):
        return self.srv.poll() is None and self.cli.poll() is None

    def stop(self):
        """The sender ends (SIGTERM: its socket closes, what it sent is
        delivered), the reader reads to the end; then wc's count."""
        try:
            os.killpg(self.cli.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            out, _ = self.srv.communicate(timeout=20)
            self.received = int(out.strip() or -1)
        except (subprocess.TimeoutExpired, ValueError):
            pass
        netns_del(self.name)
        for p in (self.cli, self.srv):
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


# -- the bufscope instances ---------------------------------------------------

class Instance:
    """One bufscope process, stderr to a file; `ready` on stderr."""

    def __init__(self, name, bufscope, args, out_dir, stdout):
        self.name = name
        self.args = args
        self.err_path = os.path.join(out_dir, "%s.stderr" % name)
        self.errf = open(self.err_path, "wb")
        self.p = subprocess.Popen([bufscope] + args, stdin=subprocess.DEVNULL,
                                  stdout=stdout, stderr=self.errf)
        self.pid = self.p.pid
        self.map_ids, self.prog_ids = set(), set()
        self.maps = {}              # id: (name, type, capacity)
        self.rc = None

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.err_path, "rb") as f:
                if b"ready" in f.read():
                    return
            if self.p.poll() is not None:
                break
            time.sleep(0.1)
        with open(self.err_path, "rb") as f:
            err = f.read().decode("utf-8", "replace")[-300:]
        raise SoakError("bufscope %s printed no `ready` (%s): %s" % (
            " ".join(self.args), "exited %s" % self.p.poll(), err))

    def note_bpf_objects(self):
        """The ids of the BPF maps and programs (links' programs too) whose fds
        it holds, and each hash map's name and capacity."""
        fd_dir = "/proc/%d/fd" % self.pid
        for fd in os.listdir(fd_dir):
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
                with open("/proc/%d/fdinfo/%s" % (self.pid, fd)) as f:
                    info = f.read()
            except OSError:
                continue
            m = re.search(r"map_id:\s+(\d+)", info)
            if "bpf-map" in target and m:
                self.map_ids.add(int(m.group(1)))
            m = re.search(r"prog_id:\s+(\d+)", info)
            if m:
                self.prog_ids.add(int(m.group(1)))
        for mid in self.map_ids:
            p = run(["bpftool", "-j", "map", "show", "id", str(mid)], check=False)
            if p.returncode == 0:
                j = json.loads(p.stdout)
                if j.get("type") in HASH_TYPES:
                    self.maps[mid] = (j.get("name", str(mid)), j["type"], j["max_entries"])

    def map_entries(self):
        """{map name: entries} of its hash maps, by bpftool map dump."""
        out = {}
        for mid, (name, _, _) in sorted(self.maps.items()):
            p = run(["bpftool", "-j", "map", "dump", "id", str(mid)], check=False, timeout=60)
            out[name] = len(json.loads(p.stdout)) if p.returncode == 0 else None
        return out

    def capacities(self):
        return {name: cap for name, _, cap in self.maps.values()}


class JsonPipe(threading.Thread):
    """Reads a bufscope -o json stream to its end: counts lines and bytes,
    checks each line is one JSON object, sums the loss fields (interval
    objects for top, `lost` records for trace) and keeps the summary."""

    def __init__(self, name, fd, every_line):
        super().__init__(name=name, daemon=True)
        self.f = os.fdopen(fd, "rb", buffering=1 << 20)
        self.every_line = every_line   # parse every line, or only lost/summary
        self.lines = self.bytes = self.bad = 0
        self.data_reads = self.data_bytes = 0     # trace's read records
        self.by_cookie = {}     # open cookie: [data reads, bytes, comm, last read time]
        self.closed = {}        # cookie: its close record's (reads, bytes), in order
        self.mismatches = []    # a close whose totals differ from the records
        self.losses = dict.fromkeys(LOSS_KEYS, 0)
        self.summary = None
        self.partial = False
        self.first_bad = None

    def run(self):
        for line in self.f:
            self.lines += 1
            self.bytes += len(line)
            if not line.endswith(b"\n"):
                self.partial = True
            m = READ_RECORD.match(line)
            if m:
                self.read_record(m, line)
                continue
            if not (self.every_line or b'"lost"' in line or b'"summary"' in line
                    or line.startswith(b'{"type":"close"')):
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                self.bad += 1
                self.first_bad = self.first_bad or line[:200]
                continue
            kind = obj.get("type")
            if kind == "close":
                self.close_record(obj)
            elif kind == "summary":
                self.summary = obj
            elif kind in ("interval", "lost"):
                for k in LOSS_KEYS:
                    self.losses[k] += obj.get(k) or 0


    def read_record(self, m, line):
        """A trace read record: its data read counted, overall and for its
        socket (a read of a socket whose close record came already noted)."""
        ret, cookie = int(m.group(3)), int(m.group(2))
        if ret <= 0 or m.group(4) != b"false":
            return
        self.data_reads += 1
        self.data_bytes += ret
        if cookie in self.closed:
            self.mismatch("a read after its socket's close record", cookie, line)
        c = self.by_cookie.setdefault(cookie, [0, 0, m.group(1).decode(), None])
        c[0] += 1
        c[1] += ret
        c[3] = line[:120].decode("utf-8", "replace")

    def close_record(self, obj):
        """A close record's totals must be its socket's read records' sums."""
        cookie = obj.get("cookie")
        got = self.by_cookie.pop(cookie, [0, 0, obj.get("comm"), None])
        want = (obj.get("reads") or 0, obj.get("bytes") or 0)
        if tuple(got[:2]) != want:
            self.mismatch("close record reads, bytes %s; read records %s (last %s)"
                          % (want, tuple(got[:2]), got[3]), cookie, obj)
        self.closed[cookie] = want
        if len(self.closed) > CLOSED_KEPT:
            del self.closed[next(iter(self.closed))]

    def mismatch(self, what, cookie, detail):
        if len(self.mismatches) < 20:
            self.mismatches.append("cookie %s: %s: %s" % (cookie, what, str(detail)[:400]))


class Scraper(threading.Thread):
    """GET /metrics every second: the counters of each series may never
    decrease; the last scrape is kept."""

    def __init__(self, port):
        super().__init__(name="scraper", daemon=True)
        self.url = "http://127.0.0.1:%d/metrics" % port
        self.halt = threading.Event()
        self.count = self.failures = 0
        self.first_failure = None
        self.decreases = []
        self.prev = {}
        self.last = None
        self.max_seconds = 0.0

    def scrape(self):
        t0 = time.monotonic()
        with urllib.request.urlopen(self.url, timeout=10) as r:
            text = r.read().decode()
        self.max_seconds = max(self.max_seconds, time.monotonic() - t0)
        return text

    def check(self, text):
        now = {}
        for line in text.splitlines():
            m = SAMPLE.match(line)
            if m and MONOTONIC.search(m.group(1)):
                now[(m.group(1), m.group(2) or "")] = float(m.group(3))
        for key, v in now.items():
            old = self.prev.get(key)
            if old is not None and v < old and len(self.decreases) < 20:
                self.decreases.append("%s{%s}: %g then %g" % (key[0], key[1], old, v))
        self.prev = now

    def run(self):
        while not self.halt.wait(1.0):
            self.once()

    def once(self):
        try:
            text = self.scrape()
        except OSError as e:
            self.failures += 1
            self.first_failure = self.first_failure or str(e)
            return None
        self.count += 1
        self.check(text)
        self.last = text
        return text

    def stop(self):
        self.halt.set()
        self.join(30)


def serve_map_entries(text):
    """{map: entries} from bufscope_map_entries."""
    out = {}
    for line in (text or "").splitlines():
        m = SAMPLE.match(line)
        if m and m.group(1) == "bufscope_map_entries":
            labels = dict(LABEL.findall(m.group(2) or ""))
            out[labels.get("map", "?")] = int(float(m.group(3)))
    return out


def serve_losses(text):
    got = {}
    for k, name in SERVE_LOSSES.items():
        got[k] = int(series_sum(text or "", name))
    return got


# -- sampling and the growth rule ---------------------------------------------

def proc_figures(pid):
    with open("/proc/%d/status" % pid) as f:
        rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return rss, len(os.listdir("/proc/%d/fd" % pid)), cpu


def thirds(samples):
    k = len(samples) // 3
    return samples[:k], samples[-k:]


def slope(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0


def judge(series_, allowance, name, use_mean=False):
    """The growth rule on [(t, value)] after warm-up: the failures found."""
    if len(series_) < 6:
        return ["%s: too few samples after warm-up (%d) to judge" % (name, len(series_))]
    first, last = thirds(series_)
    agg = (lambda s: sum(v for _, v in s) / len(s)) if use_mean else \
        (lambda s: max(v for _, v in s))
    a, b = agg(first), agg(last)
    fails = []
    # still climbing at the end: a one-time step (a stall that filled the
    # queues once, memory the allocator keeps) that stays flat after is
    # bounded, not a leak
    lx, ly = [t for t, _ in last], [v for _, v in last]
    if use_mean or slope(lx, ly) * (lx[-1] - lx[0]) <= allowance(a) / 3:
        climbing = use_mean
    else:
        climbing = True
    if not climbing:
        return fails
    if b > a + allowance(a):
        fails.append("%s: last third %s %.1f > first third's %.1f + %.1f"
                     % (name, "mean" if use_mean else "max", b, a, allowance(a)))
    xs, ys = [t for t, _ in series_], [v for _, v in series_]
    grown = slope(xs, ys) * (xs[-1] - xs[0])
    if grown > allowance(a):
        fails.append("%s: the fitted slope adds %.1f over %.0fs > %.1f"
                     % (name, grown, xs[-1] - xs[0], allowance(a)))
    return fails


def rule_self_test():
    """The growth rule on made-up RSS series (kB, 10 minutes): flat, and
    filling to a bound early, and a one-time step that stays flat, must
    pass; a steady leak that adds 60 % over the run, and one that starts in
    the last third, must fail. Run before
    every soak, so that a rule that cannot fail is noticed."""
    ts = [float(t) for t in range(0, 600, 10)]
    rss = lambda a: 0.10 * a + 4096    # noqa: E731
    flat = [(t, 20000 + (t % 30)) for t in ts]
    bounded = [(t, 20000 + min(t, 60) * 50) for t in ts]
    leak = [(t, 20000 + t * 20) for t in ts]
    late = [(t, 20000 + max(0, t - 400) * 40) for t in ts]
    step = [(t, 20000 + (8000 if t >= 300 else 0)) for t in ts]
    got = [bool(judge(s, rss, "x")) for s in (flat, bounded, leak, late, step)]
    if got != [False, False, True, True, False]:
        raise SoakError("the growth rule's self-test failed: %s" % got)


def growth_failures(samples, warmup, capacities):
    fails = []
    for inst in sorted({s["instance"] for s in samples}):
        rows = [s for s in samples if s["instance"] == inst and s["t"] >= warmup]
        fails += judge([(s["t"], s["rss_kb"]) for s in rows],
                       lambda a: 0.10 * a + 4096, "%s RSS kB" % inst)
        fails += judge([(s["t"], s["fds"]) for s in rows], lambda a: 8, "%s fds" % inst)
        fails += judge([(s["t"], s["cpu_pct"]) for s in rows if s["cpu_pct"] is not None],
                       lambda a: 0.5 * a + 5, "%s CPU %%" % inst, use_mean=True)
        names = sorted({m for s in rows for m in s["maps"]})
        for m in names:
            cap = capacities.get(inst, {}).get(m)
            pts = [(s["t"], s["maps"][m]) for s in rows if s["maps"].get(m) is not None]
            if cap is None or not pts:
                continue
            if m not in RETAINING:
                fails += judge(pts, lambda a, c=cap: 0.10 * c + 64, "%s map %s" % (inst, m))
            full = max(v for _, v in pts)
            if full > cap:
                fails.append("%s map %s: %d entries > capacity %d" % (inst, m, full, cap))
    return fails


def print_row(s):
    maps = " ".join("%s=%s" % (k, v) for k, v in sorted(s["maps"].items()))
    log("%6.0f %-6s %8.1f %4d %7.2f %6s  %s" % (
        s["t"], s["instance"], s["rss_kb"] / 1024.0, s["fds"], s["cpu_s"],
        "-" if s["cpu_pct"] is None else "%.1f" % s["cpu_pct"], maps))


# -- the run ------------------------------------------------------------------

def bpf_left(inst):
    """The ids of its programs and maps that still exist."""
    left = []
    for kind, ids in (("prog", inst.prog_ids), ("map", inst.map_ids)):
        for i in sorted(ids):
            if run(["bpftool", kind, "show", "id", str(i)], check=False).returncode == 0:
                left.append("%s %d" % (kind, i))
    return left


def soak(a):
    tag = "bssoak-%d" % os.getpid()
    os.makedirs(a.out, exist_ok=True)
    port, sport = a.port, a.port + 1
    fails, notes = [], []
    insts, loads = [], []
    nginx = flood = scraper = None
    pipes = {}
    samples = []
    t0 = time.monotonic()
    try:
        serve = Instance("serve", a.bufscope, ["serve", "--listen", "127.0.0.1:%d" % sport,
                                               "-P", str(port)], a.out, subprocess.DEVNULL)
        insts.append(serve)
        for name, args, every in (("top", ["top", "-o", "json", "-i", "1"], True),
                                  ("trace", ["trace", "-o", "json"], False)):
            r, w = os.pipe()
            inst = Instance(name, a.bufscope, args + ["-P", str(port)], a.out, w)
            os.close(w)
            insts.append(inst)
            pipes[name] = JsonPipe(name, r, every)
            pipes[name].start()
        for inst in insts:
            inst.wait_ready()
            inst.note_bpf_objects()
        nginx = start_nginx(port)
        log0 = nginx_log(nginx)        # the readiness probe's requests
        scraper = Scraper(sport)
        first = scraper.once()
        if first is None:
            raise SoakError("serve does not answer: %s" % scraper.first_failure)
        before = {c: series_sum(first, "bufscope_read_bytes_total", process=c,
                                port=str(port)) for c in ("nginx", "socat")}
        scraper.start()
        churn = Churn(port, a.rate)
        nss = Namespaces(tag, port, a.ns_live, a.ns_conns, a.ns_bytes)
        flood = Flood(tag + "-flood", port, a.flood_rate, a.flood_read)
        loads = [churn, nss]
        for ld in loads:
            ld.start()
        t0 = time.monotonic()
        log("soak: %ds; top pid %d, trace pid %d, serve pid %d; samples every %gs"
            % (a.duration, insts[1].pid, insts[2].pid, serve.pid, a.sample))
        log("%6s %-6s %8s %4s %7s %6s  %s" % ("t(s)", "inst", "RSS(MiB)", "fds",
                                               "cpu(s)", "cpu%", "map entries"))
        prev_cpu = {}
        k = 0
        while True:
            k += 1
            wake = t0 + k * a.sample
            time.sleep(max(0.0, wake - time.monotonic()))
            t = time.monotonic() - t0
            for inst in insts:
                if inst.p.poll() is not None:
                    raise SoakError("%s exited %d during the soak" % (inst.name, inst.p.returncode))
                rss, fds, cpu = proc_figures(inst.pid)
                maps = inst.map_entries()
                if inst is serve:
                    maps.update({"serve:" + m: v for m, v in
                                 serve_map_entries(scraper.last).items()})
                pc = prev_cpu.get(inst.name)
                s = {"t": round(t, 1), "instance": inst.name, "rss_kb": rss, "fds": fds,
                     "cpu_s": cpu,
                     "cpu_pct": None if pc is None else 100.0 * (cpu - pc[1]) / (t - pc[0]),
                     "maps": maps, "connections": churn.complete,
                     "namespaces": nss.made, "scrapes": scraper.count}
                prev_cpu[inst.name] = (t, cpu)
                samples.append(s)
                print_row(s)
            for ld in loads:
                if ld.error:
                    raise SoakError(ld.error)
            if not flood.alive():
                raise SoakError("the read flood ended early")
            if t >= a.duration:
                break
        for ld in loads:
            ld.stop()
        flood_ok = flood.alive()
        flood.stop()
        flood_bytes, flood = flood.received, None
        if not flood_ok:
            fails.append("the read flood ended before the end")
        time.sleep(2.0)            # the last closes reach serve
        scraper.stop()
        final = scraper.once()
        for ld in loads:
            if ld.error:
                fails.append(ld.error)
        for inst in insts:
            if inst.p.poll() is not None:
                fails.append("%s was not alive at the end (exit %d)" % (inst.name, inst.p.returncode))
                continue
            inst.p.send_signal(signal.SIGINT)
        for inst in insts:
            try:
                inst.rc = inst.p.wait(30)
            except subprocess.TimeoutExpired:
                inst.p.kill()
                fails.append("%s did not exit within 30s of SIGINT" % inst.name)
                continue
            if inst.rc != 0:
                fails.append("%s exited %d after SIGINT" % (inst.name, inst.rc))
        for pipe in pipes.values():
            pipe.join(60)
        time.sleep(1.0)            # the kernel frees the objects of closed fds
        for inst in insts:
            left = bpf_left(inst)
            if left:
                fails.append("%s left BPF objects: %s" % (inst.name, ", ".join(left)))
        lines, req_bytes = (n - n0 for n, n0 in zip(nginx_log(nginx), log0))
        result = report(a, samples, fails, notes, churn, nss, scraper, pipes, final,
                        before, lines, req_bytes, flood_bytes, insts)
    finally:
        for ld in loads:
            ld.halt.set()
        if flood:
            flood.stop()
        for ld in loads:
            ld.join(120)
        if scraper:
            scraper.halt.set()
        for inst in insts:
            if inst.p.poll() is None:
                inst.p.kill()
        if nginx:
            nginx.close()
        for name in run(["ip", "netns", "list"], check=False).stdout.split("\n"):
            if name.split(" ")[0].startswith(tag):
                netns_del(name.split(" ")[0])
        write_samples(a.out, samples)
    left = [n for n in run(["ip", "netns", "list"]).stdout.split("\n") if n.startswith(tag)]
    if left:
        result["failures"].append("namespaces left: %s" % ", ".join(left))
    with open(os.path.join(a.out, "result.json"), "w") as f:
        json.dump(result, f, indent=1)
    return result


def report(a, samples, fails, notes, churn, nss, scraper, pipes, final, before,
           lines, req_bytes, flood_bytes, insts):
    warmup = a.warmup
    caps = {i.name: i.capacities() for i in insts}
    caps["serve"].update({"serve:" + m: c for m, c in serve_capacities(scraper.last).items()})
    fails += growth_failures(samples, warmup, caps)
    if scraper.failures:
        fails.append("%d scrapes failed (first: %s)" % (scraper.failures, scraper.first_failure))
    fails += ["serve counter decreased: " + d for d in scraper.decreases]
    for name, pipe in pipes.items():
        if pipe.bad or pipe.partial:
            fails.append("%s: %d lines not JSON, partial last line %s (first: %r)"
                         % (name, pipe.bad, pipe.partial, pipe.first_bad))
        if pipe.summary is None:
            fails.append("%s: no summary at the end" % name)
    losses = {n: p.losses for n, p in pipes.items()}
    losses["serve"] = serve_losses(final)
    for n, p in pipes.items():
        if p.summary is not None:
            summ = {k: p.summary.get(k) or 0 for k in LOSS_KEYS}
            if summ != p.losses:
                fails.append("%s: the summary's losses %s differ from the stream's %s"
                             % (n, summ, p.losses))
    fails += ["trace: " + m for m in pipes["trace"].mismatches]
    totals = instance_totals(pipes, final)
    if len({v for v in totals.values()}) != 1 and not any(
            v for ls in losses.values() for v in ls.values()):
        fails.append("the instances' totals of data reads and bytes differ: %s" % totals)
    if churn.failed:
        fails.append("ab: %d failed requests" % churn.failed)
    if lines != churn.complete:
        fails.append("nginx logged %d requests, ab completed %d" % (lines, churn.complete))
    got = {c: series_sum(final or "", "bufscope_read_bytes_total", process=c,
                         port=str(a.port)) - before[c] for c in before}
    serve_lost = any(losses["serve"][k] for k in ("lost_events", "missed_reads",
                                                  "untracked_sockets"))
    socat_bytes = None if flood_bytes is None else \
        flood_bytes + nss.received
    for what, want in (("nginx", req_bytes), ("socat", socat_bytes)):
        if want is None:
            fails.append("the flood's reader gave no byte count")
        elif got[what] != want and not (serve_lost and got[what] <= want):
            fails.append("serve: %s read %d bytes, its own count is %d" % (what, got[what], want))
    fails += ["namespace " + f for f in nss.failures]
    if nss.made != nss.removed:
        fails.append("namespaces made %d, removed %d" % (nss.made, nss.removed))
    result = {
        "duration_s": a.duration, "warmup_s": warmup, "port": a.port,
        "kernel": os.uname().release, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "connections_ab": churn.complete, "ab_batches": churn.batches,
        "namespaces_made": nss.made, "namespaces_removed": nss.removed,
        "namespace_connections": nss.connections, "namespace_bytes": nss.received,
        "nginx_log_lines": lines, "nginx_request_bytes": req_bytes,
        "serve_nginx_read_bytes": got["nginx"], "flood_bytes": flood_bytes,
        "socat_bytes": socat_bytes, "serve_socat_read_bytes": got["socat"],
        "scrapes": scraper.count,
        "scrape_failures": scraper.failures, "scrape_max_s": round(scraper.max_seconds, 3),
        "lines": {n: p.lines for n, p in pipes.items()},
        "bytes": {n: p.bytes for n, p in pipes.items()},
        "losses": losses, "exit": {i.name: i.rc for i in insts},
        "totals": {k: list(v) for k, v in totals.items()},
        "figures": figures(samples), "failures": fails, "notes": notes,
    }
    log("")
    log("connections: ab %d in %d batches (%d failed); namespaces %d made, %d removed, "
        "%d connections in them" % (churn.complete, churn.batches, churn.failed, nss.made,
                                    nss.removed, nss.connections))
    log("nginx: %d log lines, %d request bytes; serve counted %d" % (lines, req_bytes,
                                                                     got["nginx"]))
    log("socat: flood %s bytes + namespaces %d bytes (wc -c); serve counted %d"
        % (flood_bytes, nss.received, got["socat"]))
    log("scrapes: %d (%d failed, slowest %.3fs)" % (scraper.count, scraper.failures,
                                                    scraper.max_seconds))
    log("output lines: %s" % ", ".join("%s %d (%d bytes)" % (n, p.lines, p.bytes)
                                       for n, p in pipes.items()))
    log("data reads, bytes of every socket on the port: %s" % ", ".join(
        "%s %d, %d" % (k, v[0], v[1]) for k, v in sorted(totals.items())))
    log("losses: %s" % json.dumps(losses, sort_keys=True))
    for name, f in sorted(result["figures"].items()):
        log("%-6s %s" % (name, json.dumps(f, sort_keys=True)))
    return result


def instance_totals(pipes, final):
    """(data reads, bytes) of every socket on the port, as each instance
    counted them: serve's series summed, top's and trace's summaries' sockets
    (closed, folded and evicted ones included), trace's read records. All
    attached before the load began, so they must agree exactly."""
    out = {"serve": (int(series_sum(final or "", "bufscope_reads_total")),
                     int(series_sum(final or "", "bufscope_read_bytes_total"))),
           "trace records": (pipes["trace"].data_reads, pipes["trace"].data_bytes)}
    for name, pipe in pipes.items():
        socks = (pipe.summary or {}).get("sockets", [])
        out[name + " summary"] = (sum(s.get("reads") or 0 for s in socks),
                                  sum(s.get("bytes") or 0 for s in socks))
    return out


def serve_capacities(text):
    out = {}
    for line in (text or "").splitlines():
        m = SAMPLE.match(line)
        if m and m.group(1) == "bufscope_map_capacity":
            out[dict(LABEL.findall(m.group(2) or "")).get("map", "?")] = int(float(m.group(3)))
    return out


def figures(samples):
    """Per instance: RSS, fds, map entries at the start, middle and end,
    CPU % over the run."""
    out = {}
    for inst in sorted({s["instance"] for s in samples}):
        rows = [s for s in samples if s["instance"] == inst]
        if not rows:
            continue
        pick = {"start": rows[0], "middle": rows[len(rows) // 2], "end": rows[-1]}
        f = {}
        for when, s in pick.items():
            f[when] = {"t": s["t"], "rss_kb": s["rss_kb"], "fds": s["fds"], "maps": s["maps"]}
        f["rss_kb_max"] = max(s["rss_kb"] for s in rows)
        f["cpu_pct_run"] = round(100.0 * (rows[-1]["cpu_s"] - rows[0]["cpu_s"]) /
                                 max(1e-9, rows[-1]["t"] - rows[0]["t"]), 2)
        out[inst] = f
    return out


def write_samples(out, samples):
    with open(os.path.join(out, "samples.json"), "w") as f:
        json.dump(samples, f)
    maps = sorted({m for s in samples for m in s["maps"]})
    with open(os.path.join(out, "samples.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["t", "instance", "rss_kb", "fds", "cpu_s", "cpu_pct", "connections",
                    "namespaces", "scrapes"] + ["map:" + m for m in maps])
        for s in samples:
            w.writerow([s["t"], s["instance"], s["rss_kb"], s["fds"], "%.2f" % s["cpu_s"],
                        "" if s["cpu_pct"] is None else "%.2f" % s["cpu_pct"],
                        s["connections"], s["namespaces"], s["scrapes"]] +
                       ["" if s["maps"].get(m) is None else s["maps"][m] for m in maps])


def interrupted(signum, frame):
    """SIGTERM and SIGHUP end the soak as Ctrl-C does: the cleanup runs."""
    raise KeyboardInterrupt("signal %d" % signum)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bufscope", default=".output/bufscope")
    ap.add_argument("--duration", type=int, default=120, help="seconds (default 120)")
    ap.add_argument("--out", default=".output/soak")
    ap.add_argument("--port", type=int, default=27200,
                    help="nginx's and the namespaces' port; serve on PORT+1 (default 27200, below the ephemeral range)")
    ap.add_argument("--rate", type=int, default=200, help="ab requests a second (200)")
    ap.add_argument("--ns-live", type=int, default=4, help="namespaces at once (4)")
    ap.add_argument("--ns-conns", type=int, default=10, help="connections per namespace (10)")
    ap.add_argument("--ns-bytes", type=int, default=4096, help="bytes per connection (4096)")
    ap.add_argument("--flood-rate", type=int, default=65536, help="flood bytes/s (65536)")
    ap.add_argument("--flood-read", type=int, default=16, help="flood read size (16)")
    ap.add_argument("--sample", type=float, default=10.0, help="seconds between samples (10)")
    ap.add_argument("--warmup", type=float, default=None,
                    help="seconds not judged (default: 60, or 300 for runs of 30 min and more)")
    a = ap.parse_args()
    if a.warmup is None:
        a.warmup = 300.0 if a.duration >= 1800 else 60.0
    if os.geteuid() != 0:
        sys.exit("soak: needs root (BPF, network namespaces)")
    if a.duration < a.warmup + 6 * a.sample:
        sys.exit("soak: --duration %d leaves fewer than 6 samples after the %gs warm-up"
                 % (a.duration, a.warmup))
    for tool in ("nginx", "ab", "socat", "pv", "curl", "ip", "bpftool"):
        if not shutil.which(tool):
            sys.exit("soak: %s is not installed (make deps)" % tool)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupted)
    try:
        rule_self_test()
        result = soak(a)
    except (SoakError, harness.Failure) as e:
        print("soak: FAIL: %s" % e, file=sys.stderr)
        return 1
    if result["failures"]:
        for f in result["failures"]:
            print("soak: FAIL: %s" % f, file=sys.stderr)
        return 1
    log("soak: PASS (%ds; samples in %s)" % (a.duration, a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
