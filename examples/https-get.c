/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Embedding tlsverify: an HTTPS GET whose server the policy judges during
 * the handshake (tv_session_attach). */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <tlsverify/tlsverify.h>

/* Usage: https-get CONF_DIR HOST PORT   ($TLSVERIFY_PLUGIN_DIR: plugins)
 * Prints the response's status line; exits 0, 1 when the policy rejected
 * the server, 2 on any other failure. */
int main(int argc, char **argv)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	struct timeval timeout = {10, 0}; /* never wait forever */
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = NULL;
	g_autoptr(tv_session) tvs = NULL;
	gnutls_session_t session = NULL;
	char request[512], reply[4096];
	int fd = -1, ret, status = 2;
	size_t got = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: %s CONF_DIR HOST PORT\n", argv[0]);
		return 2;
	}
	engine = tv_engine_new(argv[1], g_getenv("TLSVERIFY_PLUGIN_DIR"),
			       &error);
	if (engine == NULL) {
		fprintf(stderr, "%s\n", error->message);
		return 2;
	}
	if (getaddrinfo(argv[2], argv[3], &hints, &ai) != 0 ||
	    (fd = socket(ai->ai_family, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout,
		       sizeof(timeout)) != 0 ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		fprintf(stderr, "cannot connect to %s port %s\n", argv[2],
			argv[3]);
		goto out;
	}

	/* The one tlsverify call: SNI, verification and client certificate
	 * come from the policy's endpoint for HOST:PORT. */
	gnutls_init(&session, GNUTLS_CLIENT);
	gnutls_set_default_priority(session);
	tvs = tv_session_attach(engine, session, argv[2],
				(uint16_t)atoi(argv[3]), &error);
	if (tvs == NULL) {
		fprintf(stderr, "%s\n", error->message);
		goto out;
	}
	gnutls_transport_set_int(session, fd);
	do
		ret = gnutls_handshake(session);
	while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0) {
		const tv_result *result = tv_session_get_result(tvs);

		/* A rejection carries the policy's reason; no request was
		 * sent. */
		fprintf(stderr, "handshake failed: %s\n",
			result != NULL ? tv_result_get_message(result)
				       : gnutls_strerror(ret));
		status = result != NULL ? 1 : 2;
		goto out;
	}

	snprintf(request, sizeof(request), "GET / HTTP/1.0\r\nHost: %s\r\n\r\n",
		 argv[2]);
	if (gnutls_record_send(session, request, strlen(request)) < 0)
		goto out;
	/* Bounded: TLS 1.3 session tickets (GNUTLS_E_AGAIN) and timeouts
	 * take a turn each. */
	for (int turn = 0; turn < 16 && got < sizeof(reply) - 1 &&
			   memchr(reply, '\n', got) == NULL;
	     turn++) {
		ret = gnutls_record_recv(session, reply + got,
					 sizeof(reply) - 1 - got);
		if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
			continue;
		if (ret <= 0)
			break;
		got += (size_t)ret;
	}
	reply[got] = '\0';
	reply[strcspn(reply, "\r\n")] = '\0';
	if (got > 0) {
		printf("%s\n", reply);
		status = 0;
	}
	gnutls_bye(session, GNUTLS_SHUT_WR);
out:
	if (session != NULL)
		gnutls_deinit(session);
	if (fd >= 0)
		close(fd);
	if (ai != NULL)
		freeaddrinfo(ai);
	return status;
}
