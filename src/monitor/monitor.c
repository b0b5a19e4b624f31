#include "monitor/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h> /* rename() only: no printf in the monitor */
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "monitor/attach-proto.h"
#include "monitor/fmt.h"
#include "monitor/log-json.h"

#define MAX_CLIENTS 32
/* After the init exits, wait this long for the rest of its output (other holders of the pipes). */
#define DRAIN_TIMEOUT_MS 2000

enum { TAG_SIGNAL = 1, TAG_LISTEN, TAG_STDOUT, TAG_STDERR, TAG_STDIN, TAG_CLIENT = 100 };

struct monitor {
	const struct monitor_options *o;
	int epfd, sigfd, log_fd;
	int out_fd, err_fd, in_fd;
	int clients[MAX_CLIENTS];
	struct log_json_stream out_log, err_log;
	/* stdin bytes a client sent that the container has not taken yet */
	char pending[ATTACH_PACKET_MAX];
	size_t pending_len, pending_off;
	bool exited;
	int exit_code, exit_signal;
	/*
	 * A packet a client could not take yet (its queue is full): it is held,
	 * and the container's output is not read until every client has taken
	 * its own, as docker's attach blocks the container rather than drop.
	 */
	char *held[MAX_CLIENTS];
	size_t held_len[MAX_CLIENTS];
	int n_held;
	bool input_off; /* client input is not read while earlier input waits for the container */
	bool progress;  /* a held packet went out: the drain deadline starts again */
};

static void ep_add(struct monitor *m, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 && errno == EEXIST)
		epoll_ctl(m->epfd, EPOLL_CTL_MOD, fd, &ev);
}

static void ep_mod(struct monitor *m, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	epoll_ctl(m->epfd, EPOLL_CTL_MOD, fd, &ev);
}

static void close_fd(struct monitor *m, int *fd)
{
	if (*fd < 0)
		return;
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, *fd, NULL);
	close(*fd);
	*fd = -1;
}

static uint32_t client_events(const struct monitor *m, int i)
{
	return (m->input_off ? 0 : EPOLLIN) | (m->held[i] ? EPOLLOUT : 0);
}

/* Stop (or resume) reading the container's output: out of epoll, since a pipe's hangup is reported regardless. */
static void pause_output(struct monitor *m, bool pause)
{
	if (m->out_fd >= 0) {
		if (pause)
			epoll_ctl(m->epfd, EPOLL_CTL_DEL, m->out_fd, NULL);
		else
			ep_add(m, m->out_fd, EPOLLIN, TAG_STDOUT);
	}
	if (m->err_fd >= 0) {
		if (pause)
			epoll_ctl(m->epfd, EPOLL_CTL_DEL, m->err_fd, NULL);
		else
			ep_add(m, m->err_fd, EPOLLIN, TAG_STDERR);
	}
}

static void release_held(struct monitor *m, int i)
{
	if (!m->held[i])
		return;
	free(m->held[i]);
	m->held[i] = NULL;
	if (--m->n_held == 0)
		pause_output(m, false);
}

static void drop_client(struct monitor *m, int i)
{
	release_held(m, i);
	close_fd(m, &m->clients[i]);
}

