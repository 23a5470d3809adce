"""`bufscope validate --svg FILE`: the run's timeline as a picture.

Each scenario here runs a validation with `-o json --svg FILE`, so the JSON
report and the picture come from one run, and checks the picture against the
report and against the programs' own counts:
- the SVG is well-formed XML (xml.etree) with the title (scenario, kernel),
  axis labels with units, tick labels, the lines and a legend;
- every zero-window episode the receiver advertised is one shaded rect, at
  the x the plot's scale (data-t0-ms, data-ms-per-px, data-x0) gives for the
  episode's start and end in the JSON; every point of the queue line is a
  measured one (a sample, or a read's queue before or after), the read line
  ends at the bytes the receiving program says it read, the sender's total
  is what the sending program says it wrote;
- headless Chromium renders it; the PNG (decoded here with zlib, no PIL) is
  not blank, the episodes' columns have the shading colour and columns
  outside every episode never do, the queue line is drawn where the reads
  were;
- bad --svg paths: a missing directory and a symbolic link are refused
  before the run, a link planted during the run is refused when the picture
  is written (the link's target is untouched), a write error (/dev/full)
  gives a non-zero exit with the reason; names from a scenario file (markup
  characters, a control character, a byte that is not UTF-8) are escaped.
Chromium is a test dependency (TEST_PKGS in the Makefile): without it the
render checks fail, they are not skipped.
"""
from harness import *

import json
import math
import shutil
import struct
import tempfile
import xml.etree.ElementTree as ET
import zlib

SVG_PORT_BASE = 30100        # this part's ports (30100-30199, below the ephemeral range)
SVG_NS = "{http://www.w3.org/2000/svg}"
SHADE = (0xf4, 0xcc, 0xcc)   # C_EPISODE in src/validate/report_svg.c
QUEUE_RGB = (0x1f, 0x77, 0xb4)  # C_QUEUE
WINDOW = (1200, 700)         # the browser window the picture must fit


# ------------------------------------------------------------ running

def validate(ctx, args, timeout=60, during=None):
    """Runs `bufscope validate ARGS`; (exit status, stdout, stderr). during(proc)
    is called once bufscope says it is ready. Its namespaces must be gone after."""
    p = Proc([ctx.bufscope, "validate"] + args, stdin=False, label="bufscope validate")
    try:
        if during:
            if p.wait_line("err", lambda l: b"ready:" in l, scaled(READY_TIMEOUT)) is None:
                raise Failure("bufscope validate never said ready: %s" % one_line(p.err()))
            during(p)
        rc = p.wait(scaled(timeout))
        if rc is None:
            p.signal(signal.SIGINT)     # validate tears its namespaces down on it
            p.wait(scaled(STOP_TIMEOUT))
            raise Failure("bufscope validate %s did not end in %d s"
                          % (" ".join(args), timeout))
    finally:
        p.kill()
    left = [n for n in run_cmd(["ip", "netns", "list"], "ip netns list").split()
            if n.startswith("bufscope-%d-" % p.p.pid)]
    if left:
        raise Failure("namespaces left behind: %s" % left)
    return rc, p.out().decode(errors="replace"), p.err().decode(errors="replace")


def run_with_svg(ctx, scen, path):
    """One run: the JSON report and the picture."""
    rc, out, err = validate(ctx, [scen, "-o", "json", "--svg", path])
    if rc not in (0, 1):
        raise Failure("validate %s --svg: exit %d: %s" % (scen, rc, one_line(err)))
    try:
        rep = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError) as e:
        raise Failure("validate %s -o json: no JSON report (%s): %s"
                      % (scen, e, one_line(out)))
    if not os.path.exists(path):
        raise Failure("validate %s --svg %s: no file (exit %d): %s"
                      % (scen, path, rc, one_line(err)))
    return rep


