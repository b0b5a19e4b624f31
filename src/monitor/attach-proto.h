#pragma once
/*
 * The attach protocol between the monitor and `berth attach/run/start -a`:
 * a SOCK_SEQPACKET unix socket, one message per packet, whose first byte
 * says what the rest is.  Packets keep stdout and stderr apart without
 * docker's 8-byte stream headers, and a packet is never split.
 */

/* monitor -> client */
enum {
	ATTACH_STDOUT = 1,
	ATTACH_STDERR = 2,
	ATTACH_EXIT = 3, /* payload: the exit code in decimal; the monitor closes after it */
};

/* client -> monitor */
enum {
	ATTACH_STDIN = 16,
	ATTACH_STDIN_EOF = 17,
	ATTACH_RESIZE = 18, /* payload: "rows cols" in decimal */
};

#define ATTACH_PACKET_MAX 32768