/* One packet to one client; held when its queue is full (the output waits for it), dropped on an error. */
static void send_client(struct monitor *m, int i, const char *pkt, size_t len)
{
	if (m->clients[i] < 0)
		return;
	if (m->held[i]) {
		/* cannot happen while output is paused for it; order matters more than this client */
		drop_client(m, i);
		return;
	}
	if (send(m->clients[i], pkt, len, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
		return;
	if (errno != EAGAIN && errno != EINTR) {
		drop_client(m, i);
		return;
	}
	m->held[i] = malloc(len);
	if (!m->held[i]) {
		drop_client(m, i);
		return;
	}
	memcpy(m->held[i], pkt, len);
	m->held_len[i] = len;
	if (m->n_held++ == 0)
		pause_output(m, true);
	ep_mod(m, m->clients[i], client_events(m, i), TAG_CLIENT + (uint64_t)i);
}

/* A client with a held packet can take more. */
static void client_writable(struct monitor *m, int i)
{
	if (!m->held[i])
		return;
	if (send(m->clients[i], m->held[i], m->held_len[i], MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		if (errno != EAGAIN && errno != EINTR)
			drop_client(m, i);
		return;
	}
	release_held(m, i);
	m->progress = true;
	ep_mod(m, m->clients[i], client_events(m, i), TAG_CLIENT + (uint64_t)i);
}

/* Send one packet (at most ATTACH_PACKET_MAX - 1 bytes of data) to every client. */
static void broadcast(struct monitor *m, char type, const char *data, size_t len)
{
	char pkt[ATTACH_PACKET_MAX];

	while (true) {
		size_t n = len < sizeof(pkt) - 1 ? len : sizeof(pkt) - 1;
		pkt[0] = type;
		memcpy(pkt + 1, data, n);
		for (int i = 0; i < MAX_CLIENTS; i++)
			send_client(m, i, pkt, n + 1);
		data += n;
		len -= n;
		if (len == 0)
			break;
	}
}

/* Client input is read only while no earlier input is waiting for the container. */
static void set_client_input(struct monitor *m, bool on)
{
	m->input_off = !on;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (m->clients[i] >= 0)
			ep_mod(m, m->clients[i], client_events(m, i), TAG_CLIENT + (uint64_t)i);
}

static void flush_stdin(struct monitor *m)
{
	while (m->pending_off < m->pending_len && m->in_fd >= 0) {
		ssize_t w = write(m->in_fd, m->pending + m->pending_off, m->pending_len - m->pending_off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				ep_add(m, m->in_fd, EPOLLOUT, TAG_STDIN);
				set_client_input(m, false);
				return;
			}
			/* the container closed its stdin: drop the input */
			m->pending_len = m->pending_off = 0;
			break;
		}
		m->pending_off += (size_t)w;
	}
	m->pending_len = m->pending_off = 0;
	if (m->in_fd >= 0)
		epoll_ctl(m->epfd, EPOLL_CTL_DEL, m->in_fd, NULL);
	set_client_input(m, true);
}

static void client_input(struct monitor *m, int i)
{
	char pkt[ATTACH_PACKET_MAX];
	ssize_t n = recv(m->clients[i], pkt, sizeof(pkt), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop_client(m, i);
		return;
	}
	switch (pkt[0]) {
	case ATTACH_STDIN:
		if (m->in_fd < 0 || n == 1)
			return;
		memcpy(m->pending, pkt + 1, (size_t)n - 1);
		m->pending_len = (size_t)n - 1;
		m->pending_off = 0;
		flush_stdin(m);
		break;
	case ATTACH_STDIN_EOF:
		/* with a tty, stdin and output share the master: keep it */
		if (!m->o->tty)
			close_fd(m, &m->in_fd);
		break;
	case ATTACH_RESIZE: {
		unsigned long rows, cols;
		char *end;
		pkt[n < (ssize_t)sizeof(pkt) ? n : (ssize_t)sizeof(pkt) - 1] = '\0';
		rows = strtoul(pkt + 1, &end, 10);
		cols = strtoul(end, &end, 10);
		if (m->o->tty && rows > 0 && cols > 0) {
			struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
			ioctl(m->out_fd, TIOCSWINSZ, &ws);
		}
		break;
	}
	default:
		break;
	}
}

static void accept_client(struct monitor *m)
{
	int fd = accept4(m->o->attach_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (m->clients[i] < 0) {
			m->clients[i] = fd;
			ep_add(m, fd, client_events(m, i), TAG_CLIENT + (uint64_t)i);
			return;
		}
	}
	close(fd);
}

/* Read what a stream has; false at its end. */
static bool pump(struct monitor *m, int *fd, struct log_json_stream *log, char type)
{
	/* one packet's worth: a client that cannot take it holds exactly one */
	char buf[ATTACH_PACKET_MAX - 1];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0) {
		/* EIO: every slave of the pty is closed, the tty's way of saying EOF */
		if (m->log_fd >= 0)
			log_json_flush(m->log_fd, log);
		if (fd == &m->out_fd && m->o->tty)
			close_fd(m, &m->in_fd); /* a dup of the master */
		close_fd(m, fd);
		return false;
	}
	if (m->log_fd >= 0)
		log_json_feed(m->log_fd, log, buf, (size_t)n);
	broadcast(m, type, buf, (size_t)n);
	return true;
}

static void reap(struct monitor *m)
{
	struct signalfd_siginfo si;
	int status;
	pid_t pid;

	while (read(m->sigfd, &si, sizeof(si)) == sizeof(si))
		;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != m->o->pid)
			continue;
		m->exited = true;
		if (WIFEXITED(status)) {
			m->exit_code = WEXITSTATUS(status);
		} else {
			m->exit_signal = WTERMSIG(status);
			m->exit_code = 128 + m->exit_signal; /* docker's convention */
		}
	}
}