def render(svg_path, png_path):
    """The picture as headless Chromium shows it, at scale 1."""
    exe = shutil.which("chromium")
    if not exe:
        raise Failure("chromium is not installed (make deps installs it): the "
                      "picture cannot be rendered")
    prof = tempfile.mkdtemp(prefix="bufscope-svg-chromium-")
    try:
        p = Proc([exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--force-device-scale-factor=1", "--user-data-dir=" + prof,
                  "--screenshot=" + png_path, "--window-size=%d,%d" % WINDOW,
                  "file://" + os.path.abspath(svg_path)], stdin=False, label="chromium")
        rc = p.wait(scaled(60))
        p.kill()
        if rc is None or rc != 0 or not os.path.exists(png_path):
            raise Failure("chromium could not render %s (exit %s): %s"
                          % (svg_path, rc, one_line(p.err())))
    finally:
        shutil.rmtree(prof, ignore_errors=True)
    return read_png(png_path)


# ------------------------------------------------------------ PNG

def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(kind, line, prev, bpp):
    if kind == 0:
        return line
    if kind == 2:
        return bytearray((x + y) & 0xff for x, y in zip(line, prev))
    out = bytearray(line)
    for i in range(len(out)):
        a = out[i - bpp] if i >= bpp else 0
        if kind == 1:
            out[i] = (out[i] + a) & 0xff
        elif kind == 3:
            out[i] = (out[i] + ((a + prev[i]) >> 1)) & 0xff
        elif kind == 4:
            c = prev[i - bpp] if i >= bpp else 0
            out[i] = (out[i] + paeth(a, prev[i], c)) & 0xff
        else:
            raise Failure("PNG: unknown filter %d" % kind)
    return out


class Image:
    def __init__(self, w, h, bpp, rows):
        self.w, self.h, self.bpp, self.rows = w, h, bpp, rows

    def px(self, x, y):
        r = self.rows[y]
        i = x * self.bpp
        return tuple(r[i:i + 3])


def read_png(path):
    """8-bit RGB or RGBA, not interlaced: what Chromium writes."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise Failure("%s is not a PNG" % path)
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise Failure("PNG %s: depth %d, colour type %d, interlace %d: not decoded here"
                      % (path, depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        off = y * (stride + 1)
        line = unfilter(raw[off], bytearray(raw[off + 1:off + 1 + stride]), prev, bpp)
        rows.append(line)
        prev = line
    return Image(w, h, bpp, rows)


def near(c, want, tol=6):
    return all(abs(a - b) <= tol for a, b in zip(c, want))


# ------------------------------------------------------------ SVG

def parse_svg(path):
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as e:
        raise Failure("%s is not well-formed XML: %s" % (path, e))


def all_text(el):
    return "".join(el.itertext())


def find_all(root, tag, cls=None):
    return [e for e in root.iter(SVG_NS + tag) if cls is None or e.get("class") == cls]


class Scale:
    """The picture's own scale, from its data- attributes."""

    def __init__(self, root):
        plot = [g for g in root.iter(SVG_NS + "g") if g.get("id") == "plot"]
        if len(plot) != 1:
            raise Failure("the SVG has %d plot groups, want 1" % len(plot))
        g = plot[0]
        self.t0 = float(g.get("data-t0-ms"))
        self.mspp = float(g.get("data-ms-per-px"))
        self.x0 = float(g.get("data-x0"))
        self.width = float(g.get("data-width"))
        self.end = float(g.get("data-end-ms"))
        self.panels = {}
        for a in find_all(root, "g", "y-axis"):
            self.panels[a.get("data-panel")] = (float(a.get("data-y")),
                                                float(a.get("data-h")),
                                                float(a.get("data-vmax")))

    def x(self, t_ms):
        return self.x0 + (t_ms - self.t0) / self.mspp

    def y(self, panel, v):
        y, h, vmax = self.panels[panel]
        return y + h - v / vmax * h


def polyline(root, cls):
    lines = find_all(root, "polyline", cls)
    if len(lines) != 1:
        raise Failure("the SVG has %d polylines of class %s, want 1" % (len(lines), cls))
    return [tuple(float(v) for v in p.split(",")) for p in lines[0].get("points").split()]


def receiver_episodes(rep, side="receiver"):
    return [e for e in rep[side]["episodes"] if e["dir"] == "advertised"]


