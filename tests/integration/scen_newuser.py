"""What a new user met (issue 13's findings), fixed and kept fixed.

- newuser_caps_dropped: root with every capability dropped (setpriv) gets
  an error that names the missing capabilities, not one that blames the
  kernel's hooks; exit status 1.
- newuser_btf_fifo: BUFSCOPE_BTF naming a FIFO ends at once with "not a
  regular file" (it used to block forever, -d or not).
- newuser_btf_garbage: BUFSCOPE_BTF naming a file that is not BTF says
  libbpf's reason in words (it used to print "Unknown error 4001").
- newuser_cli_printable: an argument quoted in a usage error reaches stderr
  without its control bytes; an -e list of valid names longer than 127
  characters is accepted.
"""
from harness import *

import os
import shutil
import tempfile


def run_bs(ctx, args, env=None, timeout=20, prefix=()):
    e = dict(os.environ)
    e.update(env or {})
    try:
        p = subprocess.run(list(prefix) + [ctx.bufscope] + args, capture_output=True,
                           env=e, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure("`bufscope %s` still running after %gs" % (" ".join(args), timeout))
    return p.returncode, p.stderr


@scenario("newuser_caps_dropped")
def t_caps(ctx, rec):
    def check(errs):
        rc, err = run_bs(ctx, ["top", "-d", "1"],
                         prefix=("setpriv", "--inh-caps=-all", "--bounding-set=-all"))
        errs.eq("exit status", rc, 1)
        errs.true("names CAP_BPF: %s" % one_line(err), b"CAP_BPF" in err)
        errs.true("does not blame the kernel's hooks: %s" % one_line(err),
                  b"trampolines" not in err and b"no way to attach" not in err)
        # control: with its capabilities, the same command runs
        rc, err = run_bs(ctx, ["top", "-d", "1", "-o", "json"])
        errs.eq("with capabilities: exit status (%s)" % one_line(err), rc, 0)
    rec.check("newuser_caps_dropped", check)


@scenario("newuser_btf_fifo", "newuser_btf_garbage")
def t_btf(ctx, rec):
    d = tempfile.mkdtemp(prefix="bs-newuser-")
    try:
        fifo = os.path.join(d, "btf.fifo")
        os.mkfifo(fifo)
        t0 = time.monotonic()
        fifo_res = run_bs(ctx, ["top", "-d", "1"], env={"BUFSCOPE_BTF": fifo}, timeout=10)
        fifo_s = time.monotonic() - t0
        junk = os.path.join(d, "junk.btf")
        with open(junk, "wb") as f:
            f.write(bytes(range(256)) * 20)
        junk_res = run_bs(ctx, ["top", "-d", "1"], env={"BUFSCOPE_BTF": junk})
    finally:
        shutil.rmtree(d, ignore_errors=True)

    def fifo_check(errs):
        rc, err = fifo_res
        errs.eq("exit status", rc, 1)
        errs.true("at once: %.1f s" % fifo_s, fifo_s < 5)
        errs.true("says why: %s" % one_line(err), b"not a regular file" in err)
    rec.check("newuser_btf_fifo", fifo_check)

    def junk_check(errs):
        rc, err = junk_res
        errs.eq("exit status", rc, 1)
        errs.true("no unknown error number: %s" % one_line(err), b"Unknown error" not in err)
        errs.true("libbpf's reason in words: %s" % one_line(err), b"invalid" in err)
    rec.check("newuser_btf_garbage", junk_check)


@scenario("newuser_cli_printable")
def t_cli(ctx, rec):
    def check(errs):
        rc, err = run_bs(ctx, ["top", "--attach", "\x1b]0;owned\x07"])
        errs.eq("bad --attach: exit status", rc, 2)
        errs.true("no control byte on stderr: %r" % err[:120],
                  not any(b < 0x20 and b != 0x0a for b in err))
        errs.true("the value shown made printable: %s" % one_line(err), b"?]0;owned?" in err)
        events = ",".join(["read", "zw", "drop", "rcvbuf", "close"] * 6)
        errs.true("the list is long: %d characters" % len(events), len(events) > 127)
        rc, err = run_bs(ctx, ["trace", "-e", events, "-d", "1", "-o", "json"])
        errs.eq("a long -e list: exit status (%s)" % one_line(err), rc, 0)
    rec.check("newuser_cli_printable", check)