/*
 * The record outlives a reboot (ps -a shows it), so it is fsynced, but after
 * the attached clients have the exit code (the caller fsyncs the fd this
 * returns, -1 if none): they wait on it, and an exit record a crash caught
 * unsynced reads as no record, as if the crash had come a moment earlier.
 */
static int write_exit_record(struct monitor *m)
{
	char tmp[4096], rec[256];
	struct timespec ts;
	size_t n = 0, plen = strlen(m->o->exit_path ? m->o->exit_path : "");
	int fd;

	if (!m->o->exit_path || plen + 5 > sizeof(tmp))
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	memcpy(rec, "{\"exitCode\":", 12);
	n = 12;
	n += fmt_int(rec + n, m->exit_code);
	memcpy(rec + n, ",\"signal\":", 10);
	n += 10;
	n += fmt_int(rec + n, m->exit_signal);
	memcpy(rec + n, ",\"finishedAt\":\"", 15);
	n += 15;
	n += fmt_rfc3339_nano(rec + n, ts.tv_sec, ts.tv_nsec);
	memcpy(rec + n, "\"}\n", 3);
	n += 3;
	memcpy(tmp, m->o->exit_path, plen);
	memcpy(tmp + plen, ".tmp", 5);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, rec, n) == (ssize_t)n && rename(tmp, m->o->exit_path) == 0)
		return fd;
	unlink(tmp);
	close(fd);
	return -1;
}

static void run_exit_command(const struct monitor_options *o)
{
	pid_t pid;

	if (!o->exit_command || !o->exit_command[0])
		return;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execv(o->exit_command[0], o->exit_command);
		_exit(127);
	}
	/* the monitor exits right away; init (or a subreaper above) reaps the command */
}

