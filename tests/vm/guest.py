# SPDX-License-Identifier: GPL-2.0
"""Runs inside the VM guest (tests/vm/run.py builds its initramfs), as the
init script's last step: loads the kernel modules the tests need, then for
each planned attach tier checks that bufscope attaches with it and runs the
chosen integration scenarios (tests/integration/run.py) with `--attach TIER`.

Everything the host needs is written as `@@BSVM {json}` lines to the second
serial port (/dev/ttyS1, a file on the host); the first one (the console)
only shows progress. The host trusts nothing that is not there: a tier
without a `tier` record, or a run without the final `end` record, failed.

Standard library only (the guest has a pruned copy of the host's Python).
"""

import json
import os
import re
import subprocess
import sys
import threading
import time

CONFIG = sys.argv[1] if len(sys.argv) > 1 else "/vm/config.json"
RESULTS = "/dev/ttyS1"


def uptime():
    try:
        with open("/proc/uptime") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


class Channel:
    def __init__(self, path):
        self.f = open(path, "w", encoding="utf-8", errors="replace")

    def emit(self, **rec):
        rec["uptime"] = uptime()
        self.f.write("@@BSVM " + json.dumps(rec) + "\n")
        self.f.flush()


def console(msg):
    print("vm-guest: " + msg, flush=True)


def tail(text, n=1500):
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return text if len(text) <= n else "..." + text[-n:]


def load_modules(ch, cfg):
    """insmod in the order the host resolved (dependencies first)."""
    loaded, errors = [], []
    for path in cfg.get("modules", []):
        res = subprocess.run(["insmod", path], capture_output=True, text=True)
        name = os.path.basename(path)
        if res.returncode == 0 or "File exists" in res.stderr:
            loaded.append(name)
        else:
            errors.append("%s: %s" % (name, res.stderr.strip() or "exit %d" % res.returncode))
    ch.emit(kind="modules", loaded=loaded, errors=errors)


def attach_args(tier):
    return [] if tier == "default" else ["--attach", tier]


