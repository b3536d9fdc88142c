# SPDX-License-Identifier: LGPL-2.1-or-later
# SPIFFE bundle endpoint and Consul CA roots sources of the discovery plugin.
plugins_discovery_discovery_la_SOURCES += \
	plugins/discovery/remote-sources.h \
	plugins/discovery/spiffe.c plugins/discovery/consul.c \
	plugins/discovery/remote-json.c plugins/discovery/remote-json.h \
	plugins/discovery/spiffe-id.c plugins/discovery/spiffe-id.h \
	plugins/discovery/jwks.c plugins/discovery/jwks.h \
	plugins/discovery/consul-roots.c plugins/discovery/consul-roots.h
# Their settings, behaviour and how they are tested (no Consul server
# package exists on Debian: an in-tree agent double stands in).
EXTRA_DIST += docs/discovery-remote.md
