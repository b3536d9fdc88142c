# SPDX-License-Identifier: LGPL-2.1-or-later
# Fuzz targets of the discovery plugin (included by fuzz/local.mk, same
# pattern): its parsers and its update pipeline, built from the plugin's
# sources into each target, so discovery.so exports nothing more.

fuzz_disc_targets = \
	fuzz/fuzz-jwks \
	fuzz/fuzz-consul-roots \
	fuzz/fuzz-etcd \
	fuzz/fuzz-pipeline
check_PROGRAMS += $(fuzz_disc_targets)
# make fuzz-smoke runs them too (its rule, read before this file, lists
# the others as prerequisites).
fuzz_targets += $(fuzz_disc_targets)
fuzz-smoke: $(fuzz_disc_targets)

fuzz_disc_cppflags = $(fuzz_cppflags) -I$(top_srcdir)/plugins/discovery \
	$(JSON_GLIB_CFLAGS)
fuzz_disc_libs = $(fuzz_libs) $(JSON_GLIB_LIBS)
# The strict JSON loader every discovery parser goes through, and the
# pipeline's parse result (dsc_parsed, in bundle.c).
fuzz_disc_json = plugins/discovery/remote-json.c \
	plugins/discovery/remote-json.h
fuzz_disc_parsed = plugins/discovery/bundle.c

fuzz_fuzz_jwks_SOURCES = fuzz/fuzz-jwks.c fuzz/fuzz-util.h \
	plugins/discovery/jwks.c plugins/discovery/spiffe-id.c \
	$(fuzz_disc_json) $(fuzz_disc_parsed) $(fuzz_main)
fuzz_fuzz_jwks_CPPFLAGS = $(fuzz_disc_cppflags)
fuzz_fuzz_jwks_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_jwks_LDADD = $(fuzz_disc_libs)

fuzz_fuzz_consul_roots_SOURCES = fuzz/fuzz-consul-roots.c fuzz/fuzz-util.h \
	plugins/discovery/consul-roots.c plugins/discovery/spiffe-id.c \
	$(fuzz_disc_json) $(fuzz_disc_parsed) $(fuzz_main)
fuzz_fuzz_consul_roots_CPPFLAGS = $(fuzz_disc_cppflags)
fuzz_fuzz_consul_roots_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_consul_roots_LDADD = $(fuzz_disc_libs)

fuzz_fuzz_etcd_SOURCES = fuzz/fuzz-etcd.c fuzz/fuzz-util.h \
	plugins/discovery/etcd-parse.c plugins/discovery/etcd-parse.h \
	$(fuzz_disc_json) $(fuzz_main)
fuzz_fuzz_etcd_CPPFLAGS = $(fuzz_disc_cppflags)
fuzz_fuzz_etcd_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_etcd_LDADD = $(fuzz_disc_libs)

# The pipeline reaches every format, and sources.c lists every source:
# the whole plugin but its entry point (discovery.c).
fuzz_fuzz_pipeline_SOURCES = fuzz/fuzz-pipeline.c fuzz/fuzz-util.h \
	plugins/discovery/pipeline.c plugins/discovery/bundle.c \
	plugins/discovery/cache-file.c plugins/discovery/sources.c \
	plugins/discovery/http.c plugins/discovery/etcd.c \
	plugins/discovery/etcd-parse.c plugins/discovery/file.c \
	plugins/discovery/spiffe.c plugins/discovery/consul.c \
	plugins/discovery/spiffe-id.c plugins/discovery/jwks.c \
	plugins/discovery/consul-roots.c $(fuzz_disc_json) $(fuzz_main)
fuzz_fuzz_pipeline_CPPFLAGS = $(fuzz_disc_cppflags) $(CURL_CFLAGS)
fuzz_fuzz_pipeline_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_pipeline_LDADD = $(fuzz_disc_libs) $(CURL_LIBS)

EXTRA_DIST += fuzz/gen-corpus-discovery.sh
