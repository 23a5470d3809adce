/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sockets that left ESTABLISHED with data still to send (CLOSE_WAIT,
 * FIN_WAIT1, CLOSING, LAST_ACK), keyed by their endpoints: tcp:tcp_probe does
 * not fire for them, so net:netif_receive_skb finds their segments by the
 * endpoints in the headers. Types only: maps.bpf.c defines the map.
 */
#ifndef BUFSCOPE_CLOSING_TYPES_H
#define BUFSCOPE_CLOSING_TYPES_H

#define BS_CLOSING_SOCKETS 4096

/* Addresses in IPv6 form (IPv4 as ::ffff:a.b.c.d), ports in network order,
 * as the socket sees them: a received segment's destination is local. */
struct bs_conn_key {
	__u8 laddr[16];
	__u8 raddr[16];
	__u16 lport;
	__u16 rport;
	__u32 pad;
	__u64 net;		/* the network namespace (struct net address) */
};

/*
 * While a socket is in the map, this is where its received windows are
 * counted: `st` holds its cookie, reader and zw[BS_ZW_RECV] (the rest is
 * unused). Whoever reads the socket's state copies that side back first.
 */
struct bs_closing {
	__u64 sk;		/* the socket's address: read through probe reads */
	struct bs_sock_state st;
};

#endif /* BUFSCOPE_CLOSING_TYPES_H */
