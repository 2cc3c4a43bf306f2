/*
 * fixture-v1-size: proves a plugin built when dte_plugin ended at ABI v1
 * still loads now that the struct has grown (check_settings was appended).
 * Its struct_size is DTE_PLUGIN_V1_SIZE, smaller than today's
 * sizeof(dte_plugin); and the bytes past v1 hold a check_settings that
 * refuses everything, which the host must not see: a v1 plugin never wrote
 * them. So it loads, and its settings are never refused.
 */
#include "fixture_plugin.h"

static const dte_subscription subscriptions[] = {{"mission.started", "v1-size-group"}};
static const dte_plugin registration = {.abi_major = DTE_ABI_MAJOR, .struct_size = DTE_PLUGIN_V1_SIZE, .name = "v1-size",
                                        .version = "0.0.1", DTE_SUBSCRIPTIONS(subscriptions), FIXTURE_ENTRY_POINTS,
                                        .check_settings = fixture_refuse_settings};
DTE_PLUGIN_EXPORT(registration);
