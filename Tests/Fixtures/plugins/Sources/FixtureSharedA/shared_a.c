/*
 * fixture-shared-a: with fixture-shared-b, proves shared claims coexist.
 * Valid plugin "shared-a" claiming (user.login, shared-group) with
 * DTE_PLUGIN_SHARED_CLAIMS: both plugins must load.
 */
#include "fixture_plugin.h"

static const dte_subscription subscriptions[] = {{"user.login", "shared-group"}};
DTE_PLUGIN_DEFINE(.name = "shared-a", .version = "0.0.1", .flags = DTE_PLUGIN_SHARED_CLAIMS,
                  DTE_SUBSCRIPTIONS(subscriptions), FIXTURE_ENTRY_POINTS);