def check_structure(errs, root, rep, name):
    titles = [all_text(t) for t in find_all(root, "text", "title")]
    errs.eq("title", titles, ["bufscope validate: %s (kernel %s)"
                              % (name, rep["environment"]["kernel"])])
    labels = [all_text(t) for t in find_all(root, "text", "axis-label")]
    for want in ("queue, window (bytes)", "cumulative (bytes)",
                 "time since the run's start (ms)"):
        errs.true("axis label %r missing (have %s)" % (want, labels), want in labels)
    ticks = [all_text(t) for t in find_all(root, "text", "tick")]
    errs.true("no byte tick labels with a unit: %s" % ticks,
              any(t.endswith(" KiB") or t.endswith(" MiB") for t in ticks))
    errs.true("fewer than 3 time tick labels: %s" % ticks,
              sum(1 for t in ticks if t.replace(".", "").isdigit()) >= 3)
    for cls in ("queue", "read", "sent"):
        pts = polyline(root, cls)
        errs.true("the %s line has %d points" % (cls, len(pts)), len(pts) >= 2)
    legend = [g for g in root.iter(SVG_NS + "g") if g.get("class") == "legend"]
    errs.true("no legend", len(legend) == 1)
    if legend:
        text = " | ".join(all_text(t) for t in legend[0].iter(SVG_NS + "text"))
        for want in ("queue depth", "advertised window", "sent", "read",
                     "zero window advertised by the receiver"):
            errs.true("legend without %r: %s" % (want, text), want in text)
    phases = find_all(root, "line", "phase")
    errs.eq("phase lines", len(phases), len(rep["phases"]))


def check_geometry(errs, root, rep):
    """Episodes where the JSON says; lines made of measured points only."""
    sc = Scale(root)
    errs.true("the plot's end %.3f ms is before the run's end %.3f ms"
              % (sc.end, rep["duration_ms"]), sc.end >= rep["duration_ms"] - 0.001)
    errs.true("data-ms-per-px %.6g: the plot is not %.1f px wide"
              % (sc.mspp, sc.width), abs(sc.x(sc.end) - (sc.x0 + sc.width)) < 0.05)
    for side in ("receiver", "sender"):
        want = receiver_episodes(rep, side)
        rects = [r for r in find_all(root, "rect", "episode")
                 if r.get("data-side") == side]
        errs.eq("%s: shaded rects" % side, len(rects), len(want))
        for i, (r, e) in enumerate(zip(rects, want)):
            start, end = float(r.get("data-start-ms")), float(r.get("data-end-ms"))
            end_want = e["end_ms"] if e["end_ms"] is not None else sc.end
            errs.true("%s episode %d: data-start-ms %.3f, JSON %.3f"
                      % (side, i, start, e["start_ms"]), abs(start - e["start_ms"]) < 0.0015)
            errs.true("%s episode %d: data-end-ms %.3f, JSON %.3f"
                      % (side, i, end, end_want), abs(end - end_want) < 0.0015)
            x, w = float(r.get("x")), float(r.get("width"))
            wx = sc.x(e["start_ms"])
            ww = max(1.0, sc.x(end_want) - wx)
            errs.true("%s episode %d: x %.2f, its start is at %.2f" % (side, i, x, wx),
                      abs(x - wx) < 0.02)
            errs.true("%s episode %d: width %.2f, its length is %.2f" % (side, i, w, ww),
                      abs(w - ww) < 0.03)
    # the queue line: samples' queue, each read's queue before and after
    rx = rep["receiver"]
    cands = [(sc.x(s[0]), sc.y("top", s[1])) for s in rep["samples"]]
    for t, _, ret, before in rx["read_log"]:
        cands.append((sc.x(t), sc.y("top", before)))
        cands.append((sc.x(t), sc.y("top", max(before - ret, 0))))
    q = polyline(root, "queue")
    made_up = [p for p in q if not any(abs(p[0] - c[0]) < 0.03 and abs(p[1] - c[1]) < 0.03
                                       for c in cands)]
    errs.true("queue points that are no measurement: %s" % made_up[:5], not made_up)
    if rx["read_log"]:
        t, _, ret, before = rx["read_log"][0]
        first = (sc.x(t), sc.y("top", before))
        errs.true("the queue line lacks the first read's queue (%d bytes at %.3f ms)"
                  % (before, t), any(abs(p[0] - first[0]) < 0.03 and
                                     abs(p[1] - first[1]) < 0.03 for p in q))
    # the read line ends at what the receiving program read, the sender's
    # total is what it wrote
    rd = polyline(root, "read")
    app_rx, app_tx = rx["app"], rep["sender"]["app"]
    if app_rx is None or app_tx is None:
        raise Failure("the built-in programs' own counts are missing from the JSON")
    errs.true("the read line ends at y %.2f, the receiving program's %d bytes are at %.2f"
              % (rd[-1][1], app_rx["bytes"], sc.y("bottom", app_rx["bytes"])),
              abs(rd[-1][1] - sc.y("bottom", app_rx["bytes"])) < 0.03)
    errs.true("the read line ends at x %.2f, not the plot's end" % rd[-1][0],
              abs(rd[-1][0] - (sc.x0 + sc.width)) < 0.05)
    tot = find_all(root, "line", "sender-total")
    errs.eq("sender totals drawn", len(tot), 1)
    if tot:
        errs.eq("the sender's total", int(tot[0].get("data-bytes")), app_tx["bytes"])
        errs.true("the sender's total is at y %s, want %.2f" % (tot[0].get("y1"),
                  sc.y("bottom", app_tx["bytes"])),
                  abs(float(tot[0].get("y1")) - sc.y("bottom", app_tx["bytes"])) < 0.03)
    return sc


