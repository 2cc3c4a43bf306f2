/* The shared no-op entry points (see fixture_plugin.h); hidden, so each
 * fixture's .so exports nothing but its entry symbol. */
#include "fixture_plugin.h"

#include <stdio.h>

__attribute__((visibility("hidden")))
int fixture_init(const dte_host_api *host, void *ctx, const char *config, size_t config_len,
                 void **instance, char *err, size_t err_cap) {
    (void)host; (void)ctx; (void)config; (void)config_len; (void)err; (void)err_cap;
    *instance = 0;
    return 0;
}

__attribute__((visibility("hidden")))
dte_outcome fixture_handle(void *instance, const dte_event *event, char *err, size_t err_cap) {
    (void)instance; (void)event; (void)err; (void)err_cap;
    return DTE_OK;
}

__attribute__((visibility("hidden")))
void fixture_shutdown(void *instance) { (void)instance; }

__attribute__((visibility("hidden")))
int fixture_refuse_settings(const char *config, size_t config_len, char *err, size_t err_cap) {
    (void)config; (void)config_len;
    snprintf(err, err_cap, "refused by fixture");
    return -1;
}
