# SPDX-License-Identifier: LGPL-2.1-or-later
# Integration scripts: the built CLI and real plugins against the generated
# PKI (TV_FIXTURES) and policies written on the fly.  Environment from
# AM_TESTS_ENVIRONMENT in tests/local.mk.
integration_tests = \
	tests/integration/test-cli-verify.sh \
	tests/integration/test-cli-config.sh \
	tests/integration/test-cli-usage.sh \
	tests/integration/test-cli-json.sh \
	tests/integration/test-cli-served.sh \
	tests/integration/test-pin.sh \
	tests/integration/test-probe.sh
TESTS += $(integration_tests)
EXTRA_DIST += $(integration_tests) tests/integration/lib.sh \
	tests/integration/tls-server.sh
# `tlsverify connect`, examples/https-get and a SoftHSM2 token against
# openssl s_server (client PKI from tests/unit/glue.mk).
integration_tests += tests/integration/test-connect.sh
# The installed tree alone: staged `make install`, the out-of-tree
# examples (examples/kit.mk) built with pkg-config; and the man pages.
integration_tests += tests/integration/test-installed.sh \
	tests/integration/test-manpages.sh
