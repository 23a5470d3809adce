# SPDX-License-Identifier: GPL-2.0
"""Real programs the scenarios run as servers, one helper each, shared by the
scen_*.py files that need them (imported by name: not a scenario module).
`make deps` installs the programs (REAL_PKGS in the Makefile)."""

import socket

from harness import *


def children_of(pid):
    """The pids whose parent is pid, sorted (from /proc/PID/stat)."""
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        # the name in parentheses may hold spaces and ')': split after the last
        if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            kids.append(int(d))
    return sorted(kids)


NGINX_CONF = """
worker_processes %(workers)d;
daemon off;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log;
events { worker_connections 1024; }
http {
    log_format counts '%(log_format)s';
    access_log %(d)s/access.log counts;
    client_body_temp_path %(d)s/body;
    proxy_temp_path %(d)s/proxy;
    fastcgi_temp_path %(d)s/fastcgi;
    uwsgi_temp_path %(d)s/uwsgi;
    scgi_temp_path %(d)s/scgi;
    server {
        listen 127.0.0.1:%(port)d;
        root %(d)s/www;
    }
}
"""


class Nginx:
    """nginx with a private configuration and files in a scratch directory:
    2 workers on 127.0.0.1:port serving `files` ({name: text}), an access log
    of `log_format` (whole numbers only: log_lines() reads them back). The
    master stays in the foreground (daemon off) as our child, so killing its
    group stops the workers too."""

    WORKERS = 2

    def __init__(self, port, files, log_format, prefix="bufscope-nginx-"):
        if not shutil.which("nginx"):
            raise Failure("prerequisite: nginx is not installed (make deps)")
        self.port = port
        self.dir = d = tempfile.mkdtemp(prefix=prefix)
        os.chmod(d, 0o755)   # the workers run as nobody
        www = os.path.join(d, "www")
        os.mkdir(www)
        os.chmod(www, 0o755)
        for name, text in files.items():
            with open(os.path.join(www, name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(www, name), 0o644)
        self.log = os.path.join(d, "access.log")
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF % {"d": d, "port": port, "log_format": log_format,
                                  "workers": self.WORKERS})
        self.proc = Proc(["nginx", "-p", d, "-e", os.path.join(d, "error.log"),
                          "-c", conf], stdin=False, label="nginx")
        self.master = self.proc.p.pid
        try:
            self._wait_listening()
            self.workers = self._wait_workers(self.WORKERS)
        except Failure:
            self.close()
            raise

    def _wait_listening(self):
        deadline = time.monotonic() + scaled(10)
        while time.monotonic() < deadline:
            if self.proc.p.poll() is not None:
                raise Failure("nginx exited %d: %s" % (self.proc.p.returncode,
                                                        one_line(self.proc.err())))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise Failure("nginx does not listen on 127.0.0.1:%d" % self.port)

    def _wait_workers(self, n):
        deadline = time.monotonic() + scaled(10)
        while time.monotonic() < deadline:
            kids = children_of(self.master)
            if len(kids) >= n:
                return kids
            time.sleep(0.1)
        raise Failure("nginx started fewer than %d workers" % n)

    def log_lines(self):
        """Requests so far: a tuple of log_format's numbers each."""
        with open(self.log) as f:
            return [tuple(int(x) for x in line.split()) for line in f if line.strip()]

    def close(self):
        self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
