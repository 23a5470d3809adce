"""A scrape of `bufscope serve` and its samples, for the serve scenarios
that read a few values (scen_serve.py has the full parser and checks the
format itself)."""
import re
import urllib.request

SAMPLE = re.compile(r"^(\w+)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def scrape(port):
    """The text format of GET /metrics on 127.0.0.1:port."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        return r.read().decode()


def series(text, name, **labels):
    """{sorted label pairs: value} of the samples of `name` whose labels
    include `labels` (values as written, escapes left in)."""
    out = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if not m or m.group(1) != name:
            continue
        have = dict(LABEL.findall(m.group(2) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            out[tuple(sorted(have.items()))] = float(m.group(3))
    return out


def series_sum(text, name, **labels):
    return sum(series(text, name, **labels).values())


def plain(text, name):
    """The value of a sample without labels (bufscope's own figures)."""
    got = series(text, name)
    if () not in got:
        raise AssertionError("no sample %s" % name)
    return got[()]
