// SPDX-License-Identifier: GPL-2.0
/*
 * The built-in scenarios, as scenario files: `bufscope validate --show NAME`
 * prints one to start a scenario of one's own from. The first ones check the
 * claims of the document bufscope grew from (docs/validate.md has their
 * measured values).
 */
#include <string.h>
#include "validate/scenario.h"

/* The document's buffer-size table: 100 KiB queued first (a 1 MiB
 * SO_RCVBUF holds it all), read with one `buf`, all of it read. */
#define BUFFER_SIZE(tag, buf, a_buf, reads, expect)				\
	{ "buffer-size-" tag, "100 KiB queued, read with " a_buf " buf: " reads,	\
	  "[scenario]\n"							\
	  "name = buffer-size-" tag "\n"					\
	  "description = 100 KiB queued first, read with " a_buf " buf\n"	\
	  "timeout = 10s\n"							\
	  "\n"									\
	  "[sender]\n"								\
	  "bytes = 100KiB\n"							\
	  "\n"									\
	  "[receiver]\n"							\
	  "buf = " buf "\n"							\
	  "rcvbuf = 1MiB\n"							\
	  "start = after_sender\n"						\
	  "\n"									\
	  "[expect]\n"								\
	  expect								\
	  "receiver.bytes_read = 102400\n" }

