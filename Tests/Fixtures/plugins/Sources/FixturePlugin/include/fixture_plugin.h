/*
 * What the loader fixtures share: a plugin instance that is nothing, a handler
 * that accepts every event, and a settings check that refuses everything.
 * Each fixture is then its subscriptions and one DTE_PLUGIN_DEFINE (or, for
 * the malformed ones, a hand-written registration and DTE_PLUGIN_EXPORT).
 */
#ifndef FIXTURE_PLUGIN_H
#define FIXTURE_PLUGIN_H
#include "devtrip_eventd_plugin.h"

/* Succeeds with a NULL instance. */
int fixture_init(const dte_host_api *host, void *ctx, const char *config, size_t config_len,
                 void **instance, char *err, size_t err_cap);
/* Returns DTE_OK. */
dte_outcome fixture_handle(void *instance, const dte_event *event, char *err, size_t err_cap);
/* Does nothing. */
void fixture_shutdown(void *instance);
/* Refuses any settings with "refused by fixture". */
int fixture_refuse_settings(const char *config, size_t config_len, char *err, size_t err_cap);

/* The three v1 entry points of a fixture that only has to load. */
#define FIXTURE_ENTRY_POINTS .init = fixture_init, .handle = fixture_handle, .shutdown = fixture_shutdown

#endif
