/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Random loss on one direction of a scenario's path without tc's netem: a tc
 * BPF program (bpf/tc/loss.bpf.c) on clsact ingress of the veth end that
 * receives that direction, dropping each packet with the scenario's
 * probability and counting what it dropped and passed. Ingress, not the
 * sending end's egress: a drop there is returned to the sender's TCP
 * (NET_XMIT_DROP), which sends the segment again at once without counting a
 * retransmission; on the receiving end the packet was lost on the wire.
 */
#ifndef BUFSCOPE_VALIDATE_PATHLOSS_H
#define BUFSCOPE_VALIDATE_PATHLOSS_H

#include <stddef.h>
#include <stdint.h>

struct pathloss;

/*
 * Loads the program for loss_pct (0..100) and attaches it on clsact ingress
 * of dev inside the network namespace at ns_path (/run/netns/NAME). NULL with
 * the reason in why.
 */
struct pathloss *pathloss_attach(const char *ns_path, const char *dev,
				 double loss_pct, char *why, size_t len);
/* What the program dropped and passed so far (0 and -errno on failure). */
int pathloss_counts(const struct pathloss *pl, uint64_t *dropped, uint64_t *passed);
/* Closes the program; its filter goes with the device (the namespace). */
void pathloss_free(struct pathloss *pl);

#endif
