/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plugin "mtls", client role: loads, checks and reloads the certificate and
 * key an endpoint presents (PEM, encrypted PKCS#8, PKCS#12, PKCS#11). */
#include "config.h"

#define G_LOG_DOMAIN "tlsverify-mtls"

#include "mtls.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/pkcs11.h>
#include <gnutls/pkcs12.h>

/* Certificates, keys and bundles are kilobytes; refuse to slurp a device. */
#define MAX_FILE_SIZE (1024 * 1024)
#define PKCS11_SCHEME "pkcs11:"
#define DEFAULT_CHECK_INTERVAL 1 /* seconds */
#define MAX_CHECK_INTERVAL 3600
#define OID_KP_CLIENT "1.3.6.1.5.5.7.3.2"
#define OID_KP_ANY "2.5.29.37.0"

/* The files a credential is built from, watched for changes. */
enum {
	WATCH_CERT,
	WATCH_KEY,
	WATCH_PKCS12,
	WATCH_PASSWORD,
	WATCH_PIN,
	N_WATCH
};

static const char *const watch_keys[N_WATCH] = {
	"certificate", "key", "pkcs12", "password_file", "pin_file",
};

/* What stat() says about one file; equal signatures mean "unchanged". */
typedef struct {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	gint64 mtime_ns;
	gint64 ctime_ns;
	mode_t mode;
} file_sig;

typedef struct {
	char *paths[N_WATCH]; /* absolute file paths, NULL when not set */
	char *cert_uri;	      /* certificate = "pkcs11:..." */
	char *key_uri;	      /* key = "pkcs11:..." (may carry a PIN) */
} sources;

struct mtls_client {
	sources src;
	char *location; /* "file:line" of the step, for reload warnings */
	gint64 check_interval; /* µs between stat rounds; 0: every call */
	GMutex lock;	       /* guards everything below */
	tv_client_cert *current;
	gint64 next_check; /* monotonic µs */
	file_sig loaded[N_WATCH];
	file_sig failed[N_WATCH]; /* the state a reload already warned of */
	bool has_failed;
	/* For describe(): what is presented, and how reloads went. */
	char *subject;
	gint64 not_after;
	gint64 reloads;
	char *last_error;
};

/* ---- small helpers ------------------------------------------------------ */

static void wipe_string(char *s)
{
	if (s != NULL)
		gnutls_memset(s, 0, strlen(s));
}

static void free_secret_string(char *s)
{
	wipe_string(s);
	g_free(s);
}

/* A file's bytes; secret ones are wiped before they are freed. */
typedef struct {
	char *data; /* NUL-terminated */
	size_t len;
	size_t alloc;
	bool secret;
} filebuf;

static void filebuf_clear(filebuf *b)
{
	if (b->data != NULL && b->secret)
		gnutls_memset(b->data, 0, b->alloc);
	g_free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(filebuf, filebuf_clear)

static void sig_take(const char *path, file_sig *sig)
{
	struct stat st;

	memset(sig, 0, sizeof(*sig));
	if (path == NULL || stat(path, &st) != 0)
		return;
	sig->exists = true;
	sig->dev = st.st_dev;
	sig->ino = st.st_ino;
	sig->size = st.st_size;
	sig->mtime_ns =
		(gint64)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	sig->ctime_ns =
		(gint64)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
	sig->mode = st.st_mode;
}

static bool sig_equal(const file_sig *a, const file_sig *b)
{
	return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime_ns == b->mtime_ns &&
	       a->ctime_ns == b->ctime_ns && a->mode == b->mode;
}

static bool sigs_equal(const file_sig *a, const file_sig *b)
{
	for (int i = 0; i < N_WATCH; i++)
		if (!sig_equal(&a[i], &b[i]))
			return false;
	return true;
}

/*
 * Reads @path into @out in one buffer (no reallocation that would leave
 * unwiped copies of a secret behind).  A @secret file must be a regular
 * file no group or other user can access: the mode is checked on the
 * descriptor that is read, not on a path that could be swapped meanwhile.
 */
static bool read_file(const char *path, const char *what, bool secret,
		      filebuf *out, GError **error)
{
	struct stat st;
	ssize_t n;
	char probe;
	int fd;

	out->secret = secret;
	/* O_NONBLOCK: a FIFO named by mistake must not hang the load; it
	 * is refused as not a regular file below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int saved = errno;

		g_set_error(error, TV_ERROR, TV_ERROR_IO,
			    "cannot read %s '%s': %s", what, path,
			    g_strerror(saved));
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		g_set_error(error, TV_ERROR, TV_ERROR_IO,
			    "%s '%s' is not a regular file", what, path);
		goto fail;
	}
	if (secret && (st.st_mode & 077) != 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "%s '%s' has mode %04o: it must not be accessible "
			    "by group or others (chmod 600)",
			    what, path, (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	if (st.st_size > MAX_FILE_SIZE) {
		g_set_error(error, TV_ERROR, TV_ERROR_IO,
			    "%s '%s' is larger than %d bytes", what, path,
			    MAX_FILE_SIZE);
		goto fail;
	}
	out->alloc = (size_t)st.st_size + 1;
	out->data = g_malloc0(out->alloc);
	while (out->len < out->alloc - 1) {
		n = read(fd, out->data + out->len, out->alloc - 1 - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			g_set_error(error, TV_ERROR, TV_ERROR_IO,
				    "cannot read %s '%s': %s", what, path,
				    g_strerror(saved));
			goto fail;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
	}
	/* A writer still appending: refuse a torn read, the next check
	 * sees the finished file. */
	do
		n = read(fd, &probe, 1);
	while (n < 0 && errno == EINTR);
	if (n != 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_IO,
			    "%s '%s' changed while being read", what, path);
		goto fail;
	}
	close(fd);
	return true;
fail:
	close(fd);
	filebuf_clear(out);
	return false;
}

/* A password or PIN file: one line; one trailing newline is not part of
 * the secret. */
static bool read_secret_line(const char *path, const char *what, filebuf *out,
			     GError **error)
{
	if (!read_file(path, what, true, out, error))
		return false;
	if (out->len > 0 && out->data[out->len - 1] == '\n')
		out->data[--out->len] = '\0';
	if (out->len > 0 && out->data[out->len - 1] == '\r')
		out->data[--out->len] = '\0';
	if (memchr(out->data, '\0', out->len) != NULL) {
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "%s '%s' holds a NUL byte", what, path);
		filebuf_clear(out);
		return false;
	}
	return true;
}

