# SPDX-License-Identifier: LGPL-2.1-or-later
# The plugin author's kit: out-of-tree examples built with pkg-config only
# (their own Makefiles, never by automake), against an installed tlsverify.
# tests/integration/test-installed.sh builds and runs them after a staged
# `make install`.
EXTRA_DIST += \
	examples/plugin-denylist/Makefile \
	examples/plugin-denylist/README.md \
	examples/plugin-denylist/denylist.c \
	examples/embed-service/Makefile \
	examples/embed-service/README.md \
	examples/embed-service/embed-service.c
