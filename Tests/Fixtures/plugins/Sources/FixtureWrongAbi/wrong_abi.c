/*
 * fixture-wrong-abi: proves the loader refuses a plugin whose abi_major
 * differs from the host's. The struct is otherwise valid and found under the
 * v1 entry symbol, so the refusal can only come from the ABI check
 * (abi_major = 99).
 */
#include "fixture_plugin.h"

static const dte_subscription subscriptions[] = {{"mission.started", "wrong-abi-group"}};
static const dte_plugin registration = {.abi_major = 99, .struct_size = sizeof(dte_plugin), .name = "wrong-abi",
                                        .version = "0.0.1", DTE_SUBSCRIPTIONS(subscriptions), FIXTURE_ENTRY_POINTS};
DTE_PLUGIN_EXPORT(registration);