static const struct builtin builtins[] = {
	{ "demo", "what `bufscope demo` runs under the live table: a fast sender, "
	  "a slow reader that stalls",
	  "[scenario]\n"
	  "name = demo\n"
	  "description = a sender as fast as TCP takes it; the reader reads 4 KiB "
	  "every 20 ms with a 64 KiB SO_RCVBUF and stalls 2 s twice, 8.5 s in all\n"
	  "timeout = 12s\n"
	  "end = receiver\n"
	  "\n"
	  "[sender]\n"
	  "bytes = 64MiB\n"
	  "\n"
	  "[receiver]\n"
	  "buf = 4KiB\n"
	  "rcvbuf = 64KiB\n"
	  "pace = 20ms\n"
	  "schedule = read 300KiB, stall 2s, read 300KiB, stall 2s, read 300KiB\n"
	  "\n"
	  "[expect]\n"
	  "receiver.zero_window_episodes >= 2\n"
	  "receiver.bytes_read = receiver.app_bytes\n"
	  "receiver.bytes_read >= 900KiB\n"
	  "receiver.drops.lost = 0\n"
	  "sender.zero_window_received_episodes >= 2\n" },
	{ "ten-kb", "10 KiB through a 4 KiB buf: reads of 4096, 4096 and 2048 bytes",
	  "[scenario]\n"
	  "name = ten-kb\n"
	  "description = 10 KiB queued, then read with a 4 KiB buf: three reads\n"
	  "timeout = 10s\n"
	  "\n"
	  "[sender]\n"
	  "bytes = 10KiB\n"
	  "write_size = 10KiB\n"
	  "\n"
	  "[receiver]\n"
	  "buf = 4KiB\n"
	  "start = after_sender      ; the data all queued first\n"
	  "\n"
	  "[expect]\n"
	  "receiver.reads = 3\n"
	  "receiver.read_sizes = 4096, 4096, 2048\n"
	  "receiver.queue_before = 10240, 6144, 2048\n"
	  "receiver.full_reads = 2\n"
	  "receiver.partial_reads = 1\n"
	  "receiver.eof_reads = 1\n"
	  "receiver.bytes_read = sender.bytes_written\n"
	  "receiver.zero_window_episodes = 0\n"
	  "receiver.drops.lost = 0\n" },
	{ "slow-reader", "a small receive buffer fills: zero window, the sender "
	  "blocks, nothing lost, the window reopens when reads resume",
	  "[scenario]\n"
	  "name = slow-reader\n"
	  "description = the reader stalls 1 s with a 16 KiB SO_RCVBUF; the sender "
	  "writes 1 MiB\n"
	  "timeout = 20s\n"
	  "\n"
	  "[sender]\n"
	  "bytes = 1MiB\n"
	  "write_size = 64KiB\n"
	  "\n"
	  "[receiver]\n"
	  "buf = 4KiB\n"
	  "rcvbuf = 16KiB\n"
	  "schedule = read 64KiB, stall 1s, read rest\n"
	  "\n"
	  "[expect]\n"
	  "receiver.zero_window_episodes >= 1\n"
	  "receiver.zero_window_sent_ms = [700, 1300]\n"
	  "receiver.episodes_open = 0\n"
	  "receiver.window_reopens_within_ms <= 50\n"
	  "receiver.zero_window_probes_recv >= 1\n"
	  "receiver.first_probe_ms = [150, 700]\n"
	  "sender.zero_window_received_episodes >= 1\n"
	  "sender.app_blocked_ms >= 700\n"
	  "receiver.queue_peak <= receiver.rcvbuf +- 5%\n"
	  "receiver.bytes_read = sender.bytes_written\n"
	  "receiver.drops.lost = 0\n" },
	BUFFER_SIZE("1k", "1KiB", "a 1 KiB", "100 reads",
		    "receiver.reads = 100\n"
		    "receiver.full_reads = 100\n"
		    "receiver.zero_window_episodes = 0\n"),
	BUFFER_SIZE("4k", "4KiB", "a 4 KiB", "25 reads",
		    "receiver.reads = 25\n"
		    "receiver.full_reads = 25\n"
		    "receiver.zero_window_episodes = 0\n"),
	BUFFER_SIZE("8k", "8KiB", "an 8 KiB", "13 reads",
		    "receiver.reads = 13\n"
		    "receiver.full_reads = 12\n"
		    "receiver.partial_reads = 1\n"),
	BUFFER_SIZE("64k", "64KiB", "a 64 KiB", "2 reads",
		    "receiver.reads = 2\n"
		    "receiver.read_sizes = 65536, 36864\n"),
	{ "trickle", "read() does not wait for a full buffer: data trickles in, "
	  "every read is partial",
	  "[scenario]\n"
	  "name = trickle\n"
	  "description = 500 bytes in four writes 200 ms apart, read with a 1 KiB buf\n"
	  "timeout = 10s\n"
	  "\n"
	  "[sender]\n"
	  "writes = 100, 200, 50, 150\n"
	  "pause = 200ms\n"
	  "\n"
	  "[receiver]\n"
	  "buf = 1KiB\n"
	  "\n"
	  "[expect]\n"
	  "receiver.reads = 4\n"
	  "receiver.read_sizes = 100, 200, 50, 150\n"
	  "receiver.full_reads = 0\n"
	  "receiver.partial_reads = 4\n"
	  "receiver.bytes_read = 500\n" },
	{ "lossy-path", "2% random loss towards the receiver: every byte still "
	  "arrives, the receiving socket loses nothing, the sender's segments were "
	  "dropped on the way",
	  "[scenario]\n"
	  "name = lossy-path\n"
	  "description = 32 MiB over a path that drops 2% of the packets towards the "
	  "receiver (netem, or a tc BPF program without it)\n"
	  "timeout = 20s\n"
	  "\n"
	  "[network]\n"
	  "to_receiver.loss = 2%\n"
	  "\n"
	  "[sender]\n"
	  "bytes = 32MiB\n"
	  "\n"
	  "[receiver]\n"
	  "buf = 64KiB\n"
	  "\n"
	  "[expect]\n"
	  "; TCP repairs the loss: the reader gets every byte\n"
	  "receiver.bytes_read = sender.bytes_written\n"
	  "; the loss is on the wire, not in the receiving socket\n"
	  "receiver.drops.lost = 0\n"
	  "; the dropped packets are the sender's segments (about 800 packets,\n"
	  "; GSO aggregates; none dropped: 0.98^800, 1e-7)\n"
	  "sender.drops >= 1\n" },
	{ "slow-link", "an 8 Mbit/s link (tbf, or netem's rate): the reads pace "
	  "with it, 2 MiB take 2.19 s",
	  "[scenario]\n"
	  "name = slow-link\n"
	  "description = 2 MiB over an 8 Mbit/s link towards the receiver\n"
	  "timeout = 20s\n"
	  "\n"
	  "[network]\n"
	  "to_receiver.rate = 8mbit\n"
	  "\n"
	  "[sender]\n"
	  "bytes = 2MiB\n"
	  "\n"
	  "[receiver]\n"
	  "buf = 64KiB\n"
	  "\n"
	  "[expect]\n"
	  "receiver.bytes_read = sender.bytes_written\n"
	  "; 2 MiB is 1449 segments of 1448 bytes, 1514 bytes each on the link\n"
	  "; (the rate counts the Ethernet frame): 2193786 bytes at 1 MB/s\n"
	  "receiver.read_span_ms = 2194 +- 5%\n"
	  "receiver.drops.lost = 0\n" },
	{ "delayed-path", "20 ms +- 5 ms delay with reordering towards the receiver "
	  "(netem only): every byte arrives, paced by the round trips",
	  "[scenario]\n"
	  "name = delayed-path\n"
	  "description = 1 MiB through a 64 KiB SO_RCVBUF over a path delayed 20 ms "
	  "+- 5 ms, 10% reordered, towards the receiver\n"
	  "timeout = 20s\n"
	  "\n"
	  "[network]\n"
	  "to_receiver.delay = 20ms\n"
	  "to_receiver.jitter = 5ms\n"
	  "to_receiver.reorder = 10%\n"
	  "\n"
	  "[sender]\n"
	  "bytes = 1MiB\n"
	  "\n"
	  "[receiver]\n"
	  "buf = 64KiB\n"
	  "rcvbuf = 64KiB\n"
	  "\n"
	  "[expect]\n"
	  "; every byte arrives; (drops are not expected to be none: reordered\n"
	  "; through a 128 KiB buffer, 6.12 dropped received segments, which\n"
	  "; the sender sent again)\n"
	  "receiver.bytes_read = sender.bytes_written\n"
	  "; at most sk_rcvbuf (2 x 64 KiB) in flight: 1 MiB needs 8 windows, 7\n"
	  "; round trips after the first read, each at least 15 ms (20 - 5)\n"
	  "receiver.read_span_ms >= 105\n" },
};

const struct builtin *scenario_builtin(size_t i)
{
	return i < sizeof(builtins) / sizeof(builtins[0]) ? &builtins[i] : NULL;
}

const struct builtin *scenario_builtin_find(const char *name)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (!strcmp(builtins[i].name, name))
			return &builtins[i];
	return NULL;
}
