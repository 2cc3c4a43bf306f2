/*
 * fixture-dup-name: proves the loader refuses a second plugin with a name
 * already loaded. It is a valid plugin named "echo", the same name as the
 * real echo plugin, with its own harmless claim (mission.started, fixture-group)
 * so that only the name can cause the refusal.
 */
#include "fixture_plugin.h"

static const dte_subscription subscriptions[] = {{"mission.started", "fixture-group"}};
DTE_PLUGIN_DEFINE(.name = "echo", .version = "0.0.1", DTE_SUBSCRIPTIONS(subscriptions), FIXTURE_ENTRY_POINTS);
