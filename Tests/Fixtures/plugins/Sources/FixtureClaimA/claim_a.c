/*
 * fixture-claim-a: with fixture-claim-b, proves exclusive claims conflict.
 * Valid plugin "claim-a" claiming (user.registered, claim-group) with flags 0
 * (not sharing): loading both must refuse whichever comes second.
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

static const dte_subscription subscriptions[] = {{"user.registered", "claim-group"}};

static const dte_plugin plugin = {
    .abi_major = DTE_ABI_MAJOR,
    .struct_size = sizeof(dte_plugin),
    .name = "claim-a",
    .version = "0.0.1",
    .flags = 0,
    .subscriptions = subscriptions,
    .subscription_count = 1,
    .init = fx_init,
    .handle = fx_handle,
    .shutdown = fx_shutdown,
};

__attribute__((visibility("default"))) const dte_plugin *devtrip_eventd_plugin_v1(void) { return &plugin; }
