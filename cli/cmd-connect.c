/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `tlsverify connect`: a real TLS handshake verified by the policy. */
#include "cli.h"
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509-ext.h>
#include <gnutls/x509.h>
#include <json-glib/json-glib.h>

#define DEFAULT_PORT 443
#define DEFAULT_TIMEOUT_S 10.0
#define MAX_TIMEOUT_S 3600.0

static const cli_command_help connect_help = {
	.name = "connect",
	.parameters = "HOST[:PORT]",
	.summary = "Connect to HOST (port 443 unless given; [IPv6]:PORT) and "
		   "complete a TLS\n"
		   "handshake whose server certificate the policy's endpoint "
		   "for HOST judges,\n"
		   "presenting the endpoint's client certificate if the server "
		   "asks for one.\n"
		   "No application data is sent: after the handshake the "
		   "connection is closed.",
	.description =
		"Output: the connection, the negotiated protocol and cipher, "
		"whether a client\n"
		"certificate was sent, every certificate the server presented "
		"(subject,\n"
		"issuer, validity, names, sha256// SPKI pin), then the "
		"decision trace and the\n"
		"verdict line as `tlsverify verify` prints them.  With --json, "
		"standard output\n"
		"holds one object: {\"host\", \"port\", \"address\", \"sni\", "
		"\"tls\": {\"handshake\",\n"
		"\"protocol\", \"cipher\", \"description\", "
		"\"client_certificate_requested\",\n"
		"\"client_certificate_sent\"}, \"peer\": [{\"subject\", "
		"\"issuer\", \"not_before\",\n"
		"\"not_after\", \"names\", \"pin\"}], \"result\": (the object "
		"of verify --json, or\n"
		"null), \"error\": (null, or why the connection failed)}; it "
		"is printed once a\n"
		"TCP connection was made.  \"sni\" is null unless --sni "
		"was given: the policy\n"
		"chose (the endpoint's sni, else HOST; none for an "
		"address).\n"
		"\n"
		"The server's name is resolved by the system resolver; "
		"--timeout bounds\n"
		"connecting, the handshake and the close.\n"
		"\n"
		"Exit status:\n"
		"  0  trusted, and the server completed the connection\n"
		"  1  rejected by the policy (the handshake was aborted with a "
		"bad_certificate\n"
		"     alert)\n"
		"  2  usage or configuration error; the name does not "
		"resolve; the connection\n"
		"     is refused or times out; the handshake fails for "
		"another reason, e.g.\n"
		"     the server refuses the client certificate (or its "
		"absence)",
};

/* What happened on the wire, for both output forms. */
typedef struct {
	const char *host;
	uint16_t port;
	char *address;
	char *sni;
	bool handshake_done;
	char *protocol; /* NULL when not negotiated */
	char *cipher;
	char *description;
	bool client_cert_requested;
	bool client_cert_sent;
	GPtrArray *peer; /* gnutls_x509_crt_t */
	const tv_result *result;
	char *error; /* why the connection failed; NULL when it did not */
} connection;

static void connection_clear(connection *c)
{
	g_free(c->address);
	g_free(c->sni);
	g_free(c->protocol);
	g_free(c->cipher);
	g_free(c->description);
	if (c->peer != NULL)
		g_ptr_array_unref(c->peer);
	g_free(c->error);
}

static void crt_free(gpointer p)
{
	gnutls_x509_crt_deinit(p);
}

/* Records the negotiated parameters and the certificates the server
 * presented (also after an aborted handshake: they were received). */
static void collect_session(gnutls_session_t s, connection *c)
{
	const gnutls_datum_t *peers;
	unsigned n = 0;

	if (gnutls_protocol_get_version(s) != GNUTLS_VERSION_UNKNOWN) {
		c->protocol = g_strdup(gnutls_protocol_get_name(
			gnutls_protocol_get_version(s)));
		c->cipher =
			g_strdup(gnutls_cipher_get_name(gnutls_cipher_get(s)));
	}
	if (c->handshake_done) {
		char *desc = gnutls_session_get_desc(s);

		c->description = g_strdup(desc);
		gnutls_free(desc);
	}
	c->client_cert_requested =
		gnutls_certificate_client_get_request_status(s) != 0;

	c->peer = g_ptr_array_new_with_free_func(crt_free);
	peers = gnutls_certificate_get_peers(s, &n);
	for (unsigned i = 0; peers != NULL && i < n; i++) {
		gnutls_x509_crt_t crt = NULL;

		if (gnutls_x509_crt_init(&crt) < 0)
			break;
		if (gnutls_x509_crt_import(crt, &peers[i],
					   GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crt);
			continue;
		}
		g_ptr_array_add(c->peer, crt);
	}
}

