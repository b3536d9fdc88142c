# SPDX-License-Identifier: LGPL-2.1-or-later
dist_conf_DATA += conf.d/00-defaults.conf conf.d/10-ai-providers.conf
EXTRA_DIST += conf.d/examples/50-internal.conf.example
EXTRA_DIST += conf.d/examples/60-pinning.conf.example
EXTRA_DIST += conf.d/examples/70-mtls.conf.example
EXTRA_DIST += conf.d/examples/80-discovery.conf.example
