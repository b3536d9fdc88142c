/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PKI of the chain seeds: written by fuzz/gen-corpus.sh. */
#ifndef TV_FUZZ_CHAIN_ANCHOR_H
#define TV_FUZZ_CHAIN_ANCHOR_H

/* The root (its key was deleted when the seeds were made). */
static const char fuzz_chain_root_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBLDCB36ADAgECAgEBMAUGAytlcDAeMRwwGgYDVQQDExN0bHN2ZXJpZnkgZnV6\n"
	"eiByb290MB4XDTIwMDEwMTAwMDAwMFoXDTQwMDEwMTAwMDAwMFowHjEcMBoGA1UE\n"
	"AxMTdGxzdmVyaWZ5IGZ1enogcm9vdDAqMAUGAytlcAMhABPRYNVHIXujVj7RN61e\n"
	"oFkVhEKwLJAPSEG5ijGmYpeDo0IwQDAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB\n"
	"/wQEAwICBDAdBgNVHQ4EFgQU62/EFbOgfPeWfzyizwwYglf/2FEwBQYDK2VwA0EA\n"
	"2BJMykUL+c1f3bNK45qjbWsWw0dM4g388gOCLfk4A7r/AvmAyRIkJ4ZijzxDdu5D\n"
	"3V7kLy58Sopvu7E/f9kKCA==\n"
	"-----END CERTIFICATE-----\n";

/* SHA-256 of the DER of the one leaf valid for fuzz.example. */
static const char fuzz_chain_leaf_sha256[] =
	"f96006244f3a6e5f584d313295f4c4fc73599e3ca6711807fb267bfc9c9b9c01";

#endif