/* ---- describing certificates -------------------------------------------- */

static char *dup_dn(gnutls_x509_crt_t crt, bool issuer)
{
	gnutls_datum_t dn = {NULL, 0};
	char *text;
	int ret = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0)
			 : gnutls_x509_crt_get_dn3(crt, &dn, 0);

	if (ret < 0)
		return g_strdup("");
	text = g_strndup((const char *)dn.data, dn.size);
	gnutls_free(dn.data);
	return text;
}

static char *dup_time(time_t t)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc((gint64)t);

	return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ")
		  : g_strdup("invalid");
}

/* "DNS:x", "IP:a", "URI:u", "email:e" for each SAN. */
static char **dup_names(gnutls_x509_crt_t crt)
{
	GPtrArray *names = g_ptr_array_new();
	gnutls_subject_alt_names_t sans = NULL;
	gnutls_datum_t der = {NULL, 0};
	unsigned critical = 0;

	if (gnutls_x509_crt_get_extension_by_oid2(crt, "2.5.29.17", 0, &der,
						  &critical) == 0 &&
	    gnutls_subject_alt_names_init(&sans) == 0 &&
	    gnutls_x509_ext_import_subject_alt_names(&der, sans, 0) == 0) {
		for (unsigned i = 0;; i++) {
			gnutls_datum_t v = {NULL, 0};
			unsigned type = 0;
			char ip[INET6_ADDRSTRLEN];
			g_autofree char *raw = NULL;

			if (gnutls_subject_alt_names_get(sans, i, &type, &v,
							 NULL) < 0)
				break;
			raw = g_strndup((const char *)v.data, v.size);
			switch (type) {
			case GNUTLS_SAN_DNSNAME:
				g_ptr_array_add(names,
						g_strconcat("DNS:", raw, NULL));
				break;
			case GNUTLS_SAN_URI:
				g_ptr_array_add(names,
						g_strconcat("URI:", raw, NULL));
				break;
			case GNUTLS_SAN_RFC822NAME:
				g_ptr_array_add(names, g_strconcat("email:",
								   raw, NULL));
				break;
			case GNUTLS_SAN_IPADDRESS:
				if (inet_ntop(v.size == 4 ? AF_INET : AF_INET6,
					      v.data, ip, sizeof(ip)) &&
				    (v.size == 4 || v.size == 16))
					g_ptr_array_add(
						names,
						g_strconcat("IP:", ip, NULL));
				break;
			default:
				break;
			}
		}
	}
	if (sans != NULL)
		gnutls_subject_alt_names_deinit(sans);
	gnutls_free(der.data);
	g_ptr_array_add(names, NULL);
	return (char **)g_ptr_array_free(names, FALSE);
}

/* The curl-style pin: sha256// + base64 of SHA-256 over the DER SPKI. */
static char *dup_pin(gnutls_x509_crt_t crt)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t spki = {NULL, 0};
	unsigned char hash[32];
	g_autofree char *b64 = NULL;
	bool ok;

	ok = gnutls_pubkey_init(&pub) == 0 &&
	     gnutls_pubkey_import_x509(pub, crt, 0) == 0 &&
	     gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki) == 0 &&
	     gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size, hash) ==
		     0;
	gnutls_free(spki.data);
	gnutls_pubkey_deinit(pub);
	if (!ok)
		return g_strdup("");
	b64 = g_base64_encode(hash, sizeof(hash));
	return g_strconcat("sha256//", b64, NULL);
}

/* ---- output -------------------------------------------------------------- */

static char *dup_host_port(const char *host, uint16_t port)
{
	return strchr(host, ':') != NULL
		       ? g_strdup_printf("[%s]:%u", host, (unsigned)port)
		       : g_strdup_printf("%s:%u", host, (unsigned)port);
}

