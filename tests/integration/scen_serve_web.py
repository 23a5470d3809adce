"""`bufscope serve --web.config.file`: TLS and basic auth through the real
binary, with curl as the client (the HTTP module's own tests, in
tests/unit/test_http.c, cover every status, limit and timeout).

- serve_web_tls_auth: a certificate made by openssl and a bcrypt hash made
  by htpasswd in the exporter-toolkit's YAML; curl --cacert with the right
  password gets 200 and an exposition that counts a workload exactly; a
  wrong password and none get 401 with WWW-Authenticate; plain HTTP to the
  TLS port gets no HTTP answer; /-/healthy needs the password too.
- serve_web_negotiation: the same server answers Prometheus' Accept header
  with OpenMetrics (its exact Content-Type, # EOF), none with the text
  format 0.0.4, HEAD with the headers and no body, POST with 405, and
  another path with 404.
- serve_web_bad_config: a config with an unknown key exits 2 before
  anything is attached, naming FILE:LINE, with no raw control byte.
- serve_web_concurrent_slow_client: four scrapes at once beside three
  clients stalled half-way through their requests: all answered, whole,
  in under 2 s.
"""
from harness import *

import os
import re
import shutil
import tempfile

WEB_PORT = 26340             # this part's ports (26340-26349, below the ephemeral range)
PROM_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
               "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


def make_web_config(d):
    """A self-signed certificate for 127.0.0.1, a user `prom` with password
    `s3cret` (bcrypt, cost 10), and the YAML naming them."""
    key, crt = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", crt], check=True, capture_output=True,
                   timeout=30)
    out = subprocess.run(["htpasswd", "-nbBC", "10", "prom", "s3cret"], check=True,
                         capture_output=True, text=True, timeout=30).stdout
    hashed = out.strip().split(":", 1)[1]
    path = os.path.join(d, "web.yml")
    with open(path, "w") as f:
        f.write("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
                "basic_auth_users:\n  prom: '%s'\n" % hashed)
    return path, crt


