/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test server: a hostile discovery server on 127.0.0.1 (plain HTTP/1.1 over
 * raw sockets, so it can lie about lengths, stall and send garbage). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <glib.h>

/*
 * It answers what the consul and etcd sources ask (GET /v1/...: Consul CA
 * roots; POST /v3/kv/range and /v3/watch: etcd's JSON gateway), one
 * request per connection, in the way DIR/mode says (read again at every
 * request, so a test switches it with an atomic write):
 *
 *  - ok: good answers.  Consul: 200 with X-Consul-Index 7 and DIR/body.
 *    etcd: a range reply holding DIR/body under /tls/bundle at revision
 *    5; a watch stream that says "created" and then stays open.
 *  - huge-cl: 200 claiming Content-Length 1 GB, then streaming it.
 *  - huge-chunked: 200, chunked, streaming up to 1 GB (no length given).
 *  - stall: 200 with a Content-Length, half the body, then nothing until
 *    the client goes away.
 *  - 500: HTTP 500 to everything.
 *  - bomb: 200 with a JSON document nested 300,000 levels deep (600 KB).
 *  - watch-garbage: good range replies; every watch stream says "created"
 *    and then sends one kind of garbage, the next kind for the next
 *    stream (see garbage[]), then stays open.
 * Every stream that "stays open" ends when the client goes away, or after
 * HS_HOLD_S.  Writes to a client that went away fail quietly.
 *
 * Usage: hostile-server --dir DIR --state FILE.  FILE gets "port P" once
 * listening, then counters of the requests so far ("consul N", "range N",
 * "watch N"), of the gigabyte bodies that ended ("ended N") and the bytes
 * of the longest one ("sent N").  SIGTERM
 * stops it.  Not installed.
 */

#define HS_HOLD_S 120
#define HS_GB (1024u * 1024 * 1024)
#define HS_BOMB_DEPTH 300000
#define HS_KEY_B64 "L3Rscy9idW5kbGU=" /* /tls/bundle */

static char *dir, *state;
static int port;
/* pthread, not GMutex: ThreadSanitizer sees what it orders. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static guint64 n_consul, n_range, n_watch, n_ended, max_sent;

static void write_state_locked(void)
{
	g_autofree char *text = g_strdup_printf(
		"port %d\nconsul %" G_GUINT64_FORMAT
		"\nrange %" G_GUINT64_FORMAT "\nwatch %" G_GUINT64_FORMAT
		"\nended %" G_GUINT64_FORMAT "\nsent %" G_GUINT64_FORMAT "\n",
		port, n_consul, n_range, n_watch, n_ended, max_sent);

	g_file_set_contents(state, text, -1, NULL);
}

/* Counts one request of @counter; returns its number (from 1). */
static guint64 count(guint64 *counter)
{
	guint64 n;

	pthread_mutex_lock(&lock);
	n = ++*counter;
	write_state_locked();
	pthread_mutex_unlock(&lock);
	return n;
}

/* A long body ended (the client went away, or all of it was sent). */
static void record_sent(guint64 sent)
{
	pthread_mutex_lock(&lock);
	max_sent = MAX(max_sent, sent);
	n_ended++;
	write_state_locked();
	pthread_mutex_unlock(&lock);
}

/* The contents of DIR/@name, (transfer full); "" when missing. */
static char *read_file(const char *name, gsize *len)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	char *text = NULL;

	if (!g_file_get_contents(path, &text, len, NULL)) {
		*len = 0;
		return g_strdup("");
	}
	return text;
}

static bool send_all(int fd, const void *data, gsize len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (gsize)n;
	}
	return true;
}

static bool send_str(int fd, const char *s)
{
	return send_all(fd, s, strlen(s));
}

static bool send_chunk(int fd, const void *data, gsize len)
{
	g_autofree char *head = g_strdup_printf("%zx\r\n", len);

	return send_str(fd, head) && send_all(fd, data, len) &&
	       send_str(fd, "\r\n");
}

/* Waits until the client closes or HS_HOLD_S pass (polling, so SIGTERM
 * is never held up). */
