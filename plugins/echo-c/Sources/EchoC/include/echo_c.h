/* echo-c: republishes one event name on an output topic. */
#ifndef ECHO_C_H
#define ECHO_C_H
#include "devtrip_eventd_plugin.h"
const dte_plugin *devtrip_eventd_plugin_v1(void);
#endif
