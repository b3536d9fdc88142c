# SPDX-License-Identifier: LGPL-2.1-or-later
# discovery: trust anchors from etcd, SPIFFE bundle endpoints, Consul, files.
# The framework (plugin, pipeline, HTTP client, etcd, file) is listed here;
# the SPIFFE and Consul sources append themselves in remote.mk.
include plugins/discovery/remote.mk