static void hold(int fd)
{
	gint64 end = g_get_monotonic_time() + HS_HOLD_S * G_USEC_PER_SEC;
	char buf[4096];

	while (g_get_monotonic_time() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, 100);

		if (r < 0 && errno != EINTR)
			return;
		if (r > 0) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);

			if (n <= 0)
				return; /* closed */
		}
	}
}

static void respond(int fd, int status, const char *extra_headers,
		    const char *body, gsize len)
{
	g_autofree char *head = g_strdup_printf(
		"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n%s"
		"Content-Length: %zu\r\nConnection: close\r\n\r\n",
		status, status == 200 ? "OK" : "Internal Server Error",
		extra_headers, len);

	if (send_str(fd, head))
		send_all(fd, body, len);
}

/* 1 GB of a JSON-looking body, in 64 KB writes, until the client goes. */
static void stream_huge(int fd, bool chunked)
{
	g_autofree char *block = g_malloc(64 * 1024);
	guint64 sent = 0;
	bool ok;

	memset(block, '[', 64 * 1024);
	ok = send_str(fd, chunked ? "HTTP/1.1 200 OK\r\n"
				    "Content-Type: application/json\r\n"
				    "X-Consul-Index: 8\r\n"
				    "Transfer-Encoding: chunked\r\n\r\n"
				  : "HTTP/1.1 200 OK\r\n"
				    "Content-Type: application/json\r\n"
				    "X-Consul-Index: 8\r\n"
				    "Content-Length: 1073741824\r\n\r\n");
	while (ok && sent < HS_GB) {
		ok = chunked ? send_chunk(fd, block, 64 * 1024)
			     : send_all(fd, block, 64 * 1024);
		if (ok)
			sent += 64 * 1024;
	}
	record_sent(sent);
}

static void stall(int fd)
{
	static const char half[] = "{\"Roots\": [{\"ID\": \"r1\", \"RootCe";
	g_autofree char *head = g_strdup_printf(
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		"X-Consul-Index: 9\r\nContent-Length: %zu\r\n\r\n",
		2 * strlen(half));

	if (send_str(fd, head) && send_str(fd, half))
		hold(fd);
}

static char *bomb(gsize *len)
{
	GString *s = g_string_sized_new(2 * HS_BOMB_DEPTH + 16);

	g_string_append(s, "{\"Roots\": ");
	for (int i = 0; i < HS_BOMB_DEPTH; i++)
		g_string_append_c(s, '[');
	for (int i = 0; i < HS_BOMB_DEPTH; i++)
		g_string_append_c(s, ']');
	g_string_append(s, "}");
	*len = s->len;
	return g_string_free(s, FALSE);
}

static char *range_reply(void)
{
	gsize len = 0;
	g_autofree char *body = read_file("body", &len);
	g_autofree char *b64 = g_base64_encode((const guchar *)body, len);

	return g_strdup_printf("{\"header\":{\"revision\":\"5\"},\"kvs\":[{"
			       "\"key\":\"" HS_KEY_B64 "\",\"mod_revision\":"
			       "\"5\",\"value\":\"%s\"}],\"count\":\"1\"}",
			       b64);
}

/* The garbage of the @n-th watch stream. */
static void watch_garbage(int fd, guint64 n)
{
	static const char *const garbage[] = {
		"\x01\x02\xff\xfe binary\n",
		"not json at all\n",
		"{\"result\":{\"events\":7}}\n",
		"{\"result\":{\"events\":[{\"kv\":{\"key\":\"L290aGVy\","
		"\"value\":\"eA==\"}}]}}\n", /* a key outside the one asked */
		"{\"result\":[]}\n",
		NULL, /* a nesting bomb on one line */
		NULL, /* a line without end, past every cap */
	};
	guint kind = (guint)((n - 1) % G_N_ELEMENTS(garbage));

	if (garbage[kind] != NULL) {
		send_chunk(fd, garbage[kind], strlen(garbage[kind]));
	} else if (kind == G_N_ELEMENTS(garbage) - 2) {
		gsize len = 0;
		g_autofree char *b = bomb(&len);

		b[len - 1] = '\n'; /* the closing brace: still unbalanced */
		send_chunk(fd, b, len);
	} else {
		g_autofree char *block = g_malloc(64 * 1024);
		guint64 sent = 0;

		memset(block, 'x', 64 * 1024);
		while (sent < HS_GB && send_chunk(fd, block, 64 * 1024))
			sent += 64 * 1024;
		record_sent(sent);
		return;
	}
	hold(fd);
}