static int setup(struct monitor *m, const struct monitor_options *o)
{
	sigset_t mask;

	*m = (struct monitor){ .o = o, .log_fd = -1, .out_fd = o->stdout_fd, .err_fd = o->stderr_fd,
			       .in_fd = o->stdin_fd };
	/* with a tty, input goes to the master too: a dup, so epoll can watch it for writing on its own */
	if (o->tty && o->stdout_fd >= 0)
		m->in_fd = fcntl(o->stdout_fd, F_DUPFD_CLOEXEC, 3);
	for (int i = 0; i < MAX_CLIENTS; i++)
		m->clients[i] = -1;
	m->out_log.name = "stdout";
	m->err_log.name = "stderr";

	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	m->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (m->sigfd < 0 || m->epfd < 0)
		return -errno;
	if (o->log_path) {
		m->log_fd = open(o->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (m->log_fd < 0)
			return -errno;
	}
	ep_add(m, m->sigfd, EPOLLIN, TAG_SIGNAL);
	if (o->attach_fd >= 0)
		ep_add(m, o->attach_fd, EPOLLIN, TAG_LISTEN);
	if (m->out_fd >= 0) {
		fcntl(m->out_fd, F_SETFL, fcntl(m->out_fd, F_GETFL) | O_NONBLOCK);
		ep_add(m, m->out_fd, EPOLLIN, TAG_STDOUT);
	}
	if (m->err_fd >= 0) {
		fcntl(m->err_fd, F_SETFL, fcntl(m->err_fd, F_GETFL) | O_NONBLOCK);
		ep_add(m, m->err_fd, EPOLLIN, TAG_STDERR);
	}
	if (m->in_fd >= 0)
		fcntl(m->in_fd, F_SETFL, fcntl(m->in_fd, F_GETFL) | O_NONBLOCK);
	/* the init may have exited before the signalfd existed */
	reap(m);
	return 0;
}

/*
 * The exit code to every client (waiting a little where its queue is full),
 * then wait for each to hang up before closing: a unix socket closed with
 * unread data in it (a client's last input) resets the peer, which would lose
 * the packets it had not read yet, the exit code among them.
 */
static void say_goodbye(struct monitor *m, const char *code, size_t len)
{
	char pkt[32], sink[ATTACH_PACKET_MAX];
	struct pollfd p[MAX_CLIENTS];
	int waited = 0;

	pkt[0] = ATTACH_EXIT;
	memcpy(pkt + 1, code, len);
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct pollfd w = { .fd = m->clients[i], .events = POLLOUT };
		if (m->clients[i] < 0)
			continue;
		if (m->held[i] || (send(m->clients[i], pkt, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
				   (errno != EAGAIN || poll(&w, 1, 1000) <= 0 ||
				    send(m->clients[i], pkt, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0))) {
			drop_client(m, i);
			continue;
		}
		shutdown(m->clients[i], SHUT_WR);
	}
	for (;;) {
		int n = 0;
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (m->clients[i] >= 0)
				p[n++] = (struct pollfd){ .fd = m->clients[i], .events = POLLIN };
		if (n == 0 || waited >= 1000)
			break;
		if (poll(p, (nfds_t)n, 100) < 0 && errno != EINTR)
			break;
		waited += 100;
		for (int i = 0; i < MAX_CLIENTS; i++) {
			ssize_t r;
			if (m->clients[i] < 0)
				continue;
			while ((r = recv(m->clients[i], sink, sizeof(sink), MSG_DONTWAIT)) > 0)
				;
			if (r == 0 || (errno != EAGAIN && errno != EINTR))
				drop_client(m, i);
		}
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		drop_client(m, i);
}

int monitor_run(const struct monitor_options *o)
{
	struct monitor m;
	struct timespec deadline = { 0 };
	char code[16];
	int exit_fd, r;

	if ((r = setup(&m, o)) < 0) {
		static const char msg[] = "berth-monitor: setup failed\n";
		ssize_t w = write(2, msg, sizeof(msg) - 1);
		(void)w;
		return 1;
	}
	while (!m.exited || m.out_fd >= 0 || m.err_fd >= 0 || m.n_held > 0) {
		struct epoll_event evs[16];
		int timeout = -1, n;

		if (m.exited) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			/* a slow client that still takes output keeps the drain going */
			if (m.progress) {
				m.progress = false;
				deadline.tv_sec = 0;
			}
			if (deadline.tv_sec == 0) {
				deadline = now;
				deadline.tv_sec += DRAIN_TIMEOUT_MS / 1000;
			}
			timeout = (int)((deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1000000);
			if (timeout <= 0)
				break;
		}
		n = epoll_wait(m.epfd, evs, 16, timeout);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;
			if (tag == TAG_SIGNAL)
				reap(&m);
			else if (tag == TAG_LISTEN)
				accept_client(&m);
			else if (tag == TAG_STDOUT && m.out_fd >= 0)
				pump(&m, &m.out_fd, &m.out_log, ATTACH_STDOUT);
			else if (tag == TAG_STDERR && m.err_fd >= 0)
				pump(&m, &m.err_fd, &m.err_log, ATTACH_STDERR);
			else if (tag == TAG_STDIN)
				flush_stdin(&m);
			else if (tag >= TAG_CLIENT && tag < TAG_CLIENT + MAX_CLIENTS && m.clients[tag - TAG_CLIENT] >= 0) {
				int c = (int)(tag - TAG_CLIENT);
				if (evs[i].events & EPOLLOUT)
					client_writable(&m, c);
				if (m.clients[c] >= 0 && !m.input_off && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
					client_input(&m, c);
				else if (m.clients[c] >= 0 && (evs[i].events & (EPOLLHUP | EPOLLERR)))
					drop_client(&m, c);
			}
		}
	}
	if (m.log_fd >= 0) {
		log_json_flush(m.log_fd, &m.out_log);
		log_json_flush(m.log_fd, &m.err_log);
	}
	exit_fd = write_exit_record(&m);
	say_goodbye(&m, code, fmt_int(code, m.exit_code));
	if (exit_fd >= 0) {
		fsync(exit_fd);
		close(exit_fd);
	}
	run_exit_command(o);
	return 0;
}
