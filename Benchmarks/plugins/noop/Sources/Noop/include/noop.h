/* noop: the benchmark's do-nothing plugin. */
#ifndef BENCH_NOOP_H
#define BENCH_NOOP_H
#include "devtrip_eventd_plugin.h"
const dte_plugin *devtrip_eventd_plugin_v1(void);
#endif