def curl(args, timeout=15):
    """curl's status line and headers (-D -), and its exit status."""
    p = subprocess.run(["curl", "-sS", "-D", "-", "-o", "/dev/null", "--max-time", "10"]
                       + args, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def curl_body(args):
    p = subprocess.run(["curl", "-sS", "--max-time", "10"] + args, capture_output=True,
                       text=True, timeout=15)
    return p.returncode, p.stdout


def status_of(headers):
    m = re.match(r"HTTP/\S+ (\d+)", headers)
    return int(m.group(1)) if m else None


def header(headers, name):
    m = re.search(r"^%s:\s*(.*?)\r?$" % re.escape(name), headers, re.M | re.I)
    return m.group(1) if m else None


@scenario("serve_web_tls_auth", "serve_web_negotiation")
def t_web(ctx, rec):
    d = tempfile.mkdtemp(prefix="bs-web-")
    bs = None
    try:
        cfg, crt = make_web_config(d)
        url = "https://127.0.0.1:%d" % WEB_PORT
        bs = Bufscope(ctx, ["serve", "--listen", "127.0.0.1:%d" % WEB_PORT,
                            "--web.config.file", cfg])
        bs.wait_ready()
        w = Workload(ctx, "reader_mix", ["--comm", "wl_web", "--bytes", "100000"])
        w.go()
        w.wait_done()
        time.sleep(SETTLE)
        auth = ["--cacert", crt, "-u", "prom:s3cret"]
        res = {
            "ok": curl(auth + [url + "/metrics"]),
            "body": curl_body(auth + [url + "/metrics"]),
            "wrong": curl(["--cacert", crt, "-u", "prom:wrong", url + "/metrics"]),
            "none": curl(["--cacert", crt, url + "/metrics"]),
            "healthy_none": curl(["--cacert", crt, url + "/-/healthy"]),
            "healthy": curl(auth + [url + "/-/healthy"]),
            "plain": curl(["http://127.0.0.1:%d/metrics" % WEB_PORT]),
            "om": curl(auth + ["-H", "Accept: " + PROM_ACCEPT, url + "/metrics"]),
            "om_body": curl_body(auth + ["-H", "Accept: " + PROM_ACCEPT, url + "/metrics"]),
            "head": curl(auth + ["-I", url + "/metrics"]),
            "post": curl(auth + ["-X", "POST", url + "/metrics"]),
            "missing": curl(auth + [url + "/nothing"]),
        }
        w.finish()
    finally:
        if bs:
            bs.stop(signal.SIGTERM)
        shutil.rmtree(d, ignore_errors=True)

    def tls_auth(errs):
        rc, hdr, err = res["ok"]
        errs.eq("right password: curl exit", rc, 0)
        errs.eq("right password: status", status_of(hdr), 200)
        rc, body = res["body"]
        want = sum(c["bytes"] for c in w.done["conns"])
        got = sum(float(v) for v in re.findall(
            r'^bufscope_read_bytes_total\{process="wl_web",[^}]*\} (\S+)$', body, re.M))
        errs.eq("wl_web's bytes over TLS vs the workload's", got, want)
        for key in ("wrong", "none", "healthy_none"):
            rc, hdr, err = res[key]
            errs.eq("%s: status" % key, status_of(hdr), 401)
            errs.true("%s: WWW-Authenticate Basic (%r)" % (key, header(hdr, "WWW-Authenticate")),
                      (header(hdr, "WWW-Authenticate") or "").startswith("Basic"))
        errs.eq("healthy with the password", status_of(res["healthy"][1]), 200)
        rc, hdr, err = res["plain"]
        errs.true("plain HTTP to the TLS port: no HTTP status (%r, curl %d: %s)"
                  % (hdr[:40], rc, err.strip()[:80]), rc != 0 and status_of(hdr) is None)
    rec.check("serve_web_tls_auth", tls_auth)

    def negotiation(errs):
        errs.eq("text format's Content-Type", header(res["ok"][1], "Content-Type"),
                "text/plain; version=0.0.4; charset=utf-8")
        errs.eq("Prometheus' Accept: Content-Type", header(res["om"][1], "Content-Type"),
                "application/openmetrics-text; version=1.0.0; charset=utf-8")
        errs.true("OpenMetrics ends in # EOF", res["om_body"][1].endswith("# EOF\n"))
        errs.true("the text format has no # EOF", "# EOF" not in res["body"][1])
        errs.eq("HEAD: status", status_of(res["head"][1]), 200)
        errs.eq("HEAD: Content-Type", header(res["head"][1], "Content-Type"),
                "text/plain; version=0.0.4; charset=utf-8")
        errs.eq("POST: status", status_of(res["post"][1]), 405)
        errs.eq("another path: status", status_of(res["missing"][1]), 404)
    rec.check("serve_web_negotiation", negotiation)


@scenario("serve_web_bad_config")
def t_bad_config(ctx, rec):
    def check(errs):
        d = tempfile.mkdtemp(prefix="bs-web-")
        try:
            path = os.path.join(d, "web.yml")
            with open(path, "w") as f:
                f.write("basic_auth_users:\n  prom: x\ntls_server_confg:\n  cert_file: \x1b[31m\n")
            p = subprocess.run([ctx.bufscope, "serve", "--listen", "127.0.0.1:%d" % (WEB_PORT + 1),
                                "--web.config.file", path], capture_output=True, timeout=30)
            errs.eq("exit status", p.returncode, 2)
            err = p.stderr.decode("utf-8", "replace")
            errs.true("names the file and a line: %r" % err, re.search(r"web\.yml:\d+", err))
            errs.true("no raw ESC byte on stderr", b"\x1b" not in p.stderr)
            errs.true("nothing attached: no ready line", "ready" not in err)
        finally:
            shutil.rmtree(d, ignore_errors=True)
    rec.check("serve_web_bad_config", check)


@scenario("serve_web_concurrent_slow_client")
def t_concurrent(ctx, rec):
    """Three clients stalled half-way through their requests, then four
    scrapes at once: each is answered, whole, in well under the idle
    timeout, and they agree with each other."""
    import socket
    import threading
    from serve_scrape import scrape, series_sum

    port = WEB_PORT + 2
    bs = Bufscope(ctx, ["serve", "--listen", "127.0.0.1:%d" % port])
    stalled, results = [], []
    try:
        bs.wait_ready()
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /metr")
            stalled.append(s)

        def one():
            t0 = time.monotonic()
            text = scrape(port)
            results.append((time.monotonic() - t0, text))
        threads = [threading.Thread(target=one) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
    finally:
        for s in stalled:
            s.close()
        bs.stop(signal.SIGTERM)

    def check(errs):
        errs.eq("scrapes answered", len(results), 4)
        slowest = max((r[0] for r in results), default=None)
        errs.true("the slowest of 4 concurrent scrapes took %r s, want < 2 s" % slowest,
                  slowest is not None and slowest < 2.0)
        errs.true("every answer whole (ends with a newline after the last family)",
                  all(r[1].endswith("\n") and "bufscope_build_info" in r[1] for r in results))
        built = {series_sum(r[1], "bufscope_build_info") for r in results}
        errs.eq("build_info in every answer", built, {1.0})
        print("  serve_web_concurrent: 4 scrapes beside 3 stalled clients, slowest %.3f s"
              % (slowest or -1), file=sys.stderr, flush=True)
    rec.check("serve_web_concurrent_slow_client", check)
