// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of src/util/output.c: standard output written whole through signals
 * and slow readers, and its failures (a full device, a reader gone) kept.
 *
 * output.c keeps one state per process (stdout is one per process), so each
 * case runs in a child whose fd 1 is what the case needs; the parent checks
 * what the child wrote and how it ended.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/output.h"

#define UNUSED __attribute__((unused))
#define LINES 20000
#define LINE_LEN 100

static volatile sig_atomic_t alarms;

static void on_alarm(int sig UNUSED)
{
	alarms++;
}

/* A signal every 100 us, without SA_RESTART: writes do see EINTR. */
static void signal_storm(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { { 0, 100 }, { 0, 100 } };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void line_of(char *buf, unsigned i)
{
	/* 99 characters and a newline, each line different */
	snprintf(buf, LINE_LEN, "{\"n\":%08u,\"pad\":\"%0*u\"}", i, LINE_LEN - 24, i);
	buf[LINE_LEN - 1] = '\n';
}

/* The child: fd 1 is `fd`; it writes LINES lines through stdout under a
 * signal storm, and exits with output.c's error (an errno), else 0 if
 * signals came during the writes (102 if none did: nothing was tested). */
static pid_t writer_child(int fd, int close_fd)
{
	pid_t pid = fork();
	char line[LINE_LEN];

	assert_true(pid >= 0);
	if (pid)
		return pid;
	if (close_fd >= 0)
		close(close_fd);
	dup2(fd, STDOUT_FILENO);
	if (output_setup())
		_exit(100);
	signal_storm();
	for (unsigned i = 0; i < LINES; i++) {
		line_of(line, i);
		fwrite(line, 1, LINE_LEN, stdout);
	}
	fflush(stdout);
	setitimer(ITIMER_REAL, &(struct itimerval){ 0 }, NULL);
	_exit(output_error() ? output_error() : alarms ? 0 : 102);
}

static int exit_code(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		return 1000 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, us % 1000000 * 1000 };

	nanosleep(&ts, NULL);
}

/* Every line whole and in order, through a slow reader and EINTR. */
static void test_slow_reader_signals(void **state UNUSED)
{
	static char got[LINES * LINE_LEN + 1];
	char want[LINE_LEN];
	size_t have = 0;
	int p[2];
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	fcntl(p[1], F_SETPIPE_SZ, 4096);	/* the writer blocks often */
	pid = writer_child(p[1], p[0]);
	close(p[1]);
	while ((n = read(p[0], got + have, sizeof(got) - have)) > 0) {
		have += (size_t)n;
		if (have % 8 == 0)
			sleep_us(20);	/* a slow reader, now and then */
	}
	close(p[0]);
	assert_int_equal(exit_code(pid), 0);	/* no error, and alarms came */
	assert_int_equal(have, (size_t)LINES * LINE_LEN);
	for (unsigned i = 0; i < LINES; i++) {
		line_of(want, i);
		if (memcmp(got + (size_t)i * LINE_LEN, want, LINE_LEN))
			fail_msg("line %u is not whole or not in its place", i);
	}
}

/* A full device: the error is kept (ENOSPC), not swallowed. */
static void test_full_device(void **state UNUSED)
{
	int fd = open("/dev/full", O_WRONLY);

	if (fd < 0)
		skip();	/* no /dev/full in this environment: nothing to test */
	assert_int_equal(exit_code(writer_child(fd, -1)), ENOSPC);
	close(fd);
}

/* A pipe whose reader is gone, SIGPIPE ignored: EPIPE is kept. */
static void test_closed_pipe_write(void **state UNUSED)
{
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);	/* inherited by the child */
	pid = writer_child(p[1], -1);
	close(p[1]);
	assert_int_equal(exit_code(pid), EPIPE);
	signal(SIGPIPE, SIG_DFL);
}

/* The reader's end closed: found without writing, EPIPE with SIGPIPE
 * ignored; killed by SIGPIPE (as a write would be) when it is not. */
static void test_closed_pipe_found_without_writing(void **state UNUSED)
{
	for (int ignore = 0; ignore < 2; ignore++) {
		int p[2], st;
		pid_t pid;

		assert_int_equal(pipe(p), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			signal(SIGPIPE, ignore ? SIG_IGN : SIG_DFL);
			close(p[0]);
			dup2(p[1], STDOUT_FILENO);
			if (output_setup())
				_exit(100);
			if (output_closed())
				_exit(101);	/* the reader is still there */
			/* the parent closes its end now */
			while (!output_closed())
				sleep_us(1000);
			_exit(output_error() == EPIPE ? 0 : 102);
		}
		close(p[1]);
		sleep_us(50000);
		close(p[0]);
		st = exit_code(pid);
		assert_int_equal(st, ignore ? 0 : 1000 + SIGPIPE);
	}
}