static void print_human(const connection *c)
{
	g_autofree char *host_port = dup_host_port(c->host, c->port);
	g_autofree char *p_host = cli_dup_printable(host_port);
	g_autofree char *p_sni = cli_dup_printable(c->sni);

	/* Without --sni the policy chose: the endpoint's sni, else the host
	 * (none for an address); GnuTLS cannot tell a client which. */
	printf("connected: %s (%s)  sni: %s\n", p_host,
	       c->address ? c->address : "?",
	       c->sni ? p_sni : "as the policy sets it");
	if (c->handshake_done)
		printf("tls: %s  cipher: %s  %s\n", c->protocol, c->cipher,
		       c->description ? c->description : "");
	else
		printf("tls: handshake failed%s%s\n",
		       c->protocol ? " during " : "",
		       c->protocol ? c->protocol : "");
	printf("client certificate: %s\n",
	       c->client_cert_sent	  ? "sent"
	       : c->client_cert_requested ? "requested, none sent (the "
					    "endpoint has no client)"
					  : "not requested");
	printf("peer certificates: %u\n", c->peer ? c->peer->len : 0);
	for (guint i = 0; c->peer != NULL && i < c->peer->len; i++) {
		gnutls_x509_crt_t crt = c->peer->pdata[i];
		g_autofree char *subject = dup_dn(crt, false);
		g_autofree char *issuer = dup_dn(crt, true);
		g_autofree char *p_subject = cli_dup_printable(subject);
		g_autofree char *p_issuer = cli_dup_printable(issuer);
		g_autofree char *from =
			dup_time(gnutls_x509_crt_get_activation_time(crt));
		g_autofree char *until =
			dup_time(gnutls_x509_crt_get_expiration_time(crt));
		g_auto(GStrv) names = dup_names(crt);
		g_autofree char *joined = g_strjoinv(", ", names);
		g_autofree char *p_names = cli_dup_printable(joined);
		g_autofree char *pin = dup_pin(crt);

		printf("  [%u] subject: %s\n", i, p_subject);
		printf("      issuer:  %s\n", p_issuer);
		printf("      valid:   %s to %s\n", from, until);
		printf("      names:   %s\n", *p_names ? p_names : "(none)");
		printf("      pin:     %s\n", pin);
	}
	if (c->result != NULL)
		cli_print_result(stdout, c->result, c->port, TV_PURPOSE_SERVER);
}

static void add_string_or_null(JsonBuilder *b, const char *key,
			       const char *value)
{
	json_builder_set_member_name(b, key);
	if (value != NULL)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

static void add_peer_json(JsonBuilder *b, gnutls_x509_crt_t crt)
{
	g_autofree char *subject = dup_dn(crt, false);
	g_autofree char *issuer = dup_dn(crt, true);
	g_autofree char *from =
		dup_time(gnutls_x509_crt_get_activation_time(crt));
	g_autofree char *until =
		dup_time(gnutls_x509_crt_get_expiration_time(crt));
	g_auto(GStrv) names = dup_names(crt);
	g_autofree char *pin = dup_pin(crt);

	json_builder_begin_object(b);
	add_string_or_null(b, "subject", subject);
	add_string_or_null(b, "issuer", issuer);
	add_string_or_null(b, "not_before", from);
	add_string_or_null(b, "not_after", until);
	json_builder_set_member_name(b, "names");
	json_builder_begin_array(b);
	for (char **n = names; *n != NULL; n++)
		json_builder_add_string_value(b, *n);
	json_builder_end_array(b);
	add_string_or_null(b, "pin", pin);
	json_builder_end_object(b);
}

static void print_json(const connection *c)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;

	json_builder_begin_object(b);
	add_string_or_null(b, "host", c->host);
	json_builder_set_member_name(b, "port");
	json_builder_add_int_value(b, c->port);
	add_string_or_null(b, "address", c->address);
	add_string_or_null(b, "sni", c->sni);

	json_builder_set_member_name(b, "tls");
	json_builder_begin_object(b);
	add_string_or_null(b, "handshake",
			   c->handshake_done ? "completed" : "failed");
	add_string_or_null(b, "protocol", c->protocol);
	add_string_or_null(b, "cipher", c->cipher);
	add_string_or_null(b, "description", c->description);
	json_builder_set_member_name(b, "client_certificate_requested");
	json_builder_add_boolean_value(b, c->client_cert_requested);
	json_builder_set_member_name(b, "client_certificate_sent");
	json_builder_add_boolean_value(b, c->client_cert_sent);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "peer");
	json_builder_begin_array(b);
	for (guint i = 0; c->peer != NULL && i < c->peer->len; i++)
		add_peer_json(b, c->peer->pdata[i]);
	json_builder_end_array(b);

	/* The verify --json object, whole, so both commands share one shape
	 * for the verdict. */
	json_builder_set_member_name(b, "result");
	if (c->result != NULL) {
		g_autofree char *json = tv_result_to_json(c->result);
		JsonNode *node = json_from_string(json, NULL);

		if (node != NULL)
			json_builder_add_value(b, node);
		else
			json_builder_add_null_value(b);
	} else {
		json_builder_add_null_value(b);
	}
	add_string_or_null(b, "error", c->error);
	json_builder_end_object(b);

	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, NULL);
	printf("%s\n", text);
}

