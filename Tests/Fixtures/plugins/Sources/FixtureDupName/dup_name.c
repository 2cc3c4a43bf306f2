/*
 * fixture-dup-name: proves the loader refuses a second plugin with a name
 * already loaded. It is a valid plugin named "echo", the same name as the
 * real echo plugin, with its own harmless claim (mission.started, fixture-group)
 * so that only the name can cause the refusal.
 */
#include "devtrip_eventd_plugin.h"

static int fx_init(const dte_host_api *host, void *ctx, const char *config, size_t config_len,
                   void **instance, char *err, size_t err_cap) {
    (void)host; (void)ctx; (void)config; (void)config_len; (void)err; (void)err_cap;
    *instance = 0;
    return 0;
}
static dte_outcome fx_handle(void *instance, const dte_event *event, char *err, size_t err_cap) {
    (void)instance; (void)event; (void)err; (void)err_cap;
    return DTE_OK;
}
static void fx_shutdown(void *instance) { (void)instance; }

static const dte_subscription subscriptions[] = {{"mission.started", "fixture-group"}};

static const dte_plugin plugin = {
    .abi_major = DTE_ABI_MAJOR,
    .struct_size = sizeof(dte_plugin),
    .name = "echo",
    .version = "0.0.1",
    .flags = 0,
    .subscriptions = subscriptions,
    .subscription_count = 1,
    .init = fx_init,
    .handle = fx_handle,
    .shutdown = fx_shutdown,
};

__attribute__((visibility("default"))) const dte_plugin *devtrip_eventd_plugin_v1(void) { return &plugin; }
