/*
 * fixture-abi-two: proves the loader names the ABI a plugin was built for
 * when the plugin was built against another major's header. Such a plugin
 * exports that major's entry symbol, devtrip_eventd_plugin_v2, and not the
 * v1 one: the loader must say "built for plugin ABI 2", not "no entry symbol".
 */
#include "fixture_plugin.h"

static const dte_subscription subscriptions[] = {{"mission.started", "abi-two-group"}};
static const dte_plugin registration = {.abi_major = 2, .struct_size = sizeof(dte_plugin), .name = "abi-two",
                                        .version = "0.0.1", DTE_SUBSCRIPTIONS(subscriptions), FIXTURE_ENTRY_POINTS};

__attribute__((visibility("default"))) const dte_plugin *devtrip_eventd_plugin_v2(void);
__attribute__((visibility("default"))) const dte_plugin *devtrip_eventd_plugin_v2(void) { return &registration; }
