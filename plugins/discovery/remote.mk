# SPDX-License-Identifier: LGPL-2.1-or-later
# SPIFFE bundle endpoint and Consul CA roots sources of the discovery plugin.
