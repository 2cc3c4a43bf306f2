/* The plugin ABI is header-only; this file gives SwiftPM a source to build. */
#include "devtrip_eventd_plugin.h"