/* ---- arguments ----------------------------------------------------------- */

/* HOST, HOST:PORT, [IPv6] or [IPv6]:PORT; a bare IPv6 literal has no port.
 */
static bool parse_target(const char *text, char **host, uint16_t *port)
{
	const char *colon = NULL;
	guint64 value = DEFAULT_PORT;

	if (text[0] == '[') {
		const char *end = strchr(text, ']');

		if (end == NULL || end == text + 1 ||
		    (end[1] != '\0' && end[1] != ':'))
			return false;
		*host = g_strndup(text + 1, (gsize)(end - text - 1));
		if (end[1] == ':')
			colon = end + 1;
	} else if (strchr(text, ':') != NULL &&
		   strchr(text, ':') == strrchr(text, ':')) {
		colon = strchr(text, ':');
		*host = g_strndup(text, (gsize)(colon - text));
	} else {
		*host = g_strdup(text);
	}
	if (**host == '\0')
		return false;
	if (colon != NULL &&
	    !g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &value, NULL))
		return false;
	*port = (uint16_t)value;
	return true;
}

static bool parse_timeout(const char *text, double *timeout)
{
	char *end = NULL;
	double value;

	if (text == NULL) {
		*timeout = DEFAULT_TIMEOUT_S;
		return true;
	}
	value = g_ascii_strtod(text, &end);
	if (end == text || *end != '\0' || !(value > 0) ||
	    value > MAX_TIMEOUT_S) {
		cli_usage_error("connect",
				"--timeout: '%s' is not a number of seconds "
				"above 0 and at most 3600",
				text);
		return false;
	}
	*timeout = value;
	return true;
}

/* ---- the command ------------------------------------------------------- */

/* Why a handshake failed, in words, with the alert when the server sent
 * one. */
static char *dup_handshake_error(gnutls_session_t s, int ret,
				 const connection *c)
{
	if (ret == GNUTLS_E_FATAL_ALERT_RECEIVED) {
		gnutls_alert_description_t alert = gnutls_alert_get(s);
		const char *name = gnutls_alert_get_name(alert);
		const char *why = "";

		if (alert == GNUTLS_A_CERTIFICATE_REQUIRED ||
		    (c->client_cert_requested && !c->client_cert_sent &&
		     alert == GNUTLS_A_HANDSHAKE_FAILURE))
			why = ": the server requires a client certificate "
			      "and the endpoint has none (set `client`)";
		else if (c->client_cert_sent &&
			 (alert == GNUTLS_A_BAD_CERTIFICATE ||
			  alert == GNUTLS_A_UNKNOWN_CA ||
			  alert == GNUTLS_A_CERTIFICATE_UNKNOWN ||
			  alert == GNUTLS_A_ACCESS_DENIED ||
			  alert == GNUTLS_A_UNSUPPORTED_CERTIFICATE ||
			  alert == GNUTLS_A_DECRYPT_ERROR))
			why = ": the server refused our client certificate";
		return g_strdup_printf("the server aborted the connection "
				       "with alert '%s'%s",
				       name ? name : "unknown", why);
	}
	return g_strdup_printf("TLS handshake failed: %s",
			       gnutls_strerror(ret));
}

