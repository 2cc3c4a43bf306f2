/*
 * fixture-no-entry: proves the loader refuses a shared library that does not
 * export the devtrip_eventd_plugin_v1 entry symbol. It dlopens fine and
 * exports one unrelated function, but nothing the host can call.
 */
#include "devtrip_eventd_plugin.h"

__attribute__((visibility("default"))) int devtrip_eventd_fixture_not_a_plugin(void) { return 42; }
