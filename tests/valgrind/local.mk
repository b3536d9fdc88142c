# SPDX-License-Identifier: LGPL-2.1-or-later
# make check-valgrind: the CUnit programs under memcheck.  Any error, and
# any definite or indirect leak, fails the program (--error-exitcode);
# tests/valgrind/tlsverify.supp names the one-time allocations of glib and
# GnuTLS that are not leaks.  Not part of make check: it takes minutes.

VALGRIND = valgrind
VALGRIND_FLAGS = -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
	--show-leak-kinds=definite,indirect --error-exitcode=1 \
	--num-callers=30 --track-origins=yes \
	--suppressions=$(abs_top_srcdir)/tests/valgrind/tlsverify.supp
# The programs are libtool wrappers: run valgrind on the real binary.
VALGRIND_LOG_COMPILER = $(LIBTOOL) --mode=execute $(VALGRIND) $(VALGRIND_FLAGS)
VALGRIND_TESTS = $(core_unit_tests) $(plugin_unit_tests) \
	tests/unit/test-plugin-mtls tests/unit/test-glue $(adversarial_unit_tests)

# G_SLICE=always-malloc lets memcheck see glib's allocations one by one.
check-valgrind:
	$(AM_V_GEN)G_SLICE=always-malloc \
	$(MAKE) $(AM_MAKEFLAGS) check TESTS="$(VALGRIND_TESTS)" \
		LOG_COMPILER="$(VALGRIND_LOG_COMPILER)"
.PHONY: check-valgrind
EXTRA_DIST += tests/valgrind/tlsverify.supp
