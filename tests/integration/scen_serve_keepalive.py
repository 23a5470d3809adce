"""`bufscope serve` keeps a scraper's connection open between requests
(docs/serve.md, "The endpoint" and "Limits and timeouts"), through the real
binary with Python's http.client as the client:

- serve_web_keep_alive: two scrapes with Prometheus' headers, a POST with a
  body (405) and a request after it, all on one TCP connection: the same
  client socket, which `ss` shows ESTABLISHED on both ends between the
  requests; no answer says `Connection: close`. Left idle, the connection
  is closed by serve after its idle timeout (10 s).

The HTTP module's own tests (tests/unit/test_http.c: test_keep_alive and
test_keep_alive_idle_timeout) cover HEAD, 404, pipelining and long bodies.
"""
from harness import *

import http.client
import socket

KA_PORT = 26800             # this part's ports (26800-26849)
PROM_HEADERS = {
    "Accept": "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
              "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    "Accept-Encoding": "gzip",
}


def ask(conn, method, path, body=None, headers=None):
    """(status, Connection header or None, body length, client's local port)
    of one request on conn, which must not reconnect: http.client opens a
    new socket by itself when the server closed the last one, so the local
    port tells."""
    conn.request(method, path, body=body, headers=headers or {})
    lport = conn.sock.getsockname()[1]
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, resp.getheader("Connection"), len(data), lport


def established(lport, rport):
    return [r for r in ss_find(lport, rport) if r["state"] == "ESTAB"]


@scenario("serve_web_keep_alive")
def t_keep_alive(ctx, rec):
    bs = Bufscope(ctx, ["serve", "--listen", "127.0.0.1:%d" % KA_PORT])
    res = {}
    try:
        bs.wait_ready()
        conn = http.client.HTTPConnection("127.0.0.1", KA_PORT, timeout=10)
        res["first"] = ask(conn, "GET", "/metrics", headers=PROM_HEADERS)
        me = res["first"][3]
        res["ss_after_first"] = (len(established(me, KA_PORT)),
                                 len(established(KA_PORT, me)))
        res["second"] = ask(conn, "GET", "/metrics", headers=PROM_HEADERS)
        res["post"] = ask(conn, "POST", "/metrics", body=b"x" * 100,
                          headers={"Content-Type": "text/plain"})
        res["after_post"] = ask(conn, "GET", "/-/healthy")
        res["ss_after_all"] = (len(established(me, KA_PORT)),
                               len(established(KA_PORT, me)))
        # idle now: serve closes it after its timeout (the client sees EOF)
        sock = conn.sock     # None: closed after the last answer already
        t0 = time.monotonic()
        try:
            if sock:
                sock.settimeout(30)
            res["idle_read"] = sock.recv(1) if sock else "closed at once"
        except OSError as e:
            res["idle_read"] = e
        res["idle_closed_after"] = time.monotonic() - t0
        conn.close()
    finally:
        bs.stop(signal.SIGTERM)

    def check(errs):
        first, second = res["first"], res["second"]
        post, after = res["post"], res["after_post"]
        for key in ("first", "second", "after_post"):
            errs.eq("%s: status" % key, res[key][0], 200)
        errs.eq("POST with a 100-byte body: status", post[0], 405)
        for key in ("first", "second", "post", "after_post"):
            errs.eq("%s: Connection header" % key, res[key][1], None)
            errs.eq("%s: the same client socket (local port)" % key, res[key][3], first[3])
        errs.true("the scrapes have bodies (%d, %d bytes)" % (first[2], second[2]),
                  first[2] > 0 and second[2] > 0)
        errs.eq("ss: ESTAB client and server ends after the first scrape",
                res["ss_after_first"], (1, 1))
        errs.eq("ss: ESTAB client and server ends after the four requests",
                res["ss_after_all"], (1, 1))
        errs.eq("idle: serve closed the connection (EOF)", res["idle_read"], b"")
        took = res["idle_closed_after"]
        errs.true("idle: closed after %.1f s, want the 10 s timeout" % took, 9.0 <= took <= 13.0)
        print("  serve_web_keep_alive: 4 requests on local port %s; closed after %.1f s idle"
              % (first[3], took), file=sys.stderr, flush=True)
    rec.check("serve_web_keep_alive", check)
