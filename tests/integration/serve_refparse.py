# SPDX-License-Identifier: GPL-2.0
"""Parses an exposition read on stdin with the reference parsers of
python3-prometheus-client and prints what they found as one JSON object:

    python3 serve_refparse.py text|openmetrics < exposition

{"families": [{"name", "type", "documentation", "unit", "samples":
[[name, labels, value, timestamp], ...]}, ...]} or, when the parser rejects
the input, {"error": "..."} (exit status 1).

scen_serve.py runs it with the interpreter that Debian's package is
installed for (/usr/bin/python3), whatever python3 runs the tests.
"""

import json
import math
import sys


def value(v):
    """JSON has no infinities or NaN: those as strings."""
    if math.isinf(v) or math.isnan(v):
        return str(v)
    return v


def main():
    kind = sys.argv[1] if len(sys.argv) > 1 else ""
    if kind == "text":
        from prometheus_client.parser import text_string_to_metric_families
    elif kind == "openmetrics":
        from prometheus_client.openmetrics.parser import text_string_to_metric_families
    else:
        sys.stderr.write("usage: serve_refparse.py text|openmetrics < exposition\n")
        return 2
    text = sys.stdin.read()
    fams = []
    try:
        for f in text_string_to_metric_families(text):
            fams.append({"name": f.name, "type": f.type, "documentation": f.documentation,
                         "unit": getattr(f, "unit", ""),
                         "samples": [[s.name, s.labels, value(s.value),
                                      None if s.timestamp is None else str(s.timestamp)]
                                     for s in f.samples]})
    except Exception as e:      # the parser's verdict is the result
        print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))
        return 1
    print(json.dumps({"families": fams}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