static gnutls_datum_t datum_of(const filebuf *b)
{
	gnutls_datum_t d = {(unsigned char *)b->data, (unsigned)b->len};

	return d;
}

/*
 * @uri with the value of its pin-value attribute replaced, for messages:
 * a PIN never reaches a log.  (transfer full)
 */
static char *dup_redacted_uri(const char *uri)
{
	GString *s = g_string_new(NULL);
	const char *p = uri;
	const char *hit;

	while ((hit = strstr(p, "pin-value=")) != NULL) {
		g_string_append_len(s, p, hit - p);
		g_string_append(s, "pin-value=REDACTED");
		p = hit + strlen("pin-value=");
		p += strcspn(p, ";&?#");
	}
	g_string_append(s, p);
	return g_string_free(s, FALSE);
}

/* The value of query or path attribute @attr of a PKCS#11 URI, or NULL. */
static char *dup_uri_attr(const char *uri, const char *attr)
{
	g_autofree char *needle = g_strconcat(attr, "=", NULL);
	const char *p = uri;

	while ((p = strstr(p, needle)) != NULL) {
		if (p > uri && strchr(";?&:", p[-1]) != NULL) {
			const char *v = p + strlen(needle);
			g_autofree char *raw = g_strndup(v, strcspn(v, ";&#"));

			return g_uri_unescape_string(raw, NULL);
		}
		p += strlen(needle);
	}
	return NULL;
}

static char *dup_time(time_t t)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc((gint64)t);

	return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ")
		  : g_strdup_printf("@%lld", (long long)t);
}

static char *dup_subject(gnutls_x509_crt_t crt)
{
	gnutls_datum_t dn = {NULL, 0};
	char *s;

	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) < 0)
		return g_strdup("(unreadable subject)");
	s = g_strndup((const char *)dn.data, dn.size);
	gnutls_free(dn.data);
	return s;
}

/* GnuTLS's "no such PKCS#11 object" codes. */
static bool is_not_found(int ret)
{
	return ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE ||
	       ret == GNUTLS_E_PKCS11_REQUESTED_OBJECT_NOT_AVAILBLE;
}

/* ---- certificates ------------------------------------------------------- */

typedef struct {
	gnutls_x509_crt_t *v; /* leaf first */
	unsigned n;
} certs;

static void certs_clear(certs *c)
{
	for (unsigned i = 0; i < c->n; i++)
		gnutls_x509_crt_deinit(c->v[i]);
	g_free(c->v);
	c->v = NULL;
	c->n = 0;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(certs, certs_clear)

/* Takes over a gnutls_malloc'ed array of @n certificates. */
static void certs_take(certs *c, gnutls_x509_crt_t *list, unsigned n)
{
	c->v = g_new0(gnutls_x509_crt_t, n > 0 ? n : 1);
	memcpy(c->v, list, n * sizeof(*list));
	c->n = n;
	gnutls_free(list);
}

static bool load_cert_file(const char *path, certs *out, GError **error)
{
	g_auto(filebuf) buf = {0};
	gnutls_x509_crt_t *list = NULL;
	gnutls_datum_t d;
	unsigned n = 0;
	int ret;

	if (!read_file(path, "certificate file", false, &buf, error))
		return false;
	d = datum_of(&buf);
	ret = gnutls_x509_crt_list_import2(
		&list, &n, &d, GNUTLS_X509_FMT_PEM,
		GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
	if (ret == GNUTLS_E_BASE64_DECODING_ERROR ||
	    ret == GNUTLS_E_NO_CERTIFICATE_FOUND ||
	    ret == GNUTLS_E_BASE64_UNEXPECTED_HEADER_ERROR)
		ret = gnutls_x509_crt_list_import2(&list, &n, &d,
						   GNUTLS_X509_FMT_DER, 0);
	if (ret == GNUTLS_E_CERTIFICATE_LIST_UNSORTED) {
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "certificate file '%s' is out of order: put the "
			    "client certificate first, then each issuer",
			    path);
		return false;
	}
	if (ret < 0 || n == 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "certificate file '%s' holds no usable "
			    "certificate: %s",
			    path, ret < 0 ? gnutls_strerror(ret) : "empty");
		return false;
	}
	certs_take(out, list, n);
	return true;
}

