/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A validation scenario (docs/validate.md): the network between two private
 * namespaces, their TCP settings, a sender and a receiver, and what bufscope
 * must observe. Read from an INI file (libinih) or from a built-in one, which
 * is INI text too; every value is checked and resolved here, so a scenario
 * that parses can be set up.
 */
#ifndef BUFSCOPE_VALIDATE_SCENARIO_H
#define BUFSCOPE_VALIDATE_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "validate/expect.h"

/* The path's impairment in one direction (tc netem's terms). */
enum path_dir { TO_RECEIVER, TO_SENDER, PATH__N };

struct impairment {
	uint64_t delay_us, jitter_us;
	double loss_pct;	/* random loss, 0..100 */
	double reorder_pct;	/* 0..100; needs delay (netem sends the rest late) */
	uint64_t rate_bps;	/* bits per second, 0: unlimited */
	int line;		/* where the first of them was set, 0: none */
};

/* The path from a time on: `[network] at 2s = to_receiver.rate 1mbit, ...`
 * (the whole path after the change, both directions). */
#define SCEN_MAX_CHANGES 8
struct path_change {
	uint64_t at_us;			/* from the start of the run */
	struct impairment path[PATH__N];
	char what[160];			/* as written: "to_receiver.rate 1mbit" */
	int line;
};

#define SCEN_MAX_SYSCTLS 16
struct sysctl_setting {
	char key[96];		/* net.ipv4.tcp_rmem */
	char value[96];
	unsigned sides;		/* 1 << enum side */
	int line;
};

/* One step of a built-in receiver's schedule. */
enum step_kind { STEP_READ, STEP_STALL };
#define SCEN_MAX_STEPS 16
struct step {
	enum step_kind kind;
	uint64_t bytes;		/* STEP_READ: this many; 0: the rest */
	uint64_t us;		/* STEP_STALL: this long */
};

enum read_call { CALL_READ, CALL_RECV, CALL_RECVFROM, CALL_RECVMSG, CALL_READV };

/* The receiver starts reading at once, or once the sender is done and what
 * it sent is queued ("the data all queued first"). */
enum recv_start { START_NOW, START_AFTER_SENDER };

#define SCEN_MAX_WRITES 32
struct sender_spec {
	char *command;		/* NULL: the built-in sender */
	uint64_t bytes;		/* built-in: the total */
	uint64_t write_size;	/* bytes per write() */
	uint64_t rate;		/* bytes per second, 0: as fast as TCP takes them */
	uint64_t writes[SCEN_MAX_WRITES];	/* or these writes, in order ... */
	unsigned nwrites;
	uint64_t pause_us;	/* ... with this pause after each */
	uint64_t start_us;	/* start after the receiver by this long */
	char *capture;		/* a pcap file of the run, from this side; NULL: none */
};

struct receiver_spec {
	char *command;		/* NULL: the built-in receiver */
	uint64_t buf;		/* read size: the application's buffer */
	uint64_t rcvbuf;	/* SO_RCVBUF before listen(), 0: the kernel's */
	uint64_t pace_us;	/* pause after each read */
	struct step steps[SCEN_MAX_STEPS];	/* none: read until EOF */
	unsigned nsteps;
	enum read_call call;
	enum recv_start start;
	char *capture;		/* a pcap file of the run, from this side; NULL: none */
};

#define SCEN_MAX_EXPECT 48
struct scenario {
	char name[64];
	char description[256];
	char origin[256];	/* the file, or "built-in" */
	int family;		/* AF_INET or AF_INET6 */
	unsigned mtu;		/* 0: the veth default (1500) */
	uint16_t port;		/* the receiver listens here */
	uint64_t timeout_us;	/* the run ends by then, whatever happens */
	uint64_t sample_us;	/* the timeline's resolution (a pass each) */
	enum side listener;	/* who listens on port (the other connects) */
	/* the run ends once both sides' programs exited, or once this one
	 * did (SIDE__N: both); the other is then stopped */
	enum side end;
	struct impairment path[PATH__N];
	struct path_change changes[SCEN_MAX_CHANGES];	/* by time */
	unsigned nchanges;
	struct sysctl_setting sysctls[SCEN_MAX_SYSCTLS];
	unsigned nsysctls;
	struct sender_spec sender;
	struct receiver_spec receiver;
	struct expectation expect[SCEN_MAX_EXPECT];
	unsigned nexpect;
	/* every key given, "section.key", with its line: errors found after
	 * parsing (a contradiction) name the line too */
	struct scen_key { char key[80]; int line; } keys[128];
	unsigned nkeys;
};

/*
 * Reads a scenario from a file, or from INI text (name says where it came
 * from, for errors). 0, or -1 after one error line on stderr naming the file,
 * the line and the key. scenario_free() it in either case.
 */
int scenario_load_file(struct scenario *s, const char *path);
int scenario_load_text(struct scenario *s, const char *text, const char *name);
void scenario_free(struct scenario *s);

/* The built-in scenarios: their INI text, NULL past the last. */
struct builtin {
	const char *name;
	const char *summary;
	const char *text;
};
const struct builtin *scenario_builtin(size_t i);
const struct builtin *scenario_builtin_find(const char *name);

/* A scenario's command with {addr} and {port} (and {ns}) put in; malloc'ed,
 * NULL on ENOMEM. */
char *scenario_command(const char *tmpl, const char *addr, unsigned port,
		       const char *ns);

/* Does the path need a delay-capable qdisc (netem)? Names what, or NULL. */
const char *scenario_needs_netem(const struct scenario *s);

/* "10.181.0.2" or "fd00:b5::2": a side's address (its namespace's). */
const char *scenario_addr(const struct scenario *s, enum side side);
/* The same in network order (4 or 16 bytes used), as sockets have it. */
void scenario_addr_bytes(const struct scenario *s, enum side side, uint8_t out[16]);

#endif