def check_render(errs, img, root, rep, sc):
    """Not blank; shading exactly in the episodes' columns."""
    errs.true("screenshot %dx%d, want %dx%d" % ((img.w, img.h) + WINDOW),
              (img.w, img.h) == WINDOW)
    colours, ink = set(), 0
    for y in range(0, img.h, 3):
        for x in range(0, img.w, 3):
            c = img.px(x, y)
            colours.add(c)
            ink += c != (255, 255, 255)
    total = (img.h // 3 + 1) * (img.w // 3 + 1)
    errs.true("blank picture: %d colours, %.2f%% not white" % (len(colours), 100.0 * ink / total),
              len(colours) >= 8 and ink > total * 0.02)
    # where the JSON's episodes are, by the picture's scale (not its rects)
    spans = []
    for side in ("receiver", "sender"):
        for e in receiver_episodes(rep, side):
            a = sc.x(e["start_ms"])
            b = sc.x(e["end_ms"] if e["end_ms"] is not None else sc.end)
            spans.append((a, max(b, a + 1)))
    # the rows of both panels (the plot's top to its bottom, the gap too)
    y_top = sc.panels["top"][0]
    y_bot = sc.panels["bottom"][0] + sc.panels["bottom"][1]
    rows = [y for y in range(int(y_top) + 3, int(y_bot) - 3, 4)]
    for a, b in (s for s in spans if s[1] - s[0] >= 6):
        for x in (int(a) + 2, int((a + b) / 2), int(b) - 2):
            hits = sum(near(img.px(x, y), SHADE) for y in rows)
            errs.true("episode %.1f-%.1f px: %d of %d pixels at x %d shaded"
                      % (a, b, hits, len(rows), x), hits >= 0.7 * len(rows))
    outside = [x for x in range(int(sc.x0) + 2, int(sc.x0 + sc.width) - 2, 2)
               if not any(a - 3 <= x <= b + 3 for a, b in spans)]
    # a line's antialiased edge can come near the colour in a pixel or two;
    # a shaded column has it all the way down
    shaded = [x for x in outside
              if sum(near(img.px(x, y), SHADE) for y in rows) > 0.1 * len(rows)]
    errs.true("columns shaded outside the episodes: x %s" % shaded[:8], not shaded)
    errs.true("only %d columns outside the episodes to check" % len(outside),
              len(outside) >= 15)


def check_queue_drawn(errs, img, rep, sc):
    """The queue line is drawn where the first read was."""
    reads = rep["receiver"]["read_log"]
    if not reads:
        errs.append("no reads in the report")
        return
    x = int(round(sc.x(reads[0][0])))
    y0, h, _ = sc.panels["top"]
    hits = [(xx, y) for xx in range(x - 2, x + 3) for y in range(int(y0), int(y0 + h))
            if near(img.px(xx, y), QUEUE_RGB, 40)]
    errs.true("no queue-coloured pixel within 2 px of x %d (the first read)" % x,
              len(hits) >= 10)


# ------------------------------------------------------------ scenarios

def svg_scenario(ctx, rec, scen, tmp):
    svg, png = os.path.join(tmp, scen + ".svg"), os.path.join(tmp, scen + ".png")
    rep = run_with_svg(ctx, scen, svg)
    root = parse_svg(svg)
    state = {}
    rec.check("svg-%s-xml" % scen, lambda errs: check_structure(errs, root, rep, scen))

    def geometry(errs):
        state["scale"] = check_geometry(errs, root, rep)
    rec.check("svg-%s-geometry" % scen, geometry)

    def rendered(errs):
        sc = state.get("scale") or Scale(root)
        img = render(svg, png)
        check_render(errs, img, root, rep, sc)
        check_queue_drawn(errs, img, rep, sc)
        if scen == "slow-reader":
            wide = [e for e in receiver_episodes(rep)
                    if e["end_ms"] and (e["end_ms"] - e["start_ms"]) / sc.mspp >= 6]
            errs.true("no episode wide enough to see: %s" % receiver_episodes(rep)[:3],
                      wide)
    rec.check("svg-%s-render" % scen, rendered)
    return rep


@scenario("svg-slow-reader-xml", "svg-slow-reader-geometry", "svg-slow-reader-render",
          "svg-ten-kb-xml", "svg-ten-kb-geometry", "svg-ten-kb-render")
def t_svg_builtins(ctx, rec):
    tmp = tempfile.mkdtemp(prefix="bufscope-svg-")
    try:
        svg_scenario(ctx, rec, "slow-reader", tmp)
        svg_scenario(ctx, rec, "ten-kb", tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def one_error_line(errs, what, rc, err, want):
    errs.eq("%s: exit" % what, rc, 2)
    lines = [l for l in err.splitlines() if l.startswith("bufscope: ") and
             not l.startswith(("bufscope: warning:", "bufscope: ready:"))]
    errs.true("%s: %d error lines: %s" % (what, len(lines), one_line(err)), len(lines) == 1)
    errs.true("%s: the error does not say %r: %s" % (what, want, one_line(err)),
              any(want in l for l in lines))


@scenario("svg-missing-dir", "svg-symlink-refused", "svg-symlink-planted",
          "svg-write-error")
def t_svg_paths(ctx, rec):
    tmp = tempfile.mkdtemp(prefix="bufscope-svg-")
    try:
        def missing(errs):
            path = os.path.join(tmp, "no-such-dir", "t.svg")
            rc, out, err = validate(ctx, ["ten-kb", "--svg", path])
            one_error_line(errs, "--svg under a missing directory", rc, err,
                           "its directory does not exist")
            errs.true("the scenario ran anyway: %s" % one_line(out), "Scenario" not in out)
        rec.check("svg-missing-dir", missing)

        def link(errs):
            target = os.path.join(tmp, "target.txt")
            path = os.path.join(tmp, "link.svg")
            with open(target, "w") as f:
                f.write("keep\n")
            os.symlink(target, path)
            rc, out, err = validate(ctx, ["ten-kb", "--svg", path])
            one_error_line(errs, "--svg onto a symbolic link", rc, err, "symbolic link")
            errs.true("the scenario ran anyway: %s" % one_line(out), "Scenario" not in out)
            with open(target) as f:
                errs.eq("the link's target", f.read(), "keep\n")
        rec.check("svg-symlink-refused", link)

        def planted(errs):
            # the check before the run passes; a link appears during the
            # run: the write itself (O_NOFOLLOW) must refuse it
            target = os.path.join(tmp, "target2.txt")
            path = os.path.join(tmp, "planted.svg")
            with open(target, "w") as f:
                f.write("keep\n")
            rc, out, err = validate(ctx, ["slow-reader", "--svg", path],
                                    during=lambda p: os.symlink(target, path))
            one_error_line(errs, "a link planted during the run", rc, err, "symbolic link")
            errs.true("the report was not printed: %s" % one_line(out), "Scenario" in out)
            with open(target) as f:
                errs.eq("the link's target", f.read(), "keep\n")
        rec.check("svg-symlink-planted", planted)

        def full(errs):
            # a filesystem with no room left: the write fails, and says so
            mnt = os.path.join(tmp, "full")
            os.mkdir(mnt)
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt],
                           check=True)
            try:
                with open(os.path.join(mnt, "filler"), "wb") as f:
                    try:
                        f.write(b"\0" * 1048576)
                    except OSError:
                        pass
                rc, out, err = validate(ctx, ["ten-kb", "--svg", os.path.join(mnt, "t.svg")])
                one_error_line(errs, "--svg on a full filesystem", rc, err,
                               "No space left on device")
            finally:
                subprocess.run(["umount", mnt], check=False)
            # a device is not a picture's place: refused before the run
            rc, out, err = validate(ctx, ["ten-kb", "--svg", "/dev/full"])
            one_error_line(errs, "--svg /dev/full", rc, err, "not a regular file")
            errs.true("the scenario did not run: %s" % one_line(out), "Scenario" not in out)
        rec.check("svg-write-error", full)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