static bool load_cert_uri(const char *uri, certs *out, GError **error)
{
	g_autofree char *shown = dup_redacted_uri(uri);
	gnutls_x509_crt_t crt = NULL;
	int ret;

	ret = gnutls_x509_crt_init(&crt);
	if (ret == 0)
		ret = gnutls_x509_crt_import_url(crt, uri, 0);
	if (ret < 0) {
		gnutls_x509_crt_deinit(crt);
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "cannot read certificate '%s': %s%s", shown,
			    gnutls_strerror(ret),
			    is_not_found(ret)
				    ? " (no token holds it; is its module "
				      "loaded? see pkcs11_module)"
				    : "");
		return false;
	}
	out->v = g_new0(gnutls_x509_crt_t, 1);
	out->v[0] = crt;
	out->n = 1;
	return true;
}

/* ---- keys --------------------------------------------------------------- */

static bool load_key_file(const char *path, const filebuf *password,
			  const char *password_path, gnutls_privkey_t *out,
			  const char **key, GError **error)
{
	g_auto(filebuf) buf = {0};
	gnutls_x509_privkey_t xkey = NULL;
	gnutls_privkey_t pkey = NULL;
	gnutls_datum_t d;
	const char *pass = password ? password->data : NULL;
	bool encrypted;
	int ret;

	*key = "key";
	if (!read_file(path, "key file", true, &buf, error))
		return false;
	d = datum_of(&buf);
	encrypted =
		g_strstr_len(buf.data, (gssize)buf.len,
			     "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL;
	if (encrypted && pass == NULL) {
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "key file '%s' is an encrypted PKCS#8 key: set "
			    "password_file",
			    path);
		return false;
	}

	ret = gnutls_x509_privkey_init(&xkey);
	if (ret < 0)
		goto gnutls_fail;
	/* GNUTLS_PKCS_PLAIN without a password: never fall back to the
	 * application's global PIN callback for a password. */
	ret = gnutls_x509_privkey_import2(xkey, &d, GNUTLS_X509_FMT_PEM, pass,
					  pass ? 0 : GNUTLS_PKCS_PLAIN);
	if (ret < 0 && !encrypted)
		ret = gnutls_x509_privkey_import2(xkey, &d, GNUTLS_X509_FMT_DER,
						  pass,
						  pass ? 0 : GNUTLS_PKCS_PLAIN);
	if (ret < 0) {
		gnutls_x509_privkey_deinit(xkey);
		if (encrypted) {
			*key = "password_file";
			g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
				    "cannot decrypt key file '%s' with the "
				    "password in '%s': %s (wrong password? "
				    "scrypt-encrypted PKCS#8 is not "
				    "supported)",
				    path, password_path, gnutls_strerror(ret));
		} else {
			g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
				    "key file '%s' holds no usable private "
				    "key: %s",
				    path, gnutls_strerror(ret));
		}
		return false;
	}
	ret = gnutls_privkey_init(&pkey);
	if (ret < 0) {
		gnutls_x509_privkey_deinit(xkey);
		goto gnutls_fail;
	}
	ret = gnutls_privkey_import_x509(pkey, xkey,
					 GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE);
	if (ret < 0) {
		gnutls_x509_privkey_deinit(xkey);
		gnutls_privkey_deinit(pkey);
		goto gnutls_fail;
	}
	*out = pkey;
	return true;

gnutls_fail:
	g_set_error(error, TV_ERROR, TV_ERROR_INTERNAL,
		    "cannot load key file '%s': %s", path,
		    gnutls_strerror(ret));
	return false;
}

/* A pin-source file named in the URI is a secret like pin_file. */
static bool check_pin_source(const char *uri, GError **error)
{
	g_autofree char *source = dup_uri_attr(uri, "pin-source");
	struct stat st;

	if (source == NULL || !g_path_is_absolute(source))
		return true;
	if (stat(source, &st) != 0) {
		int saved = errno;

		g_set_error(error, TV_ERROR, TV_ERROR_IO,
			    "cannot read the URI's pin-source '%s': %s", source,
			    g_strerror(saved));
		return false;
	}
	if ((st.st_mode & 077) != 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "the URI's pin-source '%s' has mode %04o: it must "
			    "not be accessible by group or others (chmod 600)",
			    source, (unsigned)(st.st_mode & 07777));
		return false;
	}
	return true;
}

