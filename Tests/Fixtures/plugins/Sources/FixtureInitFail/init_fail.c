/*
 * fixture-init-fail: proves the loader refuses (and reports) a plugin whose
 * init fails. The struct is valid; init writes "database unreachable: fixture"
 * into err and returns -1, so the loader must surface that reason, never call
 * handle or shutdown, and not keep the plugin.
 */
#include "fixture_plugin.h"

#include <stdio.h>

static int failing_init(const dte_host_api *host, void *ctx, const char *config, size_t config_len,
                        void **instance, char *err, size_t err_cap) {
    (void)host; (void)ctx; (void)config; (void)config_len;
    *instance = 0;
    snprintf(err, err_cap, "database unreachable: fixture");
    return -1;
}

static const dte_subscription subscriptions[] = {{"mission.started", "init-fail-group"}};
DTE_PLUGIN_DEFINE(.name = "init-fail", .version = "0.0.1", DTE_SUBSCRIPTIONS(subscriptions),
                  .init = failing_init, .handle = fixture_handle, .shutdown = fixture_shutdown);
