/*
 * fixture-claim-b: with fixture-claim-a, proves exclusive claims conflict.
 * Valid plugin "claim-b" claiming (user.registered, claim-group) with flags 0
 * (not sharing): loading both must refuse whichever comes second.
 */
#include "fixture_plugin.h"

static const dte_subscription subscriptions[] = {{"user.registered", "claim-group"}};
DTE_PLUGIN_DEFINE(.name = "claim-b", .version = "0.0.1", DTE_SUBSCRIPTIONS(subscriptions), FIXTURE_ENTRY_POINTS);