/* fd 1 closed: refused at once (the next file opened would become fd 1). */
static void test_closed_stdout(void **state UNUSED)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		close(STDOUT_FILENO);
		_exit(output_setup() == -EBADF ? 0 : 1);
	}
	assert_int_equal(exit_code(pid), 0);
}

/* A diagnostic line after a line cut short starts on a line of its own. */
static void test_line_stands_alone(void **state UNUSED)
{
	char got[256] = "";
	size_t have = 0;
	int p[2];
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(p[0]);
		dup2(p[1], STDOUT_FILENO);
		if (output_setup())
			_exit(100);
		fputs("{\"whole\":1}\n{\"cut", stdout);	/* buffered, not yet out */
		output_line("{\"type\":\"error\"}\n", 17);
		output_line("{\"again\":1}\n", 12);
		_exit(output_error() ? 1 : 0);
	}
	close(p[1]);
	while ((n = read(p[0], got + have, sizeof(got) - 1 - have)) > 0)
		have += (size_t)n;
	close(p[0]);
	assert_int_equal(exit_code(pid), 0);
	assert_string_equal(got, "{\"whole\":1}\n{\"cut\n{\"type\":\"error\"}\n{\"again\":1}\n");
}

/*
 * A file that cannot grow (a full file system; here its size limit, which
 * fails a write the same way: part of it, then an error) ends with the last
 * whole line: the part of a line that went out is cut off.
 */
static void test_file_full_ends_whole(void **state UNUSED)
{
	char path[] = "/tmp/bufscope-test-output-XXXXXX";
	const rlim_t limit = 12345;	/* not a multiple of LINE_LEN */
	char want[LINE_LEN], got[LINE_LEN];
	struct rlimit rl, old;
	struct stat st;
	int fd = mkstemp(path);
	pid_t pid;

	assert_true(fd >= 0);
	unlink(path);
	signal(SIGXFSZ, SIG_IGN);	/* EFBIG instead of the signal */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	/* the soft limit only: a lowered hard limit could not be raised back
	 * without CAP_SYS_RESOURCE, and this process's own output (a file, in
	 * CI) would then end it by SIGXFSZ */
	rl.rlim_cur = limit;
	rl.rlim_max = old.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);	/* inherited by the child */
	pid = writer_child(fd, -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(exit_code(pid), EFBIG);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, limit / LINE_LEN * LINE_LEN);
	for (unsigned i = 0; i < limit / LINE_LEN; i++) {
		line_of(want, i);
		assert_int_equal(pread(fd, got, LINE_LEN, (off_t)i * LINE_LEN), LINE_LEN);
		if (memcmp(got, want, LINE_LEN))
			fail_msg("line %u is not whole", i);
	}
	close(fd);
}

/* A terminal whose other side is gone (a pty's master closed): found
 * without writing, EIO, and no SIGPIPE (SIGPIPE not ignored). */
static void test_terminal_gone(void **state UNUSED)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY), slave;
	pid_t pid;

	if (master < 0 || grantpt(master) || unlockpt(master))
		skip();	/* no ptys in this environment: nothing to test */
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		signal(SIGPIPE, SIG_DFL);
		close(master);
		dup2(slave, STDOUT_FILENO);
		if (output_setup())
			_exit(100);
		if (output_closed())
			_exit(101);	/* the terminal is still there */
		while (!output_closed())
			sleep_us(1000);
		_exit(output_error() == EIO ? 0 : 102);
	}
	close(slave);
	sleep_us(50000);
	close(master);
	assert_int_equal(exit_code(pid), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slow_reader_signals),
		cmocka_unit_test(test_full_device),
		cmocka_unit_test(test_closed_pipe_write),
		cmocka_unit_test(test_closed_pipe_found_without_writing),
		cmocka_unit_test(test_closed_stdout),
		cmocka_unit_test(test_line_stands_alone),
		cmocka_unit_test(test_file_full_ends_whole),
		cmocka_unit_test(test_terminal_gone),
	};

	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