def probe(cfg, tier, timeout):
    """`bufscope top -o json -d 1 [--attach TIER]`: its exit status, stderr,
    and the summary's `attach` object (None without a summary)."""
    argv = [cfg["bufscope"], "top"] + attach_args(tier) + ["-o", "json", "-i", "1", "-d", "1"]
    t0 = time.monotonic()
    try:
        res = subprocess.run(argv, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return {"argv": argv, "rc": None, "stderr": tail(e.stderr or b""),
                "error": "did not exit within %gs" % timeout, "attach": None,
                "seconds": time.monotonic() - t0}
    attach = None
    bad_lines = 0
    for line in res.stdout.decode("utf-8", "replace").splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            bad_lines += 1
            continue
        if isinstance(obj, dict) and obj.get("type") == "summary":
            attach = obj.get("attach")
    return {"argv": argv, "rc": res.returncode, "stderr": tail(res.stderr),
            "attach": attach, "bad_stdout_lines": bad_lines,
            "seconds": round(time.monotonic() - t0, 2)}


def check_probe(tier, mode, p, expect_read=None):
    """(ok, reason) of the attach check of one tier; expect_read: the tier
    the read hook must get (for auto: the best one the kernel offers)."""
    err = p.get("stderr") or ""
    if mode == "expect_error":
        # The tier cannot work on this kernel: bufscope must refuse with one
        # clean error naming the hook, not crash and not measure nothing.
        first = err.strip().splitlines()[0] if err.strip() else ""
        if p["rc"] is None:
            return False, "expected a clean error, but bufscope %s" % p.get("error")
        if p["rc"] == 0:
            return False, "expected an error (the kernel lacks the hook), but bufscope " \
                          "exited 0 with attach %s" % json.dumps(p.get("attach"))
        if p["rc"] < 0:
            return False, "bufscope was killed by signal %d: %s" % (-p["rc"], err)
        if not first.startswith("bufscope: "):
            return False, "stderr does not start with 'bufscope: ': %r" % err[:300]
        if not re.search(r"\bread\b|sock_recv_length|tcp_recvmsg", err):
            return False, "the error names no hook (read, sock_recv_length): %r" % err[:300]
        return True, "refused as expected: %s" % first
    if p["rc"] != 0:
        return False, "does not attach: bufscope exited %r%s: %s" % (
            p["rc"], " (%s)" % p["error"] if p.get("error") else "", err.strip()[:600])
    a = p.get("attach")
    if not isinstance(a, dict) or not a:
        return False, "the JSON summary has no attach object: %r" % (a,)
    want = expect_read or (tier if tier not in ("auto", "default") else None)
    if want and a.get("read") != want:
        return False, "--attach %s, but the summary says read=%r, want %s (attach %s)" % (
            tier, a.get("read"), want, json.dumps(a))
    return True, ""


def run_suite(cfg, tier, only, timeout):
    """tests/integration/run.py on one tier: (tests, summary line, rc, error)."""
    argv = [cfg["python"], "-S", cfg["run_py"], "--bufscope", cfg["bufscope"],
            "--workloads", cfg["workloads"], "--only", only,
            "--timeout-scale", str(cfg["timeout_scale"]), "-v"] + attach_args(tier)
    tests, summary, error = [], None, None
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    killed = []

    def watchdog():
        while p.poll() is None:
            if time.monotonic() > deadline:
                killed.append(True)
                p.kill()
                return
            time.sleep(0.5)
    threading.Thread(target=watchdog, daemon=True).start()
    for raw in p.stdout:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        console("[%s] %s" % (tier, line[:300]))
        m = re.match(r"(PASS|FAIL) (\S+?)(?:: (.*))?$", line)
        if m:
            tests.append({"name": m.group(2), "ok": m.group(1) == "PASS",
                          "reason": m.group(3) or ""})
        elif re.match(r"integration: \d+ passed, \d+ failed$", line):
            summary = line
    rc = p.wait()
    if killed:
        error = "run.py did not finish within %ds (killed)" % timeout
    elif summary is None:
        error = "run.py exited %d without its closing line" % rc
    return tests, summary, rc, error


def main():
    with open(CONFIG) as f:
        cfg = json.load(f)
    ch = Channel(RESULTS)
    un = os.uname()
    ch.emit(kind="boot", label=cfg["label"], release=un.release, version=un.version,
            btf=os.path.exists("/sys/kernel/btf/vmlinux"), cpus=os.cpu_count())
    console("kernel %s, BTF %s" % (un.release, os.path.exists("/sys/kernel/btf/vmlinux")))
    load_modules(ch, cfg)
    res = subprocess.run([cfg["bufscope"], "--version"], capture_output=True)
    ch.emit(kind="version", rc=res.returncode, stdout=tail(res.stdout, 3000),
            stderr=tail(res.stderr))
    for item in cfg["plan"]:
        tier, mode = item["tier"], item["mode"]
        t0 = time.monotonic()
        console("tier %s (%s)" % (tier, mode))
        p = probe(cfg, tier, item["probe_timeout"])
        ok, reason = check_probe(tier, mode, p, item.get("expect_read"))
        console("tier %s attach check: %s %s" % (tier, "ok" if ok else "FAILED", reason))
        rec = {"tier": tier, "mode": mode, "probe": p, "attach_ok": ok,
               "attach_reason": reason, "tests": [], "summary": None, "rc": None,
               "error": None}
        if mode == "suite":
            # Run even when the attach check failed: every test then fails
            # with bufscope's own error (quickly: bufscope exits at once).
            tests, summary, rc, error = run_suite(cfg, tier, item["only"], item["timeout"])
            rec.update(tests=tests, summary=summary, rc=rc, error=error)
        rec["seconds"] = round(time.monotonic() - t0, 1)
        ch.emit(kind="tier", **rec)
    # Warnings, BUGs and oopses the tests provoked (the console shows only
    # errors: loglevel=3).
    res = subprocess.run(["dmesg"], capture_output=True)
    ch.emit(kind="dmesg", rc=res.returncode, text=tail(res.stdout, 60000))
    ch.emit(kind="end")
    console("done")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:   # the host reports the missing records; say why here
        import traceback
        traceback.print_exc()
        console("guest driver failed: %s" % e)
        sys.exit(1)