/*
 * The key on a token.  The PIN goes into the URI (pin-value) rather than
 * into a PIN callback: GnuTLS keeps what it needs to log in again with
 * the key object itself, so a handshake holding the credential never calls
 * back into this plugin, which a policy reload may have unloaded.
 */
static bool load_key_uri(const char *uri, const filebuf *pin,
			 const char *pin_path, gnutls_privkey_t *out,
			 const char **key, GError **error)
{
	g_autofree char *shown = dup_redacted_uri(uri);
	gnutls_privkey_t pkey = NULL;
	char *escaped = NULL;
	char *full = NULL;
	bool uri_has_pin;
	int ret;

	*key = "key";
	uri_has_pin = strstr(uri, "pin-value=") != NULL ||
		      strstr(uri, "pin-source=") != NULL;
	if (pin != NULL && uri_has_pin) {
		*key = "pin_file";
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "the key URI '%s' already names a PIN "
			    "(pin-value or pin-source): set it in one place",
			    shown);
		return false;
	}
	if (!check_pin_source(uri, error))
		return false;
	if (pin != NULL) {
		escaped = g_uri_escape_string(pin->data, NULL, FALSE);
		full = g_strconcat(uri, strchr(uri, '?') ? "&" : "?",
				   "pin-value=", escaped, NULL);
	} else {
		full = g_strdup(uri);
	}

	ret = gnutls_privkey_init(&pkey);
	if (ret == 0)
		ret = gnutls_privkey_import_url(pkey, full, 0);
	free_secret_string(escaped);
	free_secret_string(full);
	if (ret < 0) {
		gnutls_privkey_deinit(pkey);
		if (ret == GNUTLS_E_PKCS11_PIN_ERROR && pin == NULL &&
		    !uri_has_pin) {
			g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
				    "the token needs a PIN for '%s': set "
				    "pin_file (or pin-source in the URI)",
				    shown);
		} else if (ret == GNUTLS_E_PKCS11_PIN_ERROR) {
			if (pin != NULL)
				*key = "pin_file";
			g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
				    "the token refused the PIN %s%s%s for "
				    "'%s' (not retried: a token locks after "
				    "a few wrong PINs)",
				    pin ? "from '" : "given in the URI",
				    pin ? pin_path : "", pin ? "'" : "", shown);
		} else {
			g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
				    "cannot use the key '%s': %s%s", shown,
				    gnutls_strerror(ret),
				    is_not_found(ret)
					    ? " (no token holds it; is its "
					      "module loaded? see "
					      "pkcs11_module)"
					    : "");
		}
		return false;
	}
	*out = pkey;
	return true;
}

/* ---- PKCS#12 ------------------------------------------------------------ */

static bool load_pkcs12(const char *path, const filebuf *password,
			const char *password_path, certs *out_certs,
			gnutls_privkey_t *out_key, const char **key,
			GError **error)
{
	g_auto(filebuf) buf = {0};
	gnutls_pkcs12_t p12 = NULL;
	gnutls_x509_privkey_t xkey = NULL;
	gnutls_x509_crt_t *chain = NULL;
	gnutls_privkey_t pkey = NULL;
	unsigned chain_len = 0;
	const char *pass = password ? password->data : NULL;
	gnutls_datum_t d;
	bool ok = false;
	int ret;

	*key = "pkcs12";
	if (!read_file(path, "PKCS#12 file", true, &buf, error))
		return false;
	d = datum_of(&buf);
	ret = gnutls_pkcs12_init(&p12);
	if (ret < 0)
		goto gnutls_fail;
	ret = gnutls_pkcs12_import(p12, &d, GNUTLS_X509_FMT_DER, 0);
	if (ret < 0)
		ret = gnutls_pkcs12_import(p12, &d, GNUTLS_X509_FMT_PEM, 0);
	if (ret < 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "'%s' is not a PKCS#12 file: %s", path,
			    gnutls_strerror(ret));
		goto out;
	}
	ret = gnutls_pkcs12_verify_mac(p12, pass ? pass : "");
	if (ret == GNUTLS_E_MAC_VERIFY_FAILED) {
		*key = pass ? "password_file" : "pkcs12";
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "wrong password for PKCS#12 file '%s'%s%s%s (its "
			    "MAC does not verify)",
			    path, pass ? " (from '" : ": set password_file",
			    pass ? password_path : "", pass ? "')" : "");
		goto out;
	}
	ret = gnutls_pkcs12_simple_parse(p12, pass, &xkey, &chain, &chain_len,
					 NULL, NULL, NULL, 0);
	if (ret < 0) {
		*key = pass ? "password_file" : "pkcs12";
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "cannot read the key and certificate in PKCS#12 "
			    "file '%s': %s",
			    path, gnutls_strerror(ret));
		goto out;
	}
	if (xkey == NULL || chain_len == 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "PKCS#12 file '%s' holds no %s", path,
			    xkey == NULL ? "private key"
					 : "certificate for its private key");
		goto out;
	}
	ret = gnutls_privkey_init(&pkey);
	if (ret < 0)
		goto gnutls_fail;
	ret = gnutls_privkey_import_x509(pkey, xkey,
					 GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE);
	if (ret < 0)
		goto gnutls_fail;
	xkey = NULL; /* owned by pkey now */
	certs_take(out_certs, chain, chain_len);
	chain = NULL;
	chain_len = 0;
	*out_key = g_steal_pointer(&pkey);
	ok = true;
	goto out;

