# SPDX-License-Identifier: LGPL-2.1-or-later
# Manual pages, written directly in man(7) roff: tlsverify(1),
# tlsverify.conf(5), tlsverify-plugin(7).  Checked by
# tests/integration/test-manpages.sh.
dist_man_MANS = \
	docs/tlsverify.1 \
	docs/tlsverify.conf.5 \
	docs/tlsverify-plugin.7
