"""`bufscope serve` against independent sources.

- serve_prometheus_*: a real Prometheus (Debian's `prometheus`, scraping every
  second) scrapes `bufscope serve -P PORT` while serve_wl.py opens 2000 short
  connections on PORT (each opens, transfers and closes within milliseconds,
  so nearly all of them are gone before the next scrape); afterwards
  Prometheus' HTTP API is asked for the sums by port and they must equal the
  workload's own counts of reads, bytes and requested bytes, exactly, as must
  a direct scrape.
- serve_zero_window_*: the flow workload's slow reader in a network namespace
  of its own; the zero-window counters (through Prometheus and a direct
  scrape) against that namespace's nstat counters and a tcpdump capture.
- serve_promtool, serve_openmetrics_*, serve_text_*, serve_hist_*,
  serve_counters_monotonic: `promtool check metrics`, the reference parsers of
  python3-prometheus-client, the format's rules (HELP and TYPE, no timestamps,
  cumulative buckets, +Inf == _count), reads of 4095, 4096 and 4097 bytes in
  their log2 buckets, counters that never decrease while connections churn.
- serve_labels_*: the default label sets, --labels, --max-series folding.

Everything stays on loopback or in the scenario's namespace; ports 19600-19699.
"""
from harness import *

import http.client
import math
import urllib.parse

SERVE_PORT = 19600          # bufscope serve --listen 127.0.0.1:SERVE_PORT + n
PROM_PORT = 19620           # Prometheus' web port
WL_PORT = 19640             # the workloads' listening ports
ZW_PORT = 19660             # the flow workload's port, in its namespace
DEBIAN_PYTHON = "/usr/bin/python3"   # the interpreter python3-prometheus-client is for
HERE = os.path.dirname(os.path.abspath(__file__))
SERVE_WL = os.path.join(HERE, "serve_wl.py")
REFPARSE = os.path.join(HERE, "serve_refparse.py")
TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OM_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"
OM_ACCEPT = "application/openmetrics-text; version=1.0.0"
# the label set every per-label-set series has by default (BRIEF, issue 12)
DEFAULT_LABELS = ("process", "cgroup", "container", "port")
# labels a family adds to its label set
FAMILY_LABELS = {"direction", "class", "reason", "le", "map", "hook", "tier", "version"}
# self metrics (BRIEF, issue 12): no label set; they must be there
SELF_FAMILIES = {"bufscope_scrape_duration_seconds", "bufscope_lost_events_total",
                 "bufscope_map_entries", "bufscope_map_capacity", "bufscope_attach_info",
                 "bufscope_build_info", "bufscope_series", "bufscope_series_folded_total",
                 "bufscope_hook_misses_total"}


def is_self_family(fam):
    """A family of bufscope's own figures: no sample with a label set label."""
    return not any(set(labels) & set(DEFAULT_LABELS) for _, labels, _, _ in fam["samples"]) \
        and (fam["samples"] or fam["name"] in SELF_FAMILIES)


# ------------------------------------------------------------------ HTTP

def http_get(port, path, headers=None, method="GET", timeout=5.0):
    """(status, {header: value} lower-cased, body text) of one request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        raw = resp.read()
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise Failure("GET %s: the body is not UTF-8 (%s)" % (path, e))
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


class Serve:
    """`bufscope serve --listen 127.0.0.1:PORT ARGS`, ready when it has
    attached (its `ready` line on stderr; the HTTP server answers once the
    programs are attached), GET /-/healthy answers 200 and, unless
    ready_line, GET /metrics answers 200 (which takes a pass)."""

    def __init__(self, ctx, port, args=(), ready_line=False):
        """ready_line: no request to /metrics (a scrape would take a pass,
        walking the sockets, before the test's workload)."""
        self.port = port
        self.bs = Bufscope(ctx, ["serve", "--listen", "127.0.0.1:%d" % port] + list(args))
        self.pid = self.bs.proc.p.pid
        self.bs.wait_ready()
        paths = ["/-/healthy"] + ([] if ready_line else ["/metrics"])
        deadline = time.monotonic() + READY_TIMEOUT
        while paths:
            rc = self.bs.proc.p.poll()
            if rc is not None:
                self.bs.proc.wait_eof(2)
                raise Failure("`%s` exited %d before it was healthy; stderr: %s"
                              % (self.bs.cmdline, rc, one_line(self.bs.proc.err())))
            status = None
            try:
                status = http_get(port, paths[0], timeout=scaled(10))[0]
                if status == 200:
                    paths.pop(0)
                    continue
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise Failure("`%s`: GET %s answered %s, not 200, %gs after it said ready; "
                              "stderr: %s" % (self.bs.cmdline, paths[0], status, READY_TIMEOUT,
                                              one_line(self.bs.proc.err())))
            time.sleep(0.1)

    def scrape(self, openmetrics=False):
        """The exposition, checked for status 200 and its exact Content-Type."""
        headers = {"Accept": OM_ACCEPT} if openmetrics else {}
        status, hdrs, body = http_get(self.port, "/metrics", headers, timeout=scaled(10))
        want = OM_TYPE if openmetrics else TEXT_TYPE
        if status != 200:
            raise Failure("GET /metrics%s: status %d: %s"
                          % (" (OpenMetrics)" if openmetrics else "", status, one_line(body)))
        if hdrs.get("content-type") != want:
            raise Failure("GET /metrics: Content-Type %r, want %r"
                          % (hdrs.get("content-type"), want))
        return body

    def expo(self):
        return parse_exposition(self.scrape())

    def stop(self):
        """SIGTERM: serve must exit 0."""
        rc = self.bs.stop(signal.SIGTERM)
        if rc != 0:
            raise Failure("`%s` exited %d after SIGTERM; stderr: %s"
                          % (self.bs.cmdline, rc, one_line(self.bs.proc.err())))


# ---------------------------------------------------- the text format, parsed here

NAME_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:"
NAME_CHARS = NAME_START + "0123456789"
ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}
SUFFIXES = {"counter": ("_total", "_created", ""), "gauge": ("",), "info": ("_info", ""),
            "histogram": ("_bucket", "_sum", "_count", "_created"),
            "untyped": ("",), "unknown": ("",), "summary": ("", "_sum", "_count")}


