/*
 * fixture-init-fail: proves the loader refuses (and reports) a plugin whose
 * init fails. The struct is valid; init writes "database unreachable: fixture"
 * into err and returns -1, so the loader must surface that reason, never call
 * handle or shutdown, and not keep the plugin.
 */
#include "devtrip_eventd_plugin.h"

#include <stdio.h>

static int fx_init(const dte_host_api *host, void *ctx, const char *config, size_t config_len,
                   void **instance, char *err, size_t err_cap) {
    (void)host; (void)ctx; (void)config; (void)config_len;
    *instance = 0;
    snprintf(err, err_cap, "database unreachable: fixture");
    return -1;
}
static dte_outcome fx_handle(void *instance, const dte_event *event, char *err, size_t err_cap) {
    (void)instance; (void)event; (void)err; (void)err_cap;
    return DTE_OK;
}
static void fx_shutdown(void *instance) { (void)instance; }

static const dte_subscription subscriptions[] = {{"mission.started", "init-fail-group"}};

static const dte_plugin plugin = {
    .abi_major = DTE_ABI_MAJOR,
    .struct_size = sizeof(dte_plugin),
    .name = "init-fail",
    .version = "0.0.1",
    .flags = 0,
    .subscriptions = subscriptions,
    .subscription_count = 1,
    .init = fx_init,
    .handle = fx_handle,
    .shutdown = fx_shutdown,
};

__attribute__((visibility("default"))) const dte_plugin *devtrip_eventd_plugin_v1(void) { return &plugin; }
