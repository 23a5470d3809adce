#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The include graph of src/ has layers and no cycles (docs/design-notes.md).

Each directory of src/ is a layer with a rank; a file may include headers of
its own directory or of a directory of lower rank, never higher or sideways.
The output backends (src/out/) are leaves of the graph: only the commands
include them. Cycles are looked for between modules (a .c and its .h are one
module), in the whole graph. Exit status 1, with every offence named.
"""
import os
import re
import sys

# rank: what a directory may include is at its rank (itself) or below
RANKS = {
    "": 7,          # src/main.c: the command table's dispatch
    "cmd": 6,       # one file per command, the shared option parser
    "validate": 5,  # scenarios, namespaces, roles, expectations, reports
    "serve": 5,     # the exporter: HTTP server, web config, exposition
    "engine": 4,    # the event loop and the pass schedule
    "out": 3,       # output backends: table, json
    "model": 2,     # cumulative model, views, counts, histograms
    "kernel": 1,    # loader, tiers, iterators, owners, namespaces
    "util": 0,      # logging, JSON writer, formatting, standard output
}
# who may include the output backends
OUT_USERS = {"", "cmd", "out"}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(rel):
    """src-relative path -> its directory ('' for src/ itself)."""
    d = os.path.dirname(rel)
    return d


def module_of(rel):
    return os.path.splitext(rel)[0]


def main(root):
    src = os.path.join(root, "src")
    files = {}
    for dirpath, _, names in os.walk(src):
        for n in names:
            if n.endswith((".c", ".h")):
                rel = os.path.relpath(os.path.join(dirpath, n), src)
                files[rel] = open(os.path.join(dirpath, n), encoding="utf-8").read()
    # an include "x.h" resolves against the file's directory, then src/
    errors = []
    edges = {}
    for rel, text in sorted(files.items()):
        here = layer_of(rel)
        if here not in RANKS:
            errors.append(f"src/{rel}: directory src/{here} has no layer in "
                          "tests/check_layers.py")
            continue
        for inc in INCLUDE.findall(text):
            cand = [os.path.normpath(os.path.join(here, inc)), inc]
            target = next((c for c in cand if c in files), None)
            if target is None:
                continue  # include/bufscope/, the skeleton, system headers
            there = layer_of(target)
            if there not in RANKS:
                continue
            if there != here and RANKS[there] >= RANKS[here]:
                errors.append(f"src/{rel} includes src/{target}: src/{there or '.'} "
                              f"is not below src/{here or '.'}")
            if there == "out" and here not in OUT_USERS:
                errors.append(f"src/{rel} includes src/{target}: the output "
                              "backends are included by commands only")
            a, b = module_of(rel), module_of(target)
            if a != b:
                edges.setdefault(a, set()).add(b)
    errors += cycles(edges)
    for e in errors:
        print(e, file=sys.stderr)
    if not errors:
        print(f"layers: {len(files)} files in {len(RANKS)} layers, no cycle")
    return 1 if errors else 0


def cycles(edges):
    """Every module cycle, each named once by its path."""
    found, state = [], {}

    def visit(n, path):
        state[n] = 1
        path.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                loop = path[path.index(m):] + [m]
                found.append("include cycle: " + " -> ".join(loop))
            elif m not in state:
                visit(m, path)
        path.pop()
        state[n] = 2

    for n in sorted(edges):
        if n not in state:
            visit(n, [])
    return found


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