static void serve_watch(int fd, const char *mode, guint64 n)
{
	static const char created[] =
		"{\"result\":{\"header\":{\"revision\":\"5\"},\"created\":"
		"true}}\n";

	if (!send_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: "
			  "application/json\r\nTransfer-Encoding: "
			  "chunked\r\n\r\n") ||
	    !send_chunk(fd, created, strlen(created)))
		return;
	if (strcmp(mode, "watch-garbage") == 0)
		watch_garbage(fd, n);
	else
		hold(fd);
}

/* Reads the request head (and a body, which it drops); the request line,
 * (transfer full), or NULL. */
static char *read_request(int fd)
{
	g_autoptr(GString) in = g_string_new(NULL);
	char buf[4096];
	g_autofree char *head = NULL;
	const char *end, *cl;
	gsize body = 0, have;

	while ((end = strstr(in->str, "\r\n\r\n")) == NULL) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n <= 0 || in->len > 64 * 1024)
			return NULL;
		g_string_append_len(in, buf, n);
	}
	head = g_ascii_strdown(in->str, end - in->str);
	cl = strstr(head, "\r\ncontent-length:");
	if (cl != NULL)
		body = (gsize)g_ascii_strtoull(cl + 17, NULL, 10);
	have = in->len - (gsize)(end + 4 - in->str);
	while (have < body && body < 1024 * 1024) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n <= 0)
			break;
		have += (gsize)n;
	}
	return g_strndup(in->str, strcspn(in->str, "\r\n"));
}

static gpointer serve(gpointer data)
{
	int fd = GPOINTER_TO_INT(data);
	g_autofree char *line = read_request(fd);
	gsize len = 0, mode_len = 0;
	g_autofree char *mode = read_file("mode", &mode_len);
	bool consul, watch;
	guint64 n;

	g_strstrip(mode);
	if (line == NULL)
		goto out;
	consul = g_str_has_prefix(line, "GET /v1/");
	watch = g_str_has_prefix(line, "POST /v3/watch");
	n = count(consul ? &n_consul : watch ? &n_watch : &n_range);
	if (strcmp(mode, "500") == 0) {
		static const char err[] = "{\"error\":\"hostile\",\"code\":13}";

		respond(fd, 500, "", err, strlen(err));
	} else if (strcmp(mode, "huge-cl") == 0) {
		stream_huge(fd, false);
	} else if (strcmp(mode, "huge-chunked") == 0) {
		stream_huge(fd, true);
	} else if (strcmp(mode, "stall") == 0) {
		stall(fd);
	} else if (strcmp(mode, "bomb") == 0) {
		g_autofree char *b = bomb(&len);

		respond(fd, 200, "X-Consul-Index: 10\r\n", b, len);
	} else if (watch) {
		serve_watch(fd, mode, n);
	} else if (consul) {
		g_autofree char *body = read_file("body", &len);

		respond(fd, 200, "X-Consul-Index: 7\r\n", body, len);
	} else {
		g_autofree char *reply = range_reply();

		respond(fd, 200, "", reply, strlen(reply));
	}
out:
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
	GOptionEntry entries[] = {
		{"dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "DIR", NULL},
		{"state", 0, 0, G_OPTION_ARG_FILENAME, &state, "FILE", NULL},
		G_OPTION_ENTRY_NULL,
	};
	struct sockaddr_in addr = {0};
	socklen_t alen = sizeof(addr);
	int lfd;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || dir == NULL ||
	    state == NULL) {
		fprintf(stderr, "usage: %s --dir DIR --state FILE\n", argv[0]);
		return 2;
	}
	/* 127.0.0.1, a port the kernel picks: free, whoever else runs. */
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(lfd, 64) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&addr, &alen) < 0) {
		perror("hostile-server");
		return 1;
	}
	port = ntohs(addr.sin_port);
	pthread_mutex_lock(&lock);
	write_state_locked();
	pthread_mutex_unlock(&lock);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("hostile-server: accept");
			return 1;
		}
		g_thread_unref(
			g_thread_new("conn", serve, GINT_TO_POINTER(fd)));
	}
}
