/* The plugin ABI is header-only; this file holds the compile-time checks that
 * today's structs still begin with exactly their ABI v1 layout, so that a
 * field moved or inserted (rather than appended) fails every build that
 * includes the SDK — the host's and every plugin's. */
#include "devtrip_eventd_plugin.h"

#define DTE_V1_END(type, last) (offsetof(type, last) + sizeof(((type *)0)->last))

_Static_assert(sizeof(void *) == 8, "the v1 sizes are those of LP64 (64-bit Linux)");
_Static_assert(DTE_V1_END(dte_plugin, shutdown) == DTE_PLUGIN_V1_SIZE, "dte_plugin v1 layout changed");
_Static_assert(DTE_V1_END(dte_host_api, state_delete) == DTE_HOST_API_V1_SIZE, "dte_host_api v1 layout changed");
_Static_assert(DTE_V1_END(dte_event, consumer_group) == DTE_EVENT_V1_SIZE, "dte_event v1 layout changed");
_Static_assert(sizeof(dte_plugin) >= DTE_PLUGIN_V1_SIZE, "dte_plugin shrank below v1");
_Static_assert(sizeof(dte_host_api) >= DTE_HOST_API_V1_SIZE, "dte_host_api shrank below v1");
_Static_assert(sizeof(dte_event) >= DTE_EVENT_V1_SIZE, "dte_event shrank below v1");
_Static_assert(offsetof(dte_plugin, abi_major) == 0 && offsetof(dte_plugin, struct_size) == 4,
               "the version words lead the registration struct");
_Static_assert(offsetof(dte_plugin, check_settings) == DTE_PLUGIN_V1_SIZE, "check_settings is the first field after v1");
_Static_assert(offsetof(dte_event, attempt) == DTE_EVENT_V1_SIZE, "attempt is the first event field after v1");
_Static_assert(offsetof(dte_host_api, log_enabled) == DTE_HOST_API_V1_SIZE, "log_enabled is the first host field after v1");
