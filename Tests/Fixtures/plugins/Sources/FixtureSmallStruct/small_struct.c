/*
 * fixture-small-struct: proves the loader refuses a plugin struct smaller
 * than the v1 layout. abi_major is correct (1) but struct_size = 8, i.e. the
 * plugin claims to know only the two version words; the loader must not read
 * any field past them.
 */
#include "fixture_plugin.h"

static const dte_subscription subscriptions[] = {{"mission.started", "small-struct-group"}};
static const dte_plugin registration = {.abi_major = DTE_ABI_MAJOR, .struct_size = 8, .name = "small-struct",
                                        .version = "0.0.1", DTE_SUBSCRIPTIONS(subscriptions), FIXTURE_ENTRY_POINTS};
DTE_PLUGIN_EXPORT(registration);