EVIL_NAME = "a<b&c\"'>z"     # refused as a name (letters, digits, . _ + - only)
SAFE_NAME = "evil.name"
EVIL_DESC = b"<script>alert(1)</script> & \x1b[31m red \xff end"


@scenario("svg-escaped")
def t_svg_escaped(ctx, rec):
    tmp = tempfile.mkdtemp(prefix="bufscope-svg-")
    try:
        def escaped(errs):
            ini = os.path.join(tmp, "evil.ini")
            svg = os.path.join(tmp, "evil.svg")
            with open(ini, "wb") as f:
                f.write(b"[scenario]\nname = " + EVIL_NAME.encode() + b"\n[expect]\n"
                        b"receiver.reads = 3\n")
            p = subprocess.run([ctx.bufscope, "validate", ini], capture_output=True,
                               timeout=30)
            errs.eq("a name with markup: exit", p.returncode, 2)
            errs.true("a name with markup: the error names line 2 (got %r)" % p.stderr,
                      b"evil.ini:2:" in p.stderr)
            with open(ini, "wb") as f:
                f.write(b"[scenario]\nname = " + SAFE_NAME.encode() +
                        b"\ndescription = " + EVIL_DESC +
                        b"\nport = %d\ntimeout = 10s\n\n[sender]\nbytes = 10KiB\n"
                        b"write_size = 10KiB\n\n[receiver]\nbuf = 4KiB\n"
                        b"start = after_sender\n\n[expect]\nreceiver.reads = 3\n"
                        % (SVG_PORT_BASE + 1))
            rep = run_with_svg(ctx, ini, svg)
            errs.eq("the JSON's name", rep["scenario"]["name"], SAFE_NAME)
            with open(svg, "rb") as f:
                raw = f.read()
            errs.true("<script> is in the SVG", b"<script" not in raw)
            root = parse_svg(svg)
            titles = [all_text(t) for t in find_all(root, "text", "title")]
            errs.eq("title", titles, ["bufscope validate: %s (kernel %s)"
                                      % (SAFE_NAME, rep["environment"]["kernel"])])
            subs = [all_text(t) for t in find_all(root, "text", "subtitle")]
            errs.true("subtitle %r: the description's markup, control character and "
                      "bad byte not as expected" % subs,
                      len(subs) == 1 and subs[0].startswith(
                          "<script>alert(1)</script> & ?[31m red ? end; ran "))
        rec.check("svg-escaped", escaped)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
