/*
 * tx-counter: the counter fixture built with DTE_PLUGIN_TRANSACTIONAL, for the
 * delivery-guarantee tests: its state writes, its follow-up and the event's
 * ledger entry commit together, so every state effect happens exactly once
 * however often the event is delivered.
 */
#define COUNTER_NAME "tx-counter"
#define COUNTER_GROUP "tx-counter-group"
#define COUNTER_FLAGS DTE_PLUGIN_TRANSACTIONAL
#include "../FixtureCounter/counter.c"