gnutls_fail:
	g_set_error(error, TV_ERROR, TV_ERROR_INTERNAL,
		    "cannot load PKCS#12 file '%s': %s", path,
		    gnutls_strerror(ret));
out:
	for (unsigned i = 0; i < chain_len; i++)
		gnutls_x509_crt_deinit(chain[i]);
	gnutls_free(chain);
	if (xkey != NULL)
		gnutls_x509_privkey_deinit(xkey);
	if (pkey != NULL)
		gnutls_privkey_deinit(pkey);
	if (p12 != NULL)
		gnutls_pkcs12_deinit(p12);
	return ok;
}

/* ---- checks ------------------------------------------------------------- */

/* Every certificate presented must be valid now, or servers refuse it. */
static bool check_validity(const certs *c, const char *source, GError **error)
{
	time_t now = (time_t)(g_get_real_time() / G_USEC_PER_SEC);

	for (unsigned i = 0; i < c->n; i++) {
		time_t from = gnutls_x509_crt_get_activation_time(c->v[i]);
		time_t until = gnutls_x509_crt_get_expiration_time(c->v[i]);
		g_autofree char *subject = NULL;
		g_autofree char *when = NULL;

		if (now >= from && now <= until)
			continue;
		subject = dup_subject(c->v[i]);
		when = dup_time(now < from ? from : until);
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "%s certificate '%s' in '%s' %s %s",
			    i == 0 ? "the client" : "the issuer", subject,
			    source,
			    now < from ? "is not valid before" : "expired on",
			    when);
		return false;
	}
	return true;
}

static bool pubkeys_equal(gnutls_pubkey_t a, gnutls_pubkey_t b)
{
	gnutls_datum_t da = {NULL, 0}, db = {NULL, 0};
	bool equal = false;

	if (gnutls_pubkey_export2(a, GNUTLS_X509_FMT_DER, &da) == 0 &&
	    gnutls_pubkey_export2(b, GNUTLS_X509_FMT_DER, &db) == 0)
		equal = da.size == db.size &&
			memcmp(da.data, db.data, da.size) == 0;
	gnutls_free(da.data);
	gnutls_free(db.data);
	return equal;
}

/*
 * The key must belong to the leaf.  Compares the public keys; a key on a
 * token also signs test data, which proves the PIN and the key usable now
 * rather than at the first handshake.
 */
static bool check_key_match(gnutls_x509_crt_t leaf, gnutls_privkey_t pkey,
			    bool on_token, const char *cert_source,
			    const char *key_source, GError **error)
{
	static const char test_data[] = "tlsverify mtls key check";
	gnutls_datum_t data = {(unsigned char *)test_data, sizeof(test_data)};
	gnutls_datum_t sig = {NULL, 0};
	gnutls_pubkey_t cert_pub = NULL, key_pub = NULL;
	gnutls_digest_algorithm_t hash = GNUTLS_DIG_SHA256;
	gnutls_sign_algorithm_t sign;
	bool compared = false;
	bool ok = false;
	int ret;

	if (gnutls_pubkey_init(&cert_pub) < 0 ||
	    gnutls_pubkey_import_x509(cert_pub, leaf, 0) < 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "cannot read the public key of the certificate in "
			    "'%s'",
			    cert_source);
		goto out;
	}
	if (gnutls_pubkey_init(&key_pub) == 0 &&
	    gnutls_pubkey_import_privkey(key_pub, pkey, 0, 0) == 0) {
		compared = true;
		if (!pubkeys_equal(cert_pub, key_pub)) {
			g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
				    "the key '%s' does not match the "
				    "certificate in '%s' (their public keys "
				    "differ)",
				    key_source, cert_source);
			goto out;
		}
	}
	if (compared && !on_token) {
		ok = true;
		goto out;
	}

	gnutls_pubkey_get_preferred_hash_algorithm(cert_pub, &hash, NULL);
	sign = gnutls_pk_to_sign(gnutls_pubkey_get_pk_algorithm(cert_pub, NULL),
				 hash);
	ret = gnutls_privkey_sign_data2(pkey, sign, 0, &data, &sig);
	if (ret < 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "cannot sign with the key '%s': %s", key_source,
			    gnutls_strerror(ret));
		goto out;
	}
	if (gnutls_pubkey_verify_data2(cert_pub, sign, 0, &data, &sig) < 0) {
		g_set_error(error, TV_ERROR, TV_ERROR_CONFIG,
			    "the key '%s' does not match the certificate in "
			    "'%s' (a test signature does not verify)",
			    key_source, cert_source);
		goto out;
	}
	ok = true;