def parse_labels(s, i, where):
    """The label set starting after '{' at s[i]: (dict, index after '}')."""
    labels = {}
    while True:
        if s[i:i + 1] == "}":
            return labels, i + 1
        j = i
        while j < len(s) and s[j] in NAME_CHARS and s[j] != ":":
            j += 1
        name = s[i:j]
        if not name or name[0] in "0123456789" or s[j:j + 2] != '="':
            raise Failure("%s: bad label at column %d" % (where, i))
        j += 2
        val = []
        while True:
            if j >= len(s):
                raise Failure("%s: unterminated label value" % where)
            c = s[j]
            if c == "\\":
                if s[j + 1:j + 2] not in ESCAPES:
                    raise Failure("%s: bad escape \\%s" % (where, s[j + 1:j + 2]))
                val.append(ESCAPES[s[j + 1]])
                j += 2
                continue
            if c == "\n":
                raise Failure("%s: raw newline in a label value" % where)
            if c == '"':
                break
            val.append(c)
            j += 1
        if name in labels:
            raise Failure("%s: label %s twice" % (where, name))
        labels[name] = "".join(val)
        j += 1
        if s[j:j + 1] == ",":
            j += 1
        elif s[j:j + 1] != "}":
            raise Failure("%s: expected , or } at column %d" % (where, j))
        i = j


