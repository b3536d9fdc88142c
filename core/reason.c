/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Stable reason names and the mapping from GnuTLS verification status. */
#include "tlsverify/plugin.h"

#include <string.h>

/* Index = bit number; the names are API (JSON output, metric labels). */
static const char *const reason_names[TV_REASON_COUNT] = {
	"expired",
	"not-yet-valid",
	"untrusted",
	"signer-not-ca",
	"revoked",
	"insecure-algorithm",
	"bad-signature",
	"name-mismatch",
	"purpose-mismatch",
	"pin-mismatch",
	"chain-too-long",
	"constraint-violation",
	"source-unavailable",
	"no-decision",
	"malformed",
};

const char *tv_reason_to_string(uint32_t reason)
{
	if (reason == 0 || (reason & (reason - 1)) != 0)
		return NULL;
	for (unsigned i = 0; i < TV_REASON_COUNT; i++)
		if (reason == (1u << i))
			return reason_names[i];
	return NULL;
}

uint32_t tv_reason_from_string(const char *name)
{
	g_return_val_if_fail(name != NULL, 0);
	for (unsigned i = 0; i < TV_REASON_COUNT; i++)
		if (strcmp(name, reason_names[i]) == 0)
			return 1u << i;
	return 0;
}

uint32_t tv_reasons_from_gnutls_status(unsigned status)
{
	static const struct {
		unsigned gnutls;
		uint32_t reason;
	} map[] = {
		{GNUTLS_CERT_REVOKED, TV_REASON_REVOKED},
		{GNUTLS_CERT_SIGNER_NOT_FOUND, TV_REASON_UNTRUSTED},
		{GNUTLS_CERT_SIGNER_NOT_CA, TV_REASON_SIGNER_NOT_CA},
		{GNUTLS_CERT_INSECURE_ALGORITHM, TV_REASON_INSECURE_ALGORITHM},
		{GNUTLS_CERT_NOT_ACTIVATED, TV_REASON_NOT_YET_VALID},
		{GNUTLS_CERT_EXPIRED, TV_REASON_EXPIRED},
		{GNUTLS_CERT_SIGNATURE_FAILURE, TV_REASON_BAD_SIGNATURE},
		/* Stale or future revocation data: the status is unknown. */
		{GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED, TV_REASON_REVOKED},
		{GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE,
		 TV_REASON_REVOKED},
		{GNUTLS_CERT_UNEXPECTED_OWNER, TV_REASON_NAME_MISMATCH},
		{GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE,
		 TV_REASON_CONSTRAINT_VIOLATION},
		{GNUTLS_CERT_PURPOSE_MISMATCH, TV_REASON_PURPOSE_MISMATCH},
		{GNUTLS_CERT_MISMATCH, TV_REASON_PIN_MISMATCH},
		{GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS, TV_REASON_MALFORMED},
	};
	uint32_t reasons = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
		if (status & map[i].gnutls)
			reasons |= map[i].reason;
	/* Any failure we could not name is still a failure. */
	if (reasons == 0 && status != 0)
		reasons = TV_REASON_UNTRUSTED;
	return reasons;
}