out:
	gnutls_free(sig.data);
	gnutls_pubkey_deinit(cert_pub);
	gnutls_pubkey_deinit(key_pub);
	return ok;
}

/* ---- building one credential ---------------------------------------- */

static char *dup_source_name(const char *path, const char *uri)
{
	return path != NULL ? g_strdup(path) : dup_redacted_uri(uri);
}

/*
 * Builds the credential from @src.  @sigs receives the files' signatures
 * taken before they are read, so a change during the build is seen by the
 * next check.  On failure *@key names the setting at fault.
 * Returns: (transfer full) the credential, or NULL with @error.
 */
static tv_client_cert *client_build(const sources *src, file_sig sigs[N_WATCH],
				    const char **key, GError **error)
{
	g_auto(filebuf) password = {0};
	g_auto(filebuf) pin = {0};
	g_auto(certs) chain = {NULL, 0};
	g_autofree char *cert_source = NULL;
	g_autofree char *key_source = NULL;
	gnutls_privkey_t pkey = NULL;
	gnutls_pcert_st *pcerts;
	unsigned n;
	int ret;

	for (int i = 0; i < N_WATCH; i++)
		sig_take(src->paths[i], &sigs[i]);

	*key = "password_file";
	if (src->paths[WATCH_PASSWORD] != NULL &&
	    !read_secret_line(src->paths[WATCH_PASSWORD], "password file",
			      &password, error))
		return NULL;
	*key = "pin_file";
	if (src->paths[WATCH_PIN] != NULL &&
	    !read_secret_line(src->paths[WATCH_PIN], "PIN file", &pin, error))
		return NULL;

	if (src->paths[WATCH_PKCS12] != NULL) {
		if (!load_pkcs12(src->paths[WATCH_PKCS12],
				 password.data ? &password : NULL,
				 src->paths[WATCH_PASSWORD], &chain, &pkey, key,
				 error))
			return NULL;
		cert_source = g_strdup(src->paths[WATCH_PKCS12]);
		key_source = g_strdup(src->paths[WATCH_PKCS12]);
	} else {
		*key = "certificate";
		if (src->cert_uri != NULL
			    ? !load_cert_uri(src->cert_uri, &chain, error)
			    : !load_cert_file(src->paths[WATCH_CERT], &chain,
					      error))
			return NULL;
		if (src->key_uri != NULL
			    ? !load_key_uri(
				      src->key_uri, pin.data ? &pin : NULL,
				      src->paths[WATCH_PIN], &pkey, key, error)
			    : !load_key_file(src->paths[WATCH_KEY],
					     password.data ? &password : NULL,
					     src->paths[WATCH_PASSWORD], &pkey,
					     key, error))
			return NULL;
		cert_source =
			dup_source_name(src->paths[WATCH_CERT], src->cert_uri);
		key_source =
			dup_source_name(src->paths[WATCH_KEY], src->key_uri);
	}

	*key = src->paths[WATCH_PKCS12] ? "pkcs12" : "certificate";
	if (!check_validity(&chain, cert_source, error))
		goto fail;
	*key = src->paths[WATCH_PKCS12] ? "pkcs12" : "key";
	if (!check_key_match(chain.v[0], pkey, src->key_uri != NULL,
			     cert_source, key_source, error))
		goto fail;

	n = chain.n;
	pcerts = g_new0(gnutls_pcert_st, n);
	ret = gnutls_pcert_import_x509_list(pcerts, chain.v, &n, 0);
	if (ret < 0) {
		g_free(pcerts);
		*key = "certificate";
		g_set_error(error, TV_ERROR, TV_ERROR_INTERNAL,
			    "cannot prepare the certificate in '%s': %s",
			    cert_source, gnutls_strerror(ret));
		goto fail;
	}
	return tv_client_cert_new(pcerts, n, pkey);

fail:
	gnutls_privkey_deinit(pkey);
	return NULL;
}

/* ---- settings ----------------------------------------------------------- */

/*
 * Reads @name as a file path, or keeps it whole when it is a PKCS#11 URI
 * and @uri is given.  Both accessors mark the key read.
 */
static bool get_path_or_uri(const tv_settings *settings, const char *name,
			    char **path, char **uri, GError **error)
{
	const char *value = NULL;

	if (!tv_settings_get_string(settings, name, &value, error))
		return false;
	if (value != NULL && uri != NULL &&
	    g_str_has_prefix(value, PKCS11_SCHEME)) {
		*uri = g_strdup(value);
		return true;
	}
	return tv_settings_get_path(settings, name, path, error);
}