int cmd_connect(cli_globals *globals, int argc, char **argv)
{
	g_autofree char *sni = NULL;
	g_autofree char *timeout_text = NULL;
	g_auto(GStrv) operands = NULL;
	gboolean json = FALSE;
	const GOptionEntry entries[] = {
		{"sni", 0, 0, G_OPTION_ARG_STRING, &sni,
		 "Server name to send (beats the endpoint's sni)", "NAME"},
		{"timeout", 0, 0, G_OPTION_ARG_STRING, &timeout_text,
		 "Give up after S seconds (default 10)", "S"},
		{"json", 0, 0, G_OPTION_ARG_NONE, &json,
		 "Print the outcome as one JSON object", NULL},
		{G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &operands,
		 NULL, "HOST[:PORT]"},
		{NULL},
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(tv_engine) engine = NULL;
	g_autoptr(tv_session) tvs = NULL;
	g_autofree char *host = NULL;
	gnutls_session_t s = NULL;
	connection c = {0};
	uint16_t port = DEFAULT_PORT;
	double timeout;
	gint64 deadline;
	int status, ret = 0, fd;

	if (!cli_parse_command(&connect_help, entries, globals, &argc, &argv,
			       &status))
		return status;
	if (operands == NULL || operands[0] == NULL) {
		cli_usage_error("connect", "missing HOST[:PORT]");
		return CLI_EXIT_ERROR;
	}
	if (operands[1] != NULL) {
		cli_usage_error("connect", "unexpected argument '%s'",
				operands[1]);
		return CLI_EXIT_ERROR;
	}
	if (!parse_target(operands[0], &host, &port)) {
		cli_usage_error("connect",
				"'%s' is not HOST, HOST:PORT or [IPv6]:PORT "
				"(port 1-65535)",
				operands[0]);
		return CLI_EXIT_ERROR;
	}
	if (sni != NULL && *sni == '\0') {
		cli_usage_error("connect", "--sni: empty name");
		return CLI_EXIT_ERROR;
	}
	if (!parse_timeout(timeout_text, &timeout))
		return CLI_EXIT_ERROR;

	engine = tv_engine_new(cli_conf_dir(globals), cli_plugin_dir(globals),
			       &error);
	if (engine == NULL) {
		cli_error("%s", error->message);
		return CLI_EXIT_ERROR;
	}

	/* A server that hangs up first must not kill us on our write. */
	signal(SIGPIPE, SIG_IGN);
	deadline = g_get_monotonic_time() + (gint64)(timeout * G_USEC_PER_SEC);
	fd = cli_net_connect(host, port, deadline, timeout, &c.address, &error);
	if (fd < 0) {
		cli_error("%s", error->message);
		return CLI_EXIT_ERROR;
	}

	c.host = host;
	c.port = port;
	if (gnutls_init(&s, GNUTLS_CLIENT) < 0 ||
	    gnutls_set_default_priority(s) < 0) {
		close(fd);
		if (s != NULL)
			gnutls_deinit(s);
		cli_error("cannot set up a TLS session");
		return CLI_EXIT_ERROR;
	}
	tvs = tv_session_attach(engine, s, host, port, &error);
	if (tvs == NULL) {
		gnutls_deinit(s);
		close(fd);
		cli_error("%s", error->message);
		return CLI_EXIT_ERROR;
	}
	if (sni != NULL) {
		c.sni = g_strdup(sni);
		gnutls_server_name_set(s, GNUTLS_NAME_DNS, sni, strlen(sni));
	}
	gnutls_transport_set_int(s, fd);

	if (cli_net_run(s, fd, false, deadline, &ret) == CLI_NET_TIMEOUT) {
		c.error = g_strdup_printf("timed out after %g s in the TLS "
					  "handshake with %s port %u",
					  timeout, host, (unsigned)port);
	} else if (ret == 0) {
		c.handshake_done = true;
	} else if (ret != GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		/* The glue already sent bad_certificate for a rejection;
		 * tell the server about any other local failure. */
		if (ret != GNUTLS_E_FATAL_ALERT_RECEIVED)
			(void)gnutls_alert_send_appropriate(s, ret);
	}
	c.client_cert_sent = tv_session_sent_client_cert(tvs);
	c.result = tv_session_get_result(tvs);
	collect_session(s, &c);
	if (c.error == NULL && ret < 0 &&
	    ret != GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
		c.error = dup_handshake_error(s, ret, &c);
	else if (c.error == NULL &&
		 ret == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR &&
		 c.result == NULL)
		c.error = g_strdup("the policy could not run on the server's "
				   "certificates");

	/*
	 * Close without sending data.  Waiting for the server's reply to
	 * our close_notify is what shows, in TLS 1.3, that it accepted our
	 * client certificate: a refusal arrives as an alert after our
	 * handshake completed.
	 */
	if (c.handshake_done) {
		if (cli_net_run(s, fd, true, deadline, &ret) == CLI_NET_DONE &&
		    ret == GNUTLS_E_FATAL_ALERT_RECEIVED)
			c.error = dup_handshake_error(s, ret, &c);
	}
	/* A handshake without a verdict (a resumed session never shows the
	 * certificates again) is no proof of trust. */
	if (c.error == NULL && c.result == NULL)
		c.error = g_strdup("the server's certificate was not verified "
				   "by the policy");

	if (json)
		print_json(&c);
	else
		print_human(&c);
	if (c.error != NULL)
		cli_error("%s", c.error);

	if (c.result != NULL &&
	    tv_result_get_verdict(c.result) != TV_VERDICT_TRUSTED)
		status = CLI_EXIT_REJECTED;
	else if (c.result == NULL || c.error != NULL)
		status = CLI_EXIT_ERROR;
	else
		status = CLI_EXIT_OK;

	gnutls_deinit(s);
	cli_net_close(fd, deadline);
	connection_clear(&c);
	return status;
}
