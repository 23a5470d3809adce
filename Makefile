# SPDX-License-Identifier: GPL-2.0
# bufscope: `make` builds, `make check` tests, `make demo` shows it working.
# Quiet by default; V=1 shows every command.

# make SANITIZE=1: bufscope, its library and the unit tests built with
# AddressSanitizer and UndefinedBehaviorSanitizer (any report is fatal), in
# an output directory of their own.
SAN_ASAN_UBSAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ifeq ($(SANITIZE),1)
OUTPUT ?= .output-sanitize
SAN_FLAGS := $(SAN_ASAN_UBSAN)
endif
# SANITIZE=fuzz (what `make fuzz` sets): the same, by clang, every object
# instrumented for libFuzzer's coverage (tests/fuzz/, docs/testing.md).
ifeq ($(SANITIZE),fuzz)
OUTPUT ?= .output-fuzz
CC := clang
SAN_FLAGS := $(SAN_ASAN_UBSAN) -fsanitize=fuzzer-no-link
endif
OUTPUT ?= .output
PREFIX ?= /usr/local
DESTDIR ?=
CLANG ?= clang
BPFTOOL ?= bpftool
CC := $(if $(filter default,$(origin CC)),gcc,$(CC))
PYTHON ?= python3

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ifneq ($(ARCH),x86)
$(error bufscope builds for x86-64 only so far (this machine: $(shell uname -m)))
endif
VMLINUX := vmlinux/$(ARCH)/vmlinux.h
VERSION := 0.1.0

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -DBUFSCOPE_VERSION='"$(VERSION)"'
CFLAGS += $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
INCLUDES := -Iinclude -Isrc -Iworkloads -I$(OUTPUT)
BPF_CFLAGS := -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) \
	-I$(dir $(VMLINUX)) -Iinclude -Ibpf
LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf) -linih -lelf -lz -lm
# `serve`'s HTTP server (libmicrohttpd, GnuTLS), web config (libyaml) and
# password hashes (libxcrypt).
SERVE_LIBS := $(shell pkg-config --libs libmicrohttpd gnutls yaml-0.1 libcrypt 2>/dev/null || \
	echo -lmicrohttpd -lgnutls -lyaml -lcrypt) -lpthread
LIBS += $(SERVE_LIBS)