/* Which combinations make one credential; says what is missing or extra. */
static bool check_combination(const tv_settings *settings, const sources *s,
			      bool has_module, GError **error)
{
	bool has_cert = s->paths[WATCH_CERT] || s->cert_uri;
	bool has_key = s->paths[WATCH_KEY] || s->key_uri;

	if (s->paths[WATCH_PKCS12] != NULL) {
		if (has_cert || has_key) {
			tv_settings_set_error(settings, "pkcs12", error,
					      "use either pkcs12 or "
					      "certificate + key, not both");
			return false;
		}
	} else if (!has_cert || !has_key) {
		tv_settings_set_error(settings, NULL, error,
				      "mtls client needs certificate and key "
				      "(PEM files or pkcs11: URIs), or "
				      "pkcs12; missing: %s",
				      has_cert ? "key" : "certificate");
		return false;
	}
	if (s->paths[WATCH_PIN] != NULL && s->key_uri == NULL) {
		tv_settings_set_error(settings, "pin_file", error,
				      "only for a key on a PKCS#11 token "
				      "(key = \"pkcs11:...\")");
		return false;
	}
	if (s->paths[WATCH_PASSWORD] != NULL && s->key_uri != NULL) {
		tv_settings_set_error(settings, "password_file", error,
				      "a key on a PKCS#11 token takes "
				      "pin_file, not password_file");
		return false;
	}
	if (has_module && s->key_uri == NULL && s->cert_uri == NULL) {
		tv_settings_set_error(settings, "pkcs11_module", error,
				      "only used with pkcs11: URIs in "
				      "certificate or key");
		return false;
	}
	return true;
}

/*
 * Registers a PKCS#11 module with GnuTLS.  Loading a library named by a
 * policy is code execution: refuse one others could have written.
 * GnuTLS's module list is process-wide and adding a module again is
 * harmless, so there is no bookkeeping here (see the report on the core
 * owning this choice).
 */
static bool add_pkcs11_module(const tv_settings *settings, const char *path,
			      GError **error)
{
	static GMutex lock; /* gnutls_pkcs11_add_provider is not thread-safe */
	struct stat st;
	int ret;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		tv_settings_set_error(settings, "pkcs11_module", error,
				      "'%s' is not a readable file", path);
		return false;
	}
	if ((st.st_mode & 022) != 0) {
		tv_settings_set_error(settings, "pkcs11_module", error,
				      "'%s' has mode %04o: a module must not "
				      "be writable by group or others",
				      path, (unsigned)(st.st_mode & 07777));
		return false;
	}
	g_mutex_lock(&lock);
	ret = gnutls_pkcs11_add_provider(path, NULL);
	g_mutex_unlock(&lock);
	if (ret < 0) {
		tv_settings_set_error(settings, "pkcs11_module", error,
				      "cannot load PKCS#11 module '%s': %s",
				      path, gnutls_strerror(ret));
		return false;
	}
	return true;
}

static void sources_clear(sources *s)
{
	for (int i = 0; i < N_WATCH; i++)
		g_free(s->paths[i]);
	g_free(s->cert_uri);
	free_secret_string(s->key_uri);
	memset(s, 0, sizeof(*s));
}

void mtls_client_free(mtls_client *c)
{
	if (c == NULL)
		return;
	g_free(c->subject);
	g_free(c->last_error);
	tv_client_cert_unref(c->current);
	sources_clear(&c->src);
	g_free(c->location);
	g_mutex_clear(&c->lock);
	g_free(c);
}

/* Remembers the presented leaf's subject and expiry for describe(). */
static void note_presented(mtls_client *c)
{
	gnutls_x509_crt_t crt = NULL;
	unsigned n = 0;
	gnutls_pcert_st *pcerts = tv_client_cert_get_pcerts(c->current, &n);

	g_clear_pointer(&c->subject, g_free);
	c->not_after = 0;
	if (n == 0 || gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, &pcerts[0].cert, GNUTLS_X509_FMT_DER) ==
	    0) {
		c->subject = dup_subject(crt);
		c->not_after = gnutls_x509_crt_get_expiration_time(crt);
	}
	gnutls_x509_crt_deinit(crt);
}

void mtls_client_describe(mtls_client *c, tv_describe *out)
{
	g_mutex_lock(&c->lock);
	tv_describe_string(out, "certificate",
			   c->subject ? c->subject : "(unreadable)");
	/* The metric to alert on before the client certificate expires. */
	tv_describe_int(out, "certificate_not_after", c->not_after);
	tv_describe_int(out, "reloads", c->reloads);
	tv_describe_int(out, "reload_failing", c->has_failed ? 1 : 0);
	if (c->has_failed && c->last_error != NULL)
		tv_describe_string(out, "reload_error", c->last_error);
	g_mutex_unlock(&c->lock);
}