def parse_value(text, where):
    if text in ("+Inf", "-Inf", "NaN"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    try:
        v = float(text)
    except ValueError:
        raise Failure("%s: value %r is not a number" % (where, text))
    return int(v) if v.is_integer() and abs(v) < 2 ** 53 else v


class Expo:
    """A parsed exposition: families[name] = {type, help, unit, samples:
    [(sample name, labels, value, timestamp text or None)]}, in order."""

    def __init__(self):
        self.families = {}
        self.order = []
        self.eof = False

    def samples(self, name, **match):
        """(labels, value) of the samples named `name` whose labels include match."""
        out = []
        for f in self.families.values():
            for n, labels, v, _ in f["samples"]:
                if n == name and all(labels.get(k) == str(w) for k, w in match.items()):
                    out.append((labels, v))
        return out

    def total(self, name, **match):
        return sum(v for _, v in self.samples(name, **match))


def family_of(expo, name, where):
    """The family a sample belongs to: the last TYPE'd one, whose name plus a
    suffix of its type must be the sample's name (a family is one group)."""
    if not expo.order:
        raise Failure("%s: sample before any # TYPE" % where)
    fam = expo.families[expo.order[-1]]
    for suf in SUFFIXES.get(fam["type"], ("",)):
        if name == fam["name"] + suf:
            return fam
    raise Failure("%s: sample %s outside its family %s (%s)"
                  % (where, name, fam["name"], fam["type"]))


def parse_exposition(text, openmetrics=False):
    """Parses the text format 0.0.4 or OpenMetrics 1.0.0 strictly enough for
    the checks: every line a comment (HELP, TYPE, UNIT, EOF) or a sample."""
    expo = Expo()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    else:
        raise Failure("the exposition does not end with a newline")
    for n, line in enumerate(lines, 1):
        where = "line %d %r" % (n, line[:120])
        if expo.eof:
            raise Failure("%s: after # EOF" % where)
        if line.startswith("#"):
            f = line.split(" ", 3)
            if f == ["#", "EOF"]:
                expo.eof = True
                continue
            if len(f) < 3 or f[1] not in ("HELP", "TYPE", "UNIT"):
                if openmetrics:
                    raise Failure("%s: a comment OpenMetrics does not allow" % where)
                continue
            name = f[2]
            fam = expo.families.get(name)
            if fam is None:
                fam = {"name": name, "type": None, "help": None, "unit": None,
                       "samples": []}
                expo.families[name] = fam
                expo.order.append(name)
            elif expo.order[-1] != name:
                raise Failure("%s: family %s split in two groups" % (where, name))
            key = f[1].lower()
            if fam[key] is not None:
                raise Failure("%s: second %s for %s" % (where, f[1], name))
            fam[key] = f[3] if len(f) > 3 else ""
            continue
        if not line.strip():
            raise Failure("%s: empty line" % where)
        i = 0
        while i < len(line) and line[i] in NAME_CHARS:
            i += 1
        name = line[:i]
        if not name or name[0] not in NAME_START:
            raise Failure("%s: no metric name" % where)
        labels = {}
        if line[i:i + 1] == "{":
            labels, i = parse_labels(line, i + 1, where)
        rest = line[i:].split(" ")
        if rest[:1] != [""] or len(rest) not in (2, 3):
            raise Failure("%s: expected ' value [timestamp]'" % where)
        value = parse_value(rest[1], where)
        ts = rest[2] if len(rest) == 3 else None
        family_of(expo, name, where)["samples"].append((name, labels, value, ts))
    return expo


def check_rules(errs, expo, openmetrics, where):
    """The format rules every exposition of serve must follow."""
    if openmetrics:
        errs.true("%s: does not end with # EOF" % where, expo.eof)
    else:
        errs.true("%s: # EOF in the 0.0.4 format" % where, not expo.eof)
    for name in expo.order:
        fam = expo.families[name]
        errs.true("%s: %s has no HELP" % (where, name), fam["help"])
        errs.true("%s: %s has no TYPE" % (where, name), fam["type"])
        for sname, labels, _, ts in fam["samples"]:
            if ts is not None:
                errs.append("%s: %s has a timestamp %s" % (where, sname, ts))
                break
    check_histograms(errs, expo, where)


def bucket_le(text):
    return math.inf if text == "+Inf" else float(text)


def bucket_count(expo, hist, port, le):
    """The bucket of hist with this le (a number or "+Inf", compared as a
    number: "4095" and "4095.0" are the same bucket), summed over the label
    sets of `port`; None when no such bucket is exposed."""
    want = bucket_le(str(le))
    vals = [v for labels, v in expo.samples(hist + "_bucket", port=port)
            if bucket_le(labels.get("le", "nan")) == want]
    return sum(vals) if vals else None


def is_pow2_minus_1(v):
    """v (within float rounding of a printed decimal) is 2^k - 1, k >= 0."""
    n = round(v)
    return abs(v - n) < 1e-6 * max(1, n) and n >= 0 and n & (n + 1) == 0


def is_time_edge(le):
    """le (seconds) is 2^k microseconds less one nanosecond, k >= 0."""
    ns = round(le * 1e9) + 1
    return abs(le * 1e9 + 1 - ns) < 1e-3 and ns % 1000 == 0 and \
        (ns // 1000) & (ns // 1000 - 1) == 0


def check_histograms(errs, expo, where):
    """Per label set: le values are 2^k - 1 (and +Inf), counts cumulative,
    +Inf == _count."""
    for name in expo.order:
        fam = expo.families[name]
        if fam["type"] != "histogram":
            continue
        sets = {}
        for sname, labels, v, _ in fam["samples"]:
            key = tuple(sorted((k, w) for k, w in labels.items() if k != "le"))
            s = sets.setdefault(key, {"buckets": [], "count": None})
            if sname == name + "_bucket":
                s["buckets"].append((bucket_le(labels.get("le", "")), v))
            elif sname == name + "_count":
                s["count"] = v
        for key, s in sets.items():
            les = [le for le, _ in s["buckets"]]
            what = "%s: %s%s" % (where, name, dict(key))
            if not les or les[-1] != math.inf:
                errs.append("%s: no +Inf bucket last (%r)" % (what, les[-3:]))
                return
            if les != sorted(les):
                errs.append("%s: le not in order" % what)
            # log2 slots (docs/metrics.md): bytes le = 2^k - 1; times, whole
            # microseconds truncated from nanoseconds, le = 2^k us - 1 ns
            secs = name.endswith("_seconds")
            bad = [le for le in les[:-1] if not (is_time_edge(le) if secs
                                                 else is_pow2_minus_1(le))]
            errs.true("%s: le values not %s: %r" % (
                what, "2^k us - 1 ns" if secs else "2^k - 1", bad[:3]), not bad)
            counts = [v for _, v in s["buckets"]]
            errs.true("%s: buckets not cumulative %r" % (what, counts),
                      all(a <= b for a, b in zip(counts, counts[1:])))
            if s["count"] is None:
                errs.append("%s: no _count sample (+Inf bucket %r)" % (what, counts[-1]))
                return
            errs.eq("%s: +Inf bucket vs _count" % what, counts[-1], s["count"])


# ------------------------------------------------------------------ Prometheus

class Prometheus:
    """A real Prometheus scraping 127.0.0.1:target every second, with its
    configuration and data in a temporary directory (removed by close())."""

    def __init__(self, target, web_port):
        if not shutil.which("prometheus"):
            raise Failure("prerequisite: prometheus is not installed (make deps)")
        self.tmp = tempfile.mkdtemp(prefix="bufscope-prom-")
        self.port = web_port
        cfg = os.path.join(self.tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
                    "  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: bufscope\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % target)
        self.proc = Proc(["prometheus", "--config.file=" + cfg,
                          "--storage.tsdb.path=" + os.path.join(self.tmp, "data"),
                          "--web.listen-address=127.0.0.1:%d" % web_port,
                          "--log.level=warn"], stdin=False, label="prometheus")
        deadline = time.monotonic() + scaled(30)
        while True:
            try:
                if http_get(web_port, "/-/ready", timeout=1.0)[0] == 200:
                    break
            except OSError:
                pass
            if self.proc.p.poll() is not None or time.monotonic() > deadline:
                err = one_line(self.proc.err())
                self.close()
                raise Failure("prerequisite: prometheus not ready: %s" % err)
            time.sleep(0.2)

    def query(self, expr):
        """The result list of an instant query at now."""
        path = "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        status, _, body = http_get(self.port, path, timeout=scaled(10))
        try:
            res = json.loads(body)
        except ValueError:
            raise Failure("prometheus: %s: status %d, not JSON: %s"
                          % (expr, status, one_line(body)))
        if status != 200 or res.get("status") != "success":
            raise Failure("prometheus: query %s failed: %s" % (expr, one_line(body)))
        return res["data"]["result"]

    def scalar(self, expr):
        """The value of a query with at most one series (None: no series)."""
        res = self.query(expr)
        if len(res) > 1:
            raise Failure("prometheus: %s has %d series, want one" % (expr, len(res)))
        return parse_value(res[0]["value"][1], expr) if res else None

    def scrapes(self, since):
        """[(time, up)] of the bufscope job's scrapes after `since` (wall clock)."""
        res = self.query('up{job="bufscope"}[5m]')
        return [(float(t), int(float(v))) for r in res for t, v in r["values"]
                if float(t) > since]

    def wait_scrapes(self, since, n):
        """Waits until n scrapes have happened after `since` (wall clock)."""
        deadline = time.monotonic() + n + scaled(15)
        while len(self.scrapes(since)) < n:
            if time.monotonic() > deadline:
                raise Failure("prometheus: fewer than %d scrapes in %gs"
                              % (n, n + scaled(15)))
            time.sleep(0.3)

    def close(self):
        if self.proc.p.poll() is None:
            self.proc.signal(signal.SIGTERM)
            if self.proc.wait(scaled(10)) is None:
                self.proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


# ------------------------------------------------------------------ workloads

class ServeWorkload(StdinProtocol):
    """serve_wl.py (see its docstring): short connections on `port` that
    count their own reads."""
    name = "serve_wl"

    def __init__(self, port, args=()):
        self.port = port
        self.proc = Proc([sys.executable, SERVE_WL, "--port", str(port)] + list(args),
                         label="serve_wl")
        line = self.proc.wait_line("out", lambda l: b'"ready"' in l, WORKLOAD_READY_TIMEOUT)
        if line is None:
            raise Failure("serve_wl: no ready line; stderr: %s" % one_line(self.proc.err()))
        self.pid = json.loads(line)["pid"]
        self.done = None



# what the workload counts, by metric (requested bytes: the data reads' sizes)
WL_METRICS = (("bufscope_reads_total", "reads"), ("bufscope_read_bytes_total", "bytes"),
              ("bufscope_requested_bytes_total", "req_bytes"),
              ("bufscope_sized_reads_total", "reads"),
              ("bufscope_full_reads_total", "full_reads"),
              ("bufscope_eof_reads_total", "eof_reads"))


COUNTED_METRICS = [m for m, _ in WL_METRICS] + ["bufscope_partial_reads_total"]


def check_wl_counts(errs, where, get, want):
    """get(metric) against the workload's counts `want`, every metric."""
    for metric, key in WL_METRICS:
        errs.eq("%s %s (workload %s)" % (where, metric, key), get(metric), want[key])
    errs.eq("%s bufscope_partial_reads_total (workload reads - full_reads)" % where,
            get("bufscope_partial_reads_total"), want["reads"] - want["full_reads"])


def counters_of(expo):
    """{(sample name, labels): value} of every counter sample."""
    out = {}
    for name in expo.order:
        fam = expo.families[name]
        if fam["type"] == "counter":
            for sname, labels, v, _ in fam["samples"]:
                out[(sname, tuple(sorted(labels.items())))] = v
    return out


# ------------------------------------------------------------------ scenarios

CHURN_CONNS = 2000
CHURN_RATE = 500            # connections a second: 4 s of churn, 4 scrapes or so
CHURN_ARGS = ["--conns", str(CHURN_CONNS), "--rate", str(CHURN_RATE), "--bytes", "3000",
              "--read", "1000", "--reply", "5000", "--reply-read", "1024",
              "--srv-comm", "bs-prom-srv", "--cli-comm", "bs-prom-cli"]


@scenario("serve_prometheus_exact", "serve_prometheus_client_side",
          "serve_prometheus_scrapes", "serve_direct_scrape_exact")
def t_serve_prometheus(ctx, rec):
    """2000 short connections on a port of their own while Prometheus scrapes
    serve every second; then Prometheus' sums by port vs the workload."""
    port = WL_PORT
    serve = Serve(ctx, SERVE_PORT, ["-P", str(port)])
    prom = Prometheus(SERVE_PORT, PROM_PORT)
    try:
        t_start = time.time()
        prom.wait_scrapes(t_start, 1)
        w = ServeWorkload(port, CHURN_ARGS)
        t_go = time.time()
        w.go()
        done = w.wait_done()
        t_done = time.time()
        prom.wait_scrapes(t_done, 2)
        direct = serve.expo()

        def psum(metric, port_label, extra=""):
            return prom.scalar('sum by (port) (%s{port="%s"%s})'
                               % (metric, port_label, extra))
        got_srv = {m: psum(m, port) for m, _ in WL_METRICS + (
            ("bufscope_partial_reads_total", None),)}
        cli = ',process="bs-prom-cli"'
        got_cli = {m: psum(m, "ephemeral", cli) for m, _ in WL_METRICS + (
            ("bufscope_partial_reads_total", None),)}
        during = prom.query('bufscope_reads_total{port="%d"}[5m]' % port)
        scrapes = prom.scrapes(t_start)
        durations = prom.query('scrape_duration_seconds{job="bufscope"}[5m]')
        resets = prom.query('resets(bufscope_reads_total[5m]) > 0 or '
                            'resets(bufscope_read_bytes_total[5m]) > 0')
        w.finish()
    finally:
        prom.close()
    serve.stop()
    srv, cl = done["server"], done["client"]

    print("  serve_prometheus: %d scrapes; port %d: reads %r/%d, bytes %r/%d, requested %r/%d "
          "(Prometheus/workload); client: reads %r/%d, bytes %r/%d"
          % (len(scrapes), port, got_srv["bufscope_reads_total"], srv["reads"],
             got_srv["bufscope_read_bytes_total"], srv["bytes"],
             got_srv["bufscope_requested_bytes_total"], srv["req_bytes"],
             got_cli["bufscope_reads_total"], cl["reads"],
             got_cli["bufscope_read_bytes_total"], cl["bytes"]), file=sys.stderr, flush=True)

    def exact(errs):
        errs.eq("workload connections", srv["conns"], CHURN_CONNS)
        check_wl_counts(errs, 'prometheus sum by (port) {port="%d"}' % port,
                        lambda m: got_srv[m], srv)
    rec.check("serve_prometheus_exact", exact)

    def client_side(errs):
        check_wl_counts(errs, 'prometheus {port="ephemeral",process="bs-prom-cli"}',
                        lambda m: got_cli[m], cl)
    rec.check("serve_prometheus_client_side", client_side)

    def scrape_history(errs):
        bad = [t for t, up in scrapes if up != 1]
        errs.true("%d of %d scrapes failed (up 0) at %r" % (len(bad), len(scrapes), bad[:3]),
                  not bad)
        errs.true("only %d scrapes" % len(scrapes), len(scrapes) >= 3)
        slow = [float(v) for r in durations for _, v in r["values"] if float(v) >= 0.9]
        errs.true("scrapes over the 900 ms timeout: %r" % slow[:3], not slow)
        errs.eq("series whose counter reset (resets() > 0)", resets, [])
        # the churn must have been scraped while it ran, not only after
        vals = sorted({int(float(v)) for r in during for t, v in r["values"]
                       if t_go < float(t) < t_done})
        errs.true("distinct reads_total values Prometheus saw during the churn: %r "
                  "(want 2 or more: scrapes while connections came and went)" % vals,
                  len(vals) >= 2)
    rec.check("serve_prometheus_scrapes", scrape_history)

    def direct_exact(errs):
        check_wl_counts(errs, "direct scrape port=%d" % port,
                        lambda m: direct.total(m, port=port), srv)
        check_wl_counts(errs, "direct scrape port=ephemeral",
                        lambda m: direct.total(m, port="ephemeral", process="bs-prom-cli"),
                        cl)
    rec.check("serve_direct_scrape_exact", direct_exact)


def within_merged(errs, what, got, want, merged):
    """The sender's side of a zero window: ACKs waiting in the backlog of a
    socket its owner is busy with may be merged there into one (scen_wrap.py,
    docs/metrics.md), so TCP, and bufscope, see fewer; the namespace's
    TcpExtTCPBacklogCoalesce bounds how many. Exact when it did not move."""
    errs.true("%s: bufscope %r, want %d (at most %d fewer: TcpExtTCPBacklogCoalesce)"
              % (what, got, want, merged),
              num(got) and want - merged <= got <= want)


def zw_metric(expo, metric, direction, port_label):
    return expo.total(metric, direction=direction, port=port_label)


def readme_stall_query():
    """The README's PromQL for "which service's readers are stalling": its
    first promql block."""
    with open(os.path.join(HERE, "..", "..", "README.md")) as f:
        m = re.search(r"```promql\n(.*?)```", f.read(), re.S)
    if not m:
        raise Failure("README.md has no promql block")
    return m.group(1).strip()


@scenario("serve_zero_window_vs_nstat", "serve_zero_window_vs_capture",
          "serve_zero_window_prometheus", "serve_readme_promql")
def t_serve_zero_window(ctx, rec):
    """flow's slow reader in a namespace (as flow_zw_*: a 1.2 s stall with a
    64 KiB SO_RCVBUF, then 4 KiB reads every millisecond: many episodes);
    serve in the root namespace with -P PORT, Prometheus scraping it. serve
    starts first: flow closes its listener once it has accepted, and the
    port is a served one only for a listener seen while serve runs."""
    port = ZW_PORT
    env = FlowEnv(ctx)
    prom = None
    try:
        serve = Serve(ctx, SERVE_PORT + 1, ["-P", str(port)])
        prom = Prometheus(SERVE_PORT + 1, PROM_PORT + 1)
        w = FlowWorkload(ctx, env, ["--mode", "zw", "--port", str(port), "--rcvbuf", "65536",
                                    "--bytes", "1000000", "--stall-ms", "1200",
                                    "--read", "4096", "--sleep-us", "1000"])
        prom.wait_scrapes(time.time(), 1)
        before = serve.expo()
        # stray ACKs and tail-loss probes settle in 0.5 s (as flow_zw_*)
        done, cap, n0, n1 = flow_under_capture(env, w, port, 0.5)
        after = serve.expo()
        t_after = time.time()
        prom.wait_scrapes(t_after, 2)
        pq = {}
        for metric in ("bufscope_zero_window_episodes_total",
                       "bufscope_zero_window_segments_total",
                       "bufscope_zero_window_probes_total"):
            for d in ("sent", "received"):
                pq[(metric, d)] = prom.scalar('sum(%s{direction="%s"})' % (metric, d))
        stalling = prom.query(readme_stall_query())
        w.finish()
    finally:
        if prom:
            prom.close()
        env.close()
    serve.stop()

    def d(name):
        return nstat_delta(n0, n1, name)
    print("  serve_zero_window: Prometheus episodes sent %r, nstat TCPToZeroWindowAdv %d, "
          "FromZeroWindowAdv %d; segments sent %r; probes received-direction %r, "
          "TCPWinProbe %d" % (pq[("bufscope_zero_window_episodes_total", "sent")],
                              d("TcpExtTCPToZeroWindowAdv"), d("TcpExtTCPFromZeroWindowAdv"),
                              pq[("bufscope_zero_window_segments_total", "sent")],
                              pq[("bufscope_zero_window_probes_total", "received")],
                              d("TcpExtTCPWinProbe")), file=sys.stderr, flush=True)

    def delta(metric, direction, port_label):
        return (zw_metric(after, metric, direction, port_label)
                - zw_metric(before, metric, direction, port_label))

    def vs_nstat(errs):
        to0, from0 = d("TcpExtTCPToZeroWindowAdv"), d("TcpExtTCPFromZeroWindowAdv")
        if to0 == 0:
            raise Failure("nstat: TcpExtTCPToZeroWindowAdv did not move: no zero window")
        ep = "bufscope_zero_window_episodes_total"
        errs.eq('receiver (port="%d") episodes sent vs nstat TcpExtTCPToZeroWindowAdv' % port,
                delta(ep, "sent", port), to0)
        within_merged(errs, 'sender (port="ephemeral") episodes received vs nstat '
                      'TcpExtTCPToZeroWindowAdv', delta(ep, "received", "ephemeral"), to0,
                      d("TcpExtTCPBacklogCoalesce"))
        errs.eq("receiver episodes received (its peer never closes its window)",
                delta(ep, "received", port), 0)
        # an episode ends at the first segment with a window: FromZeroWindowAdv
        errs.eq("open episodes (sent) vs nstat ToZero - FromZero",
                zw_metric(after, "bufscope_zero_window_open_episodes", "sent", port),
                to0 - from0)
        wp = d("TcpExtTCPWinProbe")
        errs.true("nstat TcpExtTCPWinProbe did not move: no probes", wp > 0)
        # a probe counts in the direction of the zero window it probes
        # (counts.h): the sender's probes are under direction="received"
        errs.eq('sender probes (direction="received") vs nstat TcpExtTCPWinProbe',
                delta("bufscope_zero_window_probes_total", "received", "ephemeral"), wp)
        errs.eq("lost events", after.total("bufscope_lost_events_total"), 0)
    rec.check("serve_zero_window_vs_nstat", vs_nstat)

    def vs_capture(errs):
        a = analyze_capture(cap.need(), port)
        if a["zw_segments"] == 0:
            raise Failure("the capture shows no zero-window segment")
        seg = "bufscope_zero_window_segments_total"
        errs.eq("receiver zero-window segments sent vs the capture's",
                delta(seg, "sent", port), a["zw_segments"])
        within_merged(errs, "sender zero-window segments received vs the capture's",
                      delta(seg, "received", "ephemeral"), a["zw_segments"],
                      d("TcpExtTCPBacklogCoalesce"))
        errs.eq("sender zero-window segments sent (its window never closes)",
                delta(seg, "sent", "ephemeral"), 0)
        errs.eq('receiver probes received (direction="sent") vs the capture\'s',
                delta("bufscope_zero_window_probes_total", "sent", port), a["probes"])
        # capture and bufscope time the same segments at most CAPTURE_SLACK_MS
        # apart (run.py): per episode, twice (start and end)
        eps = [e for e in a["episodes"] if e[1] is not None]
        cap_s = sum(e[1] - e[0] for e in eps) / 1e9
        got = delta("bufscope_zero_window_seconds_total", "sent", port)
        slack = 2 * CAPTURE_SLACK_MS / 1000 * len(eps)
        errs.true("receiver zero-window seconds %r vs the capture's episodes %.6f "
                  "(+- %.3f)" % (got, cap_s, slack),
                  num(got) and abs(got - cap_s) <= slack)
    rec.check("serve_zero_window_vs_capture", vs_capture)

    def via_prometheus(errs):
        to0 = d("TcpExtTCPToZeroWindowAdv")
        a = analyze_capture(cap.need(), port)
        # serve started after the workload's connection existed but before
        # any zero window: the totals are the run's
        errs.eq("prometheus sum(episodes sent) vs nstat TcpExtTCPToZeroWindowAdv",
                pq[("bufscope_zero_window_episodes_total", "sent")], to0)
        within_merged(errs, "prometheus sum(episodes received) vs nstat "
                      "TcpExtTCPToZeroWindowAdv",
                      pq[("bufscope_zero_window_episodes_total", "received")], to0,
                      d("TcpExtTCPBacklogCoalesce"))
        errs.eq("prometheus sum(segments sent) vs the capture",
                pq[("bufscope_zero_window_segments_total", "sent")], a["zw_segments"])
        errs.eq('prometheus sum(probes{direction="received"}) vs nstat TcpExtTCPWinProbe',
                pq[("bufscope_zero_window_probes_total", "received")], d("TcpExtTCPWinProbe"))
        errs.eq('prometheus sum(probes{direction="sent"}) vs the capture\'s probes',
                pq[("bufscope_zero_window_probes_total", "sent")], a["probes"])
    rec.check("serve_zero_window_prometheus", via_prometheus)

    def readme_promql(errs):
        # the slow reader's served port leads, with the share of time its
        # socket spent in zero window (about 1.2 s of stall in the window)
        got = sorted(((float(r["value"][1]), r["metric"].get("port")) for r in stalling),
                     reverse=True)
        errs.true("the README's query has series: %r" % got[:3], got)
        if got:
            errs.eq("the README's query: the stalling port first", got[0][1], str(port))
            errs.true("its value is a share of time in zero window, > 0: %r" % got[0][0],
                      0 < got[0][0] <= 1.0)
    rec.check("serve_readme_promql", readme_promql)


EDGE_SIZES = (4095, 4096, 4097)
EDGE_READS = 10


def run_promtool(text):
    """(exit status, output) of `promtool check metrics` on text."""
    if not shutil.which("promtool"):
        raise Failure("prerequisite: promtool is not installed (make deps: prometheus)")
    res = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                         text=True, timeout=scaled(30))
    return res.returncode, (res.stdout + res.stderr).strip()


def reference_parse(text, kind):
    """python3-prometheus-client's parser (text or openmetrics) on text."""
    if not os.access(DEBIAN_PYTHON, os.X_OK):
        raise Failure("prerequisite: %s missing (python3-prometheus-client)" % DEBIAN_PYTHON)
    res = subprocess.run([DEBIAN_PYTHON, REFPARSE, kind], input=text, capture_output=True,
                         text=True, timeout=scaled(60))
    try:
        out = json.loads(res.stdout)
    except ValueError:
        raise Failure("serve_refparse.py %s: %s" % (kind, one_line(res.stdout + res.stderr)))
    if "error" in out:
        raise Failure("the reference %s parser rejects the exposition: %s"
                      % (kind, out["error"]))
    return out["families"]


def own_sample_count(expo):
    return sum(len(f["samples"]) for f in expo.families.values())


@scenario("serve_promtool", "serve_openmetrics_parse", "serve_text_parse",
          "serve_format_rules", "serve_hist_edges", "serve_counters_monotonic")
def t_serve_format(ctx, rec):
    """Reads of exactly 4095, 4096 and 4097 bytes (one port each, the data
    queued before each read), then five scrapes while 2000 connections churn
    on a fourth port. serve has no filter: the whole machine's label sets."""
    serve = Serve(ctx, SERVE_PORT + 2)
    edges = {}
    for i, size in enumerate(EDGE_SIZES):
        w = ServeWorkload(WL_PORT + 2 + i, [
            "--conns", "1", "--bytes", str(size * EDGE_READS), "--read", str(size),
            "--wait-queued", "--srv-comm", "bs-edge%d" % size])
        w.go()
        edges[size] = (w.port, w.wait_done())
        w.finish()
    text = serve.scrape()
    om = serve.scrape(openmetrics=True)
    churn = ServeWorkload(WL_PORT + 5, CHURN_ARGS)
    churn.go()
    series = []
    for _ in range(5):
        series.append(counters_of(serve.expo()))
        time.sleep(0.5)
    churn.wait_done()
    churn.finish()
    serve.stop()

    def promtool(errs):
        rc, out = run_promtool(text)
        errs.eq("promtool check metrics exit status (output: %s)" % one_line(out), rc, 0)
        errs.eq("promtool check metrics lint output", out, "")
    rec.check("serve_promtool", promtool)

    def om_parse(errs):
        fams = reference_parse(om, "openmetrics")
        own = parse_exposition(om, openmetrics=True)
        errs.true("OpenMetrics exposition does not end in # EOF", om.endswith("# EOF\n"))
        got = sorted(f["name"] for f in fams)
        errs.eq("families: reference parser vs this file's", got,
                sorted(n[:-6] if own.families[n]["type"] == "counter" and n.endswith("_total")
                       else n for n in own.order))
        ts = [s for f in fams for s in f["samples"] if s[3] is not None]
        errs.true("samples with a timestamp: %r" % ts[:2], not ts)
        errs.eq("samples: reference parser vs this file's",
                sum(len(f["samples"]) for f in fams), own_sample_count(own))
        check_rules(errs, own, True, "OpenMetrics")
    rec.check("serve_openmetrics_parse", om_parse)

    def text_parse(errs):
        fams = reference_parse(text, "text")
        own = parse_exposition(text)
        errs.eq("samples: reference parser vs this file's",
                sum(len(f["samples"]) for f in fams), own_sample_count(own))
        missing = [f["name"] for f in fams if f["type"] == "unknown"]
        errs.true("families without a TYPE (reference parser): %r" % missing[:5], not missing)
    rec.check("serve_text_parse", text_parse)

    def rules(errs):
        own = parse_exposition(text)
        check_rules(errs, own, False, "0.0.4")
        for name in sorted(SELF_FAMILIES):
            errs.true("self metric %s missing" % name, name in own.families
                      or name[:-6] in own.families)
    rec.check("serve_format_rules", rules)

    def hist_edges(errs):
        own = parse_exposition(text)
        for size, (port, done) in edges.items():
            errs.eq("workload %d: reads" % size, done["server"]["reads"], EDGE_READS)
            errs.eq("workload %d: full reads (each returned %d)" % (size, size),
                    done["server"]["full_reads"], EDGE_READS)
            hi = (1 << size.bit_length()) - 1      # slot k holds [2^(k-1), 2^k)
            lo = (1 << (size.bit_length() - 1)) - 1
            for h in ("bufscope_read_returned_bytes", "bufscope_read_requested_bytes"):
                def b(le):
                    return bucket_count(own, h, port, le)
                where = "%s port=%d (reads of %d)" % (h, port, size)
                errs.eq(where + ' le="%d"' % lo, b(lo), 0)
                errs.eq(where + ' le="%d"' % hi, b(hi), EDGE_READS)
                errs.eq(where + ' le="+Inf"', b("+Inf"), EDGE_READS)
                errs.eq(where + " _count", own.total(h + "_count", port=port), EDGE_READS)
                errs.eq(where + " _sum", own.total(h + "_sum", port=port), size * EDGE_READS)
    rec.check("serve_hist_edges", hist_edges)

    def monotonic(errs):
        first = series[0]
        for i, cur in enumerate(series[1:], 1):
            prev = series[i - 1]
            for key, v in prev.items():
                if key not in cur:
                    errs.append("scrape %d: counter %s%s gone" % (i + 1, key[0], dict(key[1])))
                elif cur[key] < v:
                    errs.append("scrape %d: counter %s%s went from %r to %r"
                                % (i + 1, key[0], dict(key[1]), v, cur[key]))
        grew = [k for k in series[-1] if k[0] == "bufscope_reads_total" and
                dict(k[1]).get("port") == str(WL_PORT + 5) and series[-1][k] > first.get(k, 0)]
        errs.true("the churn's reads_total did not grow across the scrapes", grew)
    rec.check("serve_counters_monotonic", monotonic)


def cgroup_dir(tag):
    """A cgroup v2 directory for the workload (the test's own, removed after):
    a Docker-style leaf (docker-<64 hex>.scope) under bufscope-serve-TAG-PID."""
    mount = cgroup2_mount()
    cid = ("%08x" % os.getpid()) * 8
    rel = "/bufscope-serve-%s-%d/docker-%s.scope" % (tag, os.getpid(), cid)
    os.makedirs(mount + rel, exist_ok=True)
    return mount, rel, cid


def remove_cgroup(mount, rel):
    for d in (mount + rel, os.path.dirname(mount + rel)):
        try:
            os.rmdir(d)
        except OSError:
            pass


def label_sets(expo, metric="bufscope_reads_total"):
    return [labels for labels, _ in expo.samples(metric)]


@scenario("serve_labels_default", "serve_labels_extra", "serve_labels_max_series",
          "serve_labels_stable")
def t_serve_labels(ctx, rec):
    """The workload in a cgroup of its own with a container-like leaf; three
    server thread names; serve with the default labels, with --labels
    adding pid and peer, and with --max-series 2."""
    port = WL_PORT + 10
    mount, rel, cid = cgroup_dir("labels")
    w = None
    try:
        plain = Serve(ctx, SERVE_PORT + 3, ["-P", str(port)])
        extra = Serve(ctx, SERVE_PORT + 4, ["-P", str(port), "--labels",
                                            "process,cgroup,container,port,pid,peer"])
        capped = Serve(ctx, SERVE_PORT + 5, ["-P", str(port), "--max-series", "2"])
        w = ServeWorkload(port, ["--conns", "300", "--bytes", "2000", "--read", "512",
                                 "--reply", "700", "--reply-read", "256",
                                 "--srv-comms", "3", "--srv-comm", "bs-lbl",
                                 "--cli-comm", "bs-lbl-cli", "--cgroup", mount + rel])
        w.go()
        done = w.wait_done()
        e_plain, e_extra, e_capped = plain.expo(), extra.expo(), capped.expo()
        w.finish()      # the listener closes: the port stays the served one
        e_later = plain.expo()
        for s in (plain, extra, capped):
            s.stop()
    finally:
        if w:
            w.proc.kill()       # a cgroup with a process in it stays
        remove_cgroup(mount, rel)
    srv, cl = done["server"], done["client"]

    def default(errs):
        sets = label_sets(e_plain)
        bad = [l for l in sets if sorted(l) != sorted(DEFAULT_LABELS)]
        errs.true("label sets other than %s: %r" % (DEFAULT_LABELS, bad[:2]), not bad)
        for comm, c in sorted(done["by_comm"].items()):
            got = e_plain.samples("bufscope_reads_total", process=comm)
            errs.eq("label sets of process %s" % comm, len(got), 1)
            if got:
                errs.eq("%s labels" % comm, got[0][0],
                        {"process": comm, "cgroup": rel, "container": cid,
                         "port": str(port)})
                errs.eq("%s reads_total (workload)" % comm, got[0][1], c["reads"])
        got = e_plain.samples("bufscope_reads_total", process="bs-lbl-cli")
        errs.eq("client label sets", [l for l, _ in got],
                [{"process": "bs-lbl-cli", "cgroup": rel, "container": cid,
                  "port": "ephemeral"}])
        errs.eq("client reads_total (workload)", sum(v for _, v in got), cl["reads"])
        # every per-label-set family has the label set, nothing else beyond its own
        for name in e_plain.order:
            if is_self_family(e_plain.families[name]):
                continue
            for sname, labels, _, _ in e_plain.families[name]["samples"]:
                keys = set(labels) - FAMILY_LABELS
                if keys != set(DEFAULT_LABELS):
                    errs.append("%s labels %r" % (sname, labels))
                    break
    rec.check("serve_labels_default", default)

    def extra_labels(errs):
        sets = label_sets(e_extra)
        errs.true("no label set with pid=%d: %r" % (w.pid, sets[:3]),
                  any(l.get("pid") == str(w.pid) for l in sets))
        errs.true("a label set whose peer is not 127.0.0.1 (loopback only): %r" % sets[:3],
                  sets and all(l.get("peer") == "127.0.0.1" for l in sets))
        errs.eq("reads over all label sets (workload server + client)",
                e_extra.total("bufscope_reads_total"), srv["reads"] + cl["reads"])
        errs.eq("bytes over all label sets (workload server + client)",
                e_extra.total("bufscope_read_bytes_total"), srv["bytes"] + cl["bytes"])
    rec.check("serve_labels_extra", extra_labels)

    def max_series(errs):
        sets = label_sets(e_capped)
        other = [l for l in sets if all(v == "other" for v in l.values())]
        # N sets at most, the last place the "other" set's (exporter.c)
        errs.eq("label sets with --max-series 2 (1 + the other set)", len(sets), 2)
        errs.eq("the 'other' label sets", len(other), 1)
        folded = e_capped.total("bufscope_series_folded_total")
        # 4 label sets (three server thread names, the client) for 1 place
        errs.eq("bufscope_series_folded_total (4 sets, 1 kept)", folded, 3)
        errs.eq("bufscope_series", e_capped.total("bufscope_series"), 2)
        for metric, key in WL_METRICS:
            errs.eq("%s over all sets (workload server + client)" % metric,
                    e_capped.total(metric), srv[key] + cl[key])
    rec.check("serve_labels_max_series", max_series)

    def stable(errs):
        for metric, key in WL_METRICS:
            errs.eq("%s port=%d after the listener closed (workload)" % (metric, port),
                    e_later.total(metric, port=port), srv[key])
    rec.check("serve_labels_stable", stable)


@scenario("serve_labels_listener_first")
def t_serve_labels_listener_first(ctx, rec):
    """A service that listens before serve starts (nginx started before the
    exporter, the usual order): connections it accepts right after serve is
    ready, before serve's first interval pass, are still its port's."""
    port = WL_PORT + 11
    w = ServeWorkload(port, ["--conns", "20", "--bytes", "1000", "--read", "500",
                             "--srv-comm", "bs-first"])
    # no request before go: a scrape's pass would walk the sockets first
    serve = Serve(ctx, SERVE_PORT + 6, ["-P", str(port)], ready_line=True)
    w.go()
    done = w.wait_done()
    expo = serve.expo()
    w.finish()
    serve.stop()

    def check(errs):
        got = expo.samples("bufscope_reads_total", process="bs-first")
        errs.eq("ports of the server's label sets",
                sorted(l.get("port") for l, _ in got), [str(port)])
        errs.eq("reads of port %d (workload)" % port,
                expo.total("bufscope_reads_total", port=port), done["server"]["reads"])
    rec.check("serve_labels_listener_first", check)


ODD_COMM = b'q"\\\n\xffz'          # quote, backslash, newline, invalid UTF-8
UTF8_COMM = "\u00e9\u6f22-cli"      # valid UTF-8: kept as it is


@scenario("serve_labels_escaped")
def t_serve_labels_escaped(ctx, rec):
    """Process names are chosen by processes: a server thread named with a
    quote, a backslash, a newline and an invalid UTF-8 byte, a client thread
    with a valid UTF-8 name. The label values are escaped as exporter.c
    documents (backslash and quote escaped; control bytes and invalid UTF-8
    as the text \\xNN; valid UTF-8 as it is), and every parser takes them."""
    port = WL_PORT + 12
    serve = Serve(ctx, SERVE_PORT + 7, ["-P", str(port)])
    w = ServeWorkload(port, ["--conns", "10", "--bytes", "1000", "--read", "300",
                             "--reply", "100", "--srv-comm", ODD_COMM,
                             "--cli-comm", UTF8_COMM])
    w.go()
    done = w.wait_done()
    text = serve.scrape()
    om = serve.scrape(openmetrics=True)
    w.finish()
    serve.stop()
    want = 'q"\\' + "\\x0a" + "\\xff" + "z"

    def check(errs):
        rc, out = run_promtool(text)
        errs.eq("promtool check metrics exit status (output: %s)" % one_line(out), rc, 0)
        for kind, body in (("text", text), ("openmetrics", om)):
            fams = reference_parse(body, kind)
            got = {s[1].get("process") for f in fams for s in f["samples"]
                   if s[0] == "bufscope_reads_total" and s[1].get("port") == str(port)}
            errs.eq("%s: process labels of port %d (reference parser)" % (kind, port),
                    got, {want})
        own = parse_exposition(text)
        errs.eq("reads of the odd name (workload)",
                own.total("bufscope_reads_total", process=want), done["server"]["reads"])
        errs.eq("reads of %r (workload)" % UTF8_COMM,
                own.total("bufscope_reads_total", process=UTF8_COMM), done["client"]["reads"])
        # the bodies decoded as UTF-8 (http_get); no raw control character
        raw = [l for l in (text + om).split("\n") if any(ord(c) < 0x20 for c in l)]
        errs.true("raw control characters in the exposition: %r" % raw[:1], not raw)
    rec.check("serve_labels_escaped", check)


@scenario("serve_gauges_vs_ss", "serve_open_episodes_vs_nstat")
def t_serve_gauges(ctx, rec):
    """flow's reader stalls 3 s in a namespace of its own (64 KiB
    SO_RCVBUF): while its window is closed, a scrape, ss and nstat are taken
    back to back (nothing moves during the stall: no reads, only the
    sender's probes); then, the stall over and the data read, again."""
    port = ZW_PORT + 1
    env = FlowEnv(ctx)
    try:
        serve = Serve(ctx, SERVE_PORT + 8, ["-P", str(port)])
        w = FlowWorkload(ctx, env, ["--mode", "zw", "--port", str(port), "--rcvbuf", "65536",
                                    "--bytes", "1000000", "--stall-ms", "3000",
                                    "--read", "65536", "--sleep-us", "0"])
        n0 = env.nstat()
        w.go()
        deadline = time.monotonic() + 2.0
        while nstat_delta(n0, env.nstat(), "TcpExtTCPToZeroWindowAdv") == 0:
            if time.monotonic() > deadline:
                raise Failure("the window did not close within 2 s of go")
            time.sleep(0.05)
        time.sleep(0.2)
        stalled = serve.expo()
        ss_r = env.ss(w.rconn["lport"], w.rconn["rport"])
        n1 = env.nstat()
        w.wait_done()
        time.sleep(0.5)
        after = serve.expo()
        n2 = env.nstat()
        w.finish()
    finally:
        env.close()
    serve.stop()

    def gauges(errs):
        if len(ss_r) != 1:
            raise Failure("ss shows %d receiver sockets :%d -> :%d"
                          % (len(ss_r), w.rconn["lport"], w.rconn["rport"]))
        r = ss_r[0]
        errs.true("ss: the receiver's Recv-Q is 0 during the stall", r["recvq"] > 0)
        errs.eq("bufscope_queued_bytes{port=%d} (ss Recv-Q)" % port,
                stalled.total("bufscope_queued_bytes", port=port), r["recvq"])
        errs.eq("bufscope_queued_max_bytes{port=%d} (ss Recv-Q, one socket)" % port,
                stalled.total("bufscope_queued_max_bytes", port=port), r["recvq"])
        errs.eq("bufscope_receive_buffer_bytes{port=%d} (ss skmem rb)" % port,
                stalled.total("bufscope_receive_buffer_bytes", port=port), r["skmem"].get("rb"))
        errs.eq("bufscope_sockets_waiting{port=%d} (one receiver, bytes waiting)" % port,
                stalled.total("bufscope_sockets_waiting", port=port), 1)
        errs.eq("bufscope_queued_bytes{port=%d} after the reader read everything" % port,
                after.total("bufscope_queued_bytes", port=port), 0)
        errs.eq("bufscope_sockets_waiting{port=%d} after" % port,
                after.total("bufscope_sockets_waiting", port=port), 0)
    rec.check("serve_gauges_vs_ss", gauges)

    def open_episodes(errs):
        for when, expo, n in (("during the stall", stalled, n1), ("after", after, n2)):
            opened = nstat_delta(n0, n, "TcpExtTCPToZeroWindowAdv") - \
                nstat_delta(n0, n, "TcpExtTCPFromZeroWindowAdv")
            errs.eq("%s: open episodes sent (nstat ToZeroWindowAdv - FromZeroWindowAdv)"
                    % when, expo.total("bufscope_zero_window_open_episodes",
                                       direction="sent", port=port), opened)
            errs.eq("%s: open episodes received (the sender's view of the same)" % when,
                    expo.total("bufscope_zero_window_open_episodes", direction="received",
                               port="ephemeral"), opened)
        errs.eq("nstat: one episode open during the stall",
                nstat_delta(n0, n1, "TcpExtTCPToZeroWindowAdv")
                - nstat_delta(n0, n1, "TcpExtTCPFromZeroWindowAdv"), 1)
    rec.check("serve_open_episodes_vs_nstat", open_episodes)


@scenario("serve_scrape_fresh")
def t_serve_scrape_fresh(ctx, rec):
    """A scrape takes its own pass: with -i 60 no interval pass comes during
    the test, and the connections stay open (--keep-open: no close record
    brings their counts), so counts scraped right after the workload's reads
    can only be exact if the scrape's own pass walked the sockets; twice,
    the second round's counts added to the first's."""
    port = WL_PORT + 13
    serve = Serve(ctx, SERVE_PORT + 9, ["-i", "60"])
    got, want, wls = [], [], []
    for rnd in range(2):
        w = ServeWorkload(port + rnd, ["--conns", "50", "--bytes", "1500", "--read", "700",
                                       "--reply", "300", "--keep-open",
                                       "--srv-comm", "bs-fresh"])
        w.go()
        done = w.wait_done()
        expo = serve.expo()
        wls.append(w)
        got.append({m: expo.total(m, process="bs-fresh") for m in COUNTED_METRICS})
        prev = want[-1] if want else {k: 0 for _, k in WL_METRICS}
        want.append({k: prev[k] + done["server"][k] for _, k in WL_METRICS})
    for w in wls:
        w.finish()
    serve.stop()

    def check(errs):
        for rnd in range(2):
            check_wl_counts(errs, "round %d, scraped at once (-i 60)" % (rnd + 1),
                            lambda m: got[rnd][m], want[rnd])
    rec.check("serve_scrape_fresh", check)