BPF_SRCS := $(wildcard bpf/*.bpf.c)
# maps.bpf.o defines what the others declare extern: the linker wants it first.
BPF_OBJS := $(OUTPUT)/bpf/maps.bpf.o $(filter-out $(OUTPUT)/bpf/maps.bpf.o,\
	$(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS)))
SRCS := $(wildcard src/*.c src/*/*.c)
OBJS := $(patsubst src/%.c,$(OUTPUT)/src/%.o,$(SRCS))
LIB_OBJS := $(filter-out $(OUTPUT)/src/main.o,$(OBJS))
SKEL := $(OUTPUT)/bufscope.skel.h
# The workload library (workloads/: sender, reader, connections), built once
# and linked into bufscope (demo), the test workloads and the bench programs.
WL_SRCS := $(wildcard workloads/*.c)
WL_OBJS := $(patsubst workloads/%.c,$(OUTPUT)/workloads/%.o,$(WL_SRCS))
WL_LIB := $(OUTPUT)/libworkload.a

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/unit/%,$(UNIT_SRCS))
# Helpers the unit tests and the fuzz targets share (the JSON checker).
TEST_COMMON_HDRS := $(wildcard tests/common/*.h)
WORKLOAD_SRCS := $(wildcard tests/integration/workloads/*.c)
WORKLOADS := $(patsubst tests/integration/workloads/%.c,$(OUTPUT)/tests/%,$(WORKLOAD_SRCS))
# The same, statically linked, for the VM tests' guests (tests/vm/).
WORKLOADS_STATIC := $(patsubst tests/integration/workloads/%.c,$(OUTPUT)/tests-static/%,\
	$(WORKLOAD_SRCS))

# Debian 12 packages the build, the tests and the demo need.
DEB_PKGS := make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev \
	libzstd-dev libcmocka-dev libinih-dev libmicrohttpd-dev libyaml-dev libcrypt-dev \
	pkg-config python3 iproute2 tcpdump util-linux \
	$(REAL_PKGS) $(TEST_PKGS)
# Real programs the integration tests check bufscope against (their own logs
# and counters are the ground truth).
REAL_PKGS := nginx apache2-utils curl socat iperf3 strace pv
# What else the tests use: a browser renders validate's --svg picture
# (tests/integration/scen_svg.py); a real Prometheus server scrapes `serve`,
# promtool and the Python client's parser check its exposition, openssl makes
# the TLS test's certificate.
TEST_PKGS := chromium prometheus python3-prometheus-client openssl

.DELETE_ON_ERROR:
.PHONY: all deps vmlinux check test test-layers test-unit test-integration demo install \
	test-sanitize sanitize-unit-bins sanitize-run soak \
	clean workloads static workloads-static vm-deps vm-test

all: $(OUTPUT)/bufscope

# Installs what is missing, and nothing (silently) when all is there.
deps:
	$(Q)missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "  DEPS     installing:" $$missing; \
		if [ "$$(id -u)" != 0 ]; then \
			echo "make deps: installing packages needs root: $$missing" >&2; exit 1; fi; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq >/dev/null && \
		apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi

# vmlinux.h from the running kernel's BTF; committed, so builds need no BTF.
vmlinux:
	$(call msg,GEN,$(VMLINUX))
	$(Q)mkdir -p $(dir $(VMLINUX))
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX).tmp
	$(Q)mv $(VMLINUX).tmp $(VMLINUX)

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/src $(OUTPUT)/tests $(OUTPUT)/tests/unit \
		$(OUTPUT)/tests-static $(OUTPUT)/workloads:
	$(Q)mkdir -p $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX) | $(OUTPUT)/bpf
	$(call msg,BPF,$<)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

# The socket reports and closes hand a socket over with compare-and-exchange
# (BPF_ATOMIC: Linux 5.12+), which needs the v3 instruction set.
$(OUTPUT)/bpf/sockets.bpf.o: BPF_CFLAGS += -mcpu=v3

# The per-concern objects are linked into one object and one skeleton.
$(OUTPUT)/bufscope.bpf.o: $(BPF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(OUTPUT)/bufscope.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name bufscope_bpf > $@

$(OUTPUT)/src/kernel/collector.o: $(SKEL)

# bpf/tc/: programs of `bufscope validate`'s network (random loss on a link
# without netem), each its own object and skeleton, apart from the collector's.
TC_SKEL := $(OUTPUT)/loss.skel.h

$(OUTPUT)/bpf/tc/%.bpf.o: bpf/tc/%.bpf.c $(VMLINUX)
	$(call msg,BPF,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/loss.skel.h: $(OUTPUT)/bpf/tc/loss.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name loss_bpf > $@

$(OUTPUT)/src/validate/pathloss.o: $(TC_SKEL)

$(OUTPUT)/src/%.o: src/%.c | $(OUTPUT)/src
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -MMD -MP -c $< -o $@

$(OUTPUT)/workloads/%.o: workloads/%.c | $(OUTPUT)/workloads
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS) -Iworkloads -MMD -MP -c $< -o $@

$(WL_LIB): $(WL_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(OUTPUT)/bufscope: $(OBJS) $(WL_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LIBS) -o $@

# One self-contained binary to copy to a server: libbpf, libelf, zlib, zstd
# and libc linked in.
static: $(OUTPUT)/bufscope-static

# Without the HTTP server: Debian ships no static p11-kit nor libunistring,
# which GnuTLS (so libmicrohttpd) needs; `serve` there says to use the
# dynamic binary (docs/design-notes.md).
STATIC_OBJS := $(filter-out $(OUTPUT)/src/serve/http.o,$(OBJS)) $(OUTPUT)/src/serve/http-nohttp.o

$(OUTPUT)/src/serve/http-nohttp.o: src/serve/http.c | $(OUTPUT)/src
	$(call msg,CC,$< (no HTTP))
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -DBUFSCOPE_NO_HTTP $(INCLUDES) -MMD -MP -c $< -o $@

$(OUTPUT)/bufscope-static: $(STATIC_OBJS) $(WL_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) -static $(LDFLAGS) $^ -lbpf -linih -lelf -lz -lzstd -lyaml -lcrypt -lm -pthread -o $@

$(OUTPUT)/tests/unit/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(TEST_COMMON_HDRS) $(LIB_OBJS) \
		$(WL_LIB) | $(OUTPUT)/tests/unit
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -Itests/common $< $(LIB_OBJS) $(WL_LIB) $(LIBS) -lcmocka -o $@

$(OUTPUT)/tests/%: tests/integration/workloads/%.c $(wildcard tests/integration/workloads/*.h) \
		$(WL_LIB) | $(OUTPUT)/tests
	$(call msg,CC,$<)
	$(Q)$(CC) -O2 -Wall -Wextra $(SAN_FLAGS) -Iworkloads -o $@ $< $(WL_LIB)

# A test-only driver of the collector (tests/integration/scen_khist.py).
$(OUTPUT)/tests/khist_dump: tests/tools/khist_dump.c $(LIB_OBJS) $(WL_LIB) | $(OUTPUT)/tests
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) $< $(LIB_OBJS) $(WL_LIB) $(LIBS) -o $@

workloads: $(WORKLOADS) $(OUTPUT)/tests/khist_dump

$(OUTPUT)/tests-static/%: tests/integration/workloads/%.c \
		$(wildcard tests/integration/workloads/*.h) $(WL_LIB) | $(OUTPUT)/tests-static
	$(call msg,CC,$< (static))
	$(Q)$(CC) -static -O2 -Wall -Wextra -Iworkloads -o $@ $< $(WL_LIB)

$(OUTPUT)/tests-static/khist_dump: tests/tools/khist_dump.c $(LIB_OBJS) $(OUTPUT)/src/serve/http-nohttp.o \
		$(WL_LIB) | $(OUTPUT)/tests-static
	$(call msg,CC,$< (static))
	$(Q)$(CC) -static $(CFLAGS) $(INCLUDES) $< $(filter-out $(OUTPUT)/src/serve/http.o,$(LIB_OBJS)) \
		$(OUTPUT)/src/serve/http-nohttp.o $(WL_LIB) -lbpf -linih -lelf -lz -lzstd -lyaml -lcrypt -lm \
		-pthread -o $@

workloads-static: $(WORKLOADS_STATIC) $(OUTPUT)/tests-static/khist_dump

test-unit: $(UNIT_BINS)
	$(Q)fail=0; for t in $(UNIT_BINS); do $$t || fail=1; done; exit $$fail

test-integration: $(OUTPUT)/bufscope $(WORKLOADS) $(OUTPUT)/tests/khist_dump
	$(Q)$(PYTHON) tests/integration/run.py --bufscope $(OUTPUT)/bufscope \
		--workloads $(OUTPUT)/tests

# make test-sanitize: the unit tests and the host integration suite on the
# SANITIZE=1 build (.output-sanitize). Reports go to files, not to stderr
# that tests read, and any report fails it, even from a process a test
# killed or whose exit status it does not look at. A small quarantine keeps
# memory bounds (serve's, top's) meaningful under AddressSanitizer. SIGSEGV
# and SIGABRT are left to kill as they do (the faults tests send them); a
# memory error is reported by the instrumentation, not by a SIGSEGV handler.
SAN_REPORTS = $(abspath $(OUTPUT))/sanitizer-reports
SAN_ENV = ASAN_OPTIONS=log_path=$(SAN_REPORTS)/asan:detect_leaks=1:quarantine_size_mb=16:$\
handle_segv=0:handle_abort=0 \
	UBSAN_OPTIONS=log_path=$(SAN_REPORTS)/ubsan:print_stacktrace=1:halt_on_error=1
test-sanitize:
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 all workloads sanitize-unit-bins
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 sanitize-run

sanitize-unit-bins: $(UNIT_BINS)

sanitize-run:
	$(Q)rm -rf $(SAN_REPORTS) && mkdir -p -m 1777 $(SAN_REPORTS)
	$(Q)fail=0; for t in $(UNIT_BINS); do $(SAN_ENV) $$t || \
		{ echo "sanitize: $$t failed"; fail=1; }; done; \
	$(SAN_ENV) $(PYTHON) tests/integration/run.py --bufscope $(OUTPUT)/bufscope \
		--workloads $(OUTPUT)/tests $(SAN_ARGS) || fail=1; \
	if [ -n "$$(ls -A $(SAN_REPORTS))" ]; then \
		echo "sanitize: reports in $(SAN_REPORTS):"; cat $(SAN_REPORTS)/*; fail=1; \
	else echo "sanitize: no AddressSanitizer, LeakSanitizer or UBSan report"; fi; \
	exit $$fail

# The include graph of src/: layers, no cycles (docs/design-notes.md).
test-layers:
	$(Q)$(PYTHON) tests/check_layers.py .

test: test-layers test-unit test-integration

# Soak (tests/soak/soak.py, docs/testing.md): top, trace and serve at once
# for DURATION seconds under connection churn, namespaces that come and go
# and a read flood; fails when RSS, fds, CPU or map entries grow without
# bound, a count goes wrong or BPF objects are left. Root; samples in
# $(OUTPUT)/soak/. SOAK_ARGS passes more options (see its --help).
DURATION ?= 120
soak: $(OUTPUT)/bufscope
	$(Q)$(PYTHON) tests/soak/soak.py --bufscope $(OUTPUT)/bufscope \
		--duration $(DURATION) --out $(OUTPUT)/soak $(SOAK_ARGS)

# The README's test command: set up, build, run every test, the VM matrix
# included (it leaves docs/kernels.md alone; `make vm-test` rewrites it).
# The host's suites run once, on the SANITIZE=1 build (test-sanitize): the
# same tests, and any memory error, leak or undefined behaviour fails them.
check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory test-layers
	$(Q)$(MAKE) --no-print-directory test-sanitize
	$(Q)$(MAKE) --no-print-directory vm-test VM_DOC=

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(OUTPUT)/bufscope demo $(ARGS)

install: $(OUTPUT)/bufscope
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(OUTPUT)/bufscope $(DESTDIR)$(PREFIX)/sbin/bufscope
	$(Q)install -D -m 0644 docs/bufscope.8 $(DESTDIR)$(PREFIX)/share/man/man8/bufscope.8
	$(Q)mkdir -p $(DESTDIR)$(PREFIX)/lib/systemd/system
	$(Q)sed 's|/usr/local/sbin/|$(PREFIX)/sbin/|' packaging/bufscope-serve.service \
		> $(DESTDIR)$(PREFIX)/lib/systemd/system/bufscope-serve.service

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)

# Benchmark (bench/, docs/performance.md). `make bench` runs it in full and
# rewrites the generated section of docs/performance.md; `make bench QUICK=1`
# takes under a minute and only prints (and writes $(OUTPUT)/bench/report-quick.md).
# BENCH_ARGS passes more options to bench/run.py (see its --help).
BENCH_OUT := $(OUTPUT)/bench
BENCH_BINS := $(BENCH_OUT)/loadgen $(BENCH_OUT)/manyconns
BENCH_PKGS := bpftrace
BENCH_QUICK := $(filter-out 0 no,$(QUICK))

.PHONY: bench bench-deps

$(BENCH_OUT):
	$(Q)mkdir -p $@

$(BENCH_OUT)/%: bench/%.c $(wildcard bench/*.h) $(WL_LIB) | $(BENCH_OUT)
	$(call msg,CC,$<)
	$(Q)$(CC) -O2 -g -Wall -Wextra -Werror -Iworkloads -o $@ $< $(WL_LIB)

# The build's packages plus what only the benchmark needs.
bench-deps:
	$(Q)$(MAKE) --no-print-directory deps DEB_PKGS="$(DEB_PKGS) $(BENCH_PKGS)"

bench: bench-deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)$(PYTHON) bench/run.py --bufscope $(OUTPUT)/bufscope --bin $(BENCH_OUT) \
		--json $(BENCH_OUT)/results$(if $(BENCH_QUICK),-quick).json \
		--report $(BENCH_OUT)/report$(if $(BENCH_QUICK),-quick).md \
		$(if $(BENCH_QUICK),--quick,--doc docs/performance.md) $(BENCH_ARGS)

# VM test matrix (tests/vm/run.py, docs/testing.md): boots Debian's 6.1 and
# 6.12 kernels under qemu (software emulation) and runs the ground-truth
# scenarios inside with each attach tier; the host kernel runs them natively.
# Rewrites the generated section of docs/kernels.md when that file exists.
# Downloads are cached in $BUFSCOPE_VM_CACHE (default /var/cache/bufscope-vm).
# VM_ARGS passes more options to tests/vm/run.py (see its --help).
VM_PKGS := qemu-system-x86 busybox-static python3.11
VM_DOC := $(wildcard docs/kernels.md)

vm-deps:
	$(Q)$(MAKE) --no-print-directory deps DEB_PKGS="$(DEB_PKGS) $(VM_PKGS)"

vm-test: vm-deps
	$(Q)$(MAKE) --no-print-directory static workloads-static
	$(Q)$(PYTHON) tests/vm/run.py --bufscope $(OUTPUT)/bufscope-static \
		--workloads $(OUTPUT)/tests-static --out $(OUTPUT)/vm \
		$(if $(VM_DOC),--doc $(VM_DOC)) $(VM_ARGS)

-include $(wildcard $(OUTPUT)/bpf/*.d $(OUTPUT)/bpf/tc/*.d $(OUTPUT)/src/*.d $(OUTPUT)/src/*/*.d $(OUTPUT)/workloads/*.d)

# Fuzzing (tests/fuzz/, docs/testing.md): a libFuzzer target per input
# bufscope parses, built as SANITIZE=fuzz (clang, ASan, UBSan) into
# .output-fuzz. `make fuzz` runs each for FUZZ_SECONDS on a fresh copy of
# its seed corpus (tests/fuzz/corpus/NAME, read-only) and the inputs that
# once failed (tests/fuzz/regress/NAME); a failing input is saved under
# .output-fuzz/fuzz/NAME/. `make fuzz-regress` runs every saved input
# through its target once. FUZZ_ARGS passes more libFuzzer options.
FUZZ_SECONDS ?= 60
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst %,$(OUTPUT)/tests/fuzz/fuzz_%,$(FUZZ_NAMES))
# stdout and stderr of the code under test closed (its error lines);
# libFuzzer's and the sanitizers' reports still come through
FUZZ_OPTS := -close_fd_mask=3

.PHONY: fuzz fuzz-regress fuzz-build

ifeq ($(SANITIZE),fuzz)
$(OUTPUT)/tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(TEST_COMMON_HDRS) \
		$(LIB_OBJS) $(WL_LIB)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -fsanitize=fuzzer $(INCLUDES) -Itests/fuzz -Itests/common $< \
		$(LIB_OBJS) $(WL_LIB) $(LIBS) -o $@

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	$(Q)fail=0; for n in $(FUZZ_NAMES); do \
		d=$(OUTPUT)/fuzz/$$n; rm -rf $$d; mkdir -p $$d/corpus; \
		cp -r tests/fuzz/corpus/$$n/. $$d/corpus/ 2>/dev/null; \
		echo "  FUZZ     $$n ($(FUZZ_SECONDS) s)"; \
		( cd $$d && $(CURDIR)/$(OUTPUT)/tests/fuzz/fuzz_$$n $(FUZZ_OPTS) -jobs=1 \
			-max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(CURDIR)/$$d/ \
			$(FUZZ_ARGS) corpus $$(ls -d $(CURDIR)/tests/fuzz/regress/$$n 2>/dev/null) \
			>run.log 2>&1 ); rc=$$?; \
		grep -a ' DONE \|^Done ' $$d/fuzz-0.log | sed 's/^/           /'; \
		if [ $$rc != 0 ] || ls $$d/crash-* $$d/leak-* $$d/timeout-* $$d/oom-* >/dev/null 2>&1; then \
			echo "  FAIL     $$n: see $$d/fuzz-0.log" >&2; fail=1; fi; \
	done; exit $$fail

fuzz-regress: $(FUZZ_BINS)
	$(Q)fail=0; for n in $(FUZZ_NAMES); do \
		files=$$(find tests/fuzz/corpus/$$n tests/fuzz/regress/$$n -type f 2>/dev/null); \
		[ -n "$$files" ] || continue; \
		echo "  REGRESS  $$n ($$(echo "$$files" | wc -l) inputs)"; \
		$(OUTPUT)/tests/fuzz/fuzz_$$n $(FUZZ_OPTS) $$files >$(OUTPUT)/fuzz-regress-$$n.log 2>&1 || \
			{ tail -n 30 $(OUTPUT)/fuzz-regress-$$n.log >&2; fail=1; }; \
	done; exit $$fail
else
fuzz fuzz-regress fuzz-build:
	$(Q)$(MAKE) --no-print-directory SANITIZE=fuzz $@
endif