/* Servers check clientAuth when the certificate limits its purposes. */
static void warn_key_purpose(const tv_settings *settings, tv_client_cert *cert)
{
	gnutls_x509_crt_t crt = NULL;
	unsigned n = 0;
	gnutls_pcert_st *pcerts = tv_client_cert_get_pcerts(cert, &n);
	bool any = false, client = false;

	if (n == 0 || gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, &pcerts[0].cert, GNUTLS_X509_FMT_DER) ==
	    0) {
		for (unsigned i = 0;; i++) {
			char oid[128];
			size_t size = sizeof(oid);

			if (gnutls_x509_crt_get_key_purpose_oid(
				    crt, i, oid, &size, NULL) < 0)
				break;
			any = true;
			if (strcmp(oid, OID_KP_CLIENT) == 0 ||
			    strcmp(oid, OID_KP_ANY) == 0)
				client = true;
		}
	}
	gnutls_x509_crt_deinit(crt);
	if (any && !client)
		tv_settings_warn(settings, NULL,
				 "the client certificate's key purposes "
				 "(EKU) lack clientAuth: servers that check "
				 "them will refuse it");
}

mtls_client *mtls_client_open(const tv_settings *settings, GError **error)
{
	g_autoptr(mtls_client) c = g_new0(mtls_client, 1);
	g_autoptr(GError) local = NULL;
	g_autofree char *module = NULL;
	int64_t interval = DEFAULT_CHECK_INTERVAL;
	const char *key = NULL;

	g_mutex_init(&c->lock);
	c->location = g_strdup(tv_settings_get_location(settings, NULL));
	if (!get_path_or_uri(settings, "certificate", &c->src.paths[WATCH_CERT],
			     &c->src.cert_uri, error) ||
	    !get_path_or_uri(settings, "key", &c->src.paths[WATCH_KEY],
			     &c->src.key_uri, error) ||
	    !get_path_or_uri(settings, "pkcs12", &c->src.paths[WATCH_PKCS12],
			     NULL, error) ||
	    !get_path_or_uri(settings, "password_file",
			     &c->src.paths[WATCH_PASSWORD], NULL, error) ||
	    !get_path_or_uri(settings, "pin_file", &c->src.paths[WATCH_PIN],
			     NULL, error) ||
	    !tv_settings_get_path(settings, "pkcs11_module", &module, error) ||
	    !tv_settings_get_int(settings, "check_interval", &interval, error))
		return NULL;
	if (interval < 0 || interval > MAX_CHECK_INTERVAL) {
		tv_settings_set_error(settings, "check_interval", error,
				      "%" G_GINT64_FORMAT
				      " is not a number of seconds in 0..%d",
				      (gint64)interval, MAX_CHECK_INTERVAL);
		return NULL;
	}
	c->check_interval = interval * G_USEC_PER_SEC;
	if (!check_combination(settings, &c->src, module != NULL, error))
		return NULL;
	if (module != NULL && !add_pkcs11_module(settings, module, error))
		return NULL;

	c->current = client_build(&c->src, c->loaded, &key, &local);
	if (c->current == NULL) {
		tv_settings_set_error(settings, key, error, "%s",
				      local->message);
		return NULL;
	}
	warn_key_purpose(settings, c->current);
	note_presented(c);
	c->next_check = g_get_monotonic_time() + c->check_interval;
	return g_steal_pointer(&c);
}

/* Rebuilds the credential when its files changed; called locked.  A bad
 * new state keeps the old credential and is reported once. */
static void client_maybe_reload(mtls_client *c)
{
	g_autoptr(GError) error = NULL;
	file_sig now[N_WATCH], built[N_WATCH];
	const char *key = NULL;
	const char *changed = "a file";
	tv_client_cert *fresh;

	for (int i = 0; i < N_WATCH; i++)
		sig_take(c->src.paths[i], &now[i]);
	if (sigs_equal(now, c->loaded) ||
	    (c->has_failed && sigs_equal(now, c->failed)))
		return;

	fresh = client_build(&c->src, built, &key, &error);
	if (fresh == NULL) {
		memcpy(c->failed, built, sizeof(built));
		c->has_failed = true;
		g_free(c->last_error);
		c->last_error =
			g_strdup_printf("key '%s': %s", key, error->message);
		g_warning("%s: %s; still presenting the previous client "
			  "certificate",
			  c->location, c->last_error);
		return;
	}
	for (int i = 0; i < N_WATCH; i++) {
		if (!sig_equal(&built[i], &c->loaded[i])) {
			changed = watch_keys[i];
			break;
		}
	}
	tv_client_cert_unref(c->current);
	c->current = fresh;
	memcpy(c->loaded, built, sizeof(built));
	c->has_failed = false;
	c->reloads++;
	note_presented(c);
	g_info("%s: reloaded the client certificate (%s changed)", c->location,
	       changed);
}

tv_client_cert *mtls_client_get(mtls_client *c)
{
	gint64 now = g_get_monotonic_time();
	tv_client_cert *cert;

	if (c == NULL)
		return NULL;
	g_mutex_lock(&c->lock);
	if (now >= c->next_check) {
		c->next_check = now + c->check_interval;
		client_maybe_reload(c);
	}
	cert = tv_client_cert_ref(c->current);
	g_mutex_unlock(&c->lock);
	return cert;
}
