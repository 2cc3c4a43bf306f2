/*
 * devtrip_eventd_plugin.h — the whole plugin ABI of devtrip-eventd, version 1.
 *
 * A plugin is a shared object exporting one function, DTE_ENTRY_SYMBOL, that
 * returns a pointer to a static `dte_plugin`. The daemon checks `abi_major`
 * and `struct_size`, calls `init` with a table of host functions, then calls
 * `handle` for every event routed to the plugin, and `shutdown` before it lets
 * the instance go. Nothing but the types in this header crosses the boundary.
 * A C plugin declares itself with DTE_PLUGIN_DEFINE (at the end of this file).
 * devtrip_eventd_event.h (beside this header, not part of the ABI) reads the
 * payload and its top-level string fields and makes the deterministic
 * follow-up ids the Swift SDK makes.
 *
 * Compatibility rules:
 *  - `abi_major` changes only when a field changes meaning or moves. The entry
 *    symbol's name carries the major (devtrip_eventd_plugin_v<major>), so a
 *    plugin built for another major does not even resolve; the host looks
 *    for the other majors' symbols to say which ABI the plugin was built for.
 *  - Fields are only ever appended. `struct_size` tells the reader how much of
 *    a struct the writer knew about: the host refuses a plugin struct smaller
 *    than its v1 size (DTE_PLUGIN_V1_SIZE), reads only the fields the plugin's
 *    `struct_size` covers (a later field it does not cover counts as NULL/0)
 *    and ignores bytes past what it knows; a plugin must check
 *    `host->struct_size` before touching a host field added after v1
 *    (DTE_HOST_API_V1_SIZE), and `event->struct_size` before an event field
 *    added after v1 (DTE_EVENT_V1_SIZE). The v1 sizes are written down once,
 *    here, and never change; abi.c asserts that the structs still start with
 *    exactly the v1 layout.
 *  - All strings are NUL-terminated UTF-8 unless a length is given beside them.
 *  - Pointers handed to `handle` are valid only for the duration of the call.
 *
 * Threading: `handle` is called for different partitions from different
 * threads at once; events of one partition arrive in order on one thread at a
 * time. Host functions may be called from any thread, including from within
 * `init` and `handle`.
 */
#ifndef DEVTRIP_EVENTD_PLUGIN_H
#define DEVTRIP_EVENTD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DTE_ABI_MAJOR 1u
/* The entry symbol is this prefix followed by the major in decimal. */
#define DTE_ENTRY_SYMBOL_PREFIX "devtrip_eventd_plugin_v"
#define DTE_ENTRY_SYMBOL "devtrip_eventd_plugin_v1"
#define DTE_ENTRY_FUNCTION devtrip_eventd_plugin_v1

/* Sizes of the structs as ABI v1 defined them (LP64: 64-bit Linux), frozen:
 * fields appended later make the structs larger, never these numbers. */
#define DTE_PLUGIN_V1_SIZE 72u
#define DTE_HOST_API_V1_SIZE 48u
#define DTE_EVENT_V1_SIZE 112u

/* Outcome of handling one event. */
typedef enum dte_outcome {
    DTE_OK = 0,      /* handled; the offset may be committed */
    DTE_RETRY = 1,   /* transient failure; the host retries later */
    DTE_REJECT = 2   /* permanent failure; the host dead-letters the event */
} dte_outcome;

/* Log levels for `dte_host_api.log`. */
typedef enum dte_log_level {
    DTE_LOG_DEBUG = 0,
    DTE_LOG_INFO = 1,
    DTE_LOG_WARNING = 2,
    DTE_LOG_ERROR = 3
} dte_log_level;

/* Plugin flags. */
#define DTE_PLUGIN_SHARED_CLAIMS 0x1u /* other plugins may claim the same (event, group) */
/* The plugin has side effects that must happen once per event: the host runs
 * each `handle` in a local transaction in which the plugin's state writes,
 * the events it produces (a transactional outbox) and the idempotency-ledger
 * entry of the event commit together, or not at all when it returns
 * DTE_RETRY or DTE_REJECT; an event id already in the ledger of the consumer
 * group is skipped without calling `handle`. Produced events leave the
 * outbox through the host's idempotent producer after the commit. */
#define DTE_PLUGIN_TRANSACTIONAL 0x2u

/* Return codes of host functions. Each function below lists the ones it
 * returns; a plugin should treat any other negative value as
 * DTE_HOST_E_FAILED (later hosts may add codes). */
#define DTE_HOST_OK 0
#define DTE_HOST_NOT_FOUND 1       /* no value under that key */
#define DTE_HOST_E_TOO_SMALL (-1)  /* buffer too small; *value_len holds the size needed */
#define DTE_HOST_E_INVALID (-2)    /* bad arguments (NULL where a pointer is required, ...) */
#define DTE_HOST_E_FAILED (-3)     /* the operation failed; the daemon logged why */

/* A Kafka record header. `value` may be NULL (a null header). */
typedef struct dte_header {
    const char *name;
    const void *value;
    size_t value_len;
} dte_header;

/* A structured log field. */
typedef struct dte_field {
    const char *name;
    const char *value;
} dte_field;

/* One (event name, consumer group) claim. `event_name` "*" subscribes to
 * every event on the topics the plugin's configuration binds it to. */
typedef struct dte_subscription {
    const char *event_name;
    const char *consumer_group;
} dte_subscription;

/* One event handed to `handle`. The host fills `struct_size` with its own
 * sizeof(dte_event), at least DTE_EVENT_V1_SIZE. */
typedef struct dte_event {
    uint32_t struct_size;
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms;          /* record timestamp, -1 if none */
    const void *key;               /* NULL for a null key */
    size_t key_len;
    /* The record's value as it was published, NULL for a tombstone. In
     * CloudEvents binary mode (the record has a `ce_type` header; `ce_id`,
     * `ce_time`, ... carry the envelope) it is the bare payload; otherwise it
     * is the whole JSON envelope {eventId, eventType, occurredAt, ...,
     * payload}. devtrip_eventd_event.h's dte_event_payload finds the payload
     * in both forms. */
    const void *value;
    size_t value_len;
    const dte_header *headers;
    size_t header_count;
    const char *event_name;        /* canonical name, aliases resolved */
    const char *event_id;          /* ce_id or the envelope's eventId; "" when the record carries none */
    const char *consumer_group;
    /* Appended after v1 (read only when `struct_size` covers them; a host that
     * does not fill them means attempt 1 with no attempt left). */
    uint32_t attempt;              /* this call's attempt at this event, 1, 2, ...: counted over
                                    * the in-memory retries and the retry tiers */
    uint32_t attempts_left;        /* attempts the host still makes if this call returns
                                    * DTE_RETRY (its retry policy); 0: a DTE_RETRY now
                                    * dead-letters the event */
} dte_event;

/* Functions the host offers the plugin. `ctx` is the value handed to
 * `init` as `host_ctx`; it stays valid until `shutdown` returns. The host
 * fills `struct_size` with its own sizeof(dte_host_api), at least
 * DTE_HOST_API_V1_SIZE. */
typedef struct dte_host_api {
    uint32_t abi_major;
    uint32_t struct_size;

    /* Structured log line; fields may be NULL when field_count is 0. A call
     * without a message, or a field without a name or value, is dropped
     * silently (at most 64 fields are kept). Returns nothing. */
    void (*log)(void *ctx, dte_log_level level, const char *message,
                const dte_field *fields, size_t field_count);

    /* Queue an event on the host's shared producer. When called from inside
     * `handle`, the source event is committed only after this event is
     * acknowledged by the broker; for a DTE_PLUGIN_TRANSACTIONAL plugin it is
     * written to the plugin's outbox in the handling transaction instead.
     * key and value may be NULL (a null key, a tombstone).
     * Returns DTE_HOST_OK once queued (or written to the outbox);
     * DTE_HOST_E_INVALID for a NULL or empty topic, headers NULL with a
     * nonzero header_count, or a header without a name; DTE_HOST_E_FAILED
     * when the producer or the outbox refused it (the plugin should return
     * DTE_RETRY). */
    int (*produce)(void *ctx, const char *topic,
                   const void *key, size_t key_len,
                   const void *value, size_t value_len,
                   const dte_header *headers, size_t header_count);

    /* The plugin's persistent key-value store (survives restarts and
     * reloads); keys and values are byte strings.
     *
     * state_get copies the value into buf when it fits and always sets
     * *value_len. Returns DTE_HOST_OK (value copied, *value_len bytes);
     * DTE_HOST_NOT_FOUND for a missing key (*value_len = 0);
     * DTE_HOST_E_TOO_SMALL when buf_cap < *value_len (nothing copied: call
     * again with a buffer of *value_len bytes); DTE_HOST_E_INVALID for a NULL
     * key or value_len, or a NULL buf for a non-empty value that would fit;
     * DTE_HOST_E_FAILED when the store failed. */
    int (*state_get)(void *ctx, const void *key, size_t key_len,
                     void *buf, size_t buf_cap, size_t *value_len);
    /* Inserts or replaces. Returns DTE_HOST_OK; DTE_HOST_E_INVALID for a NULL
     * key, or a NULL value with a nonzero value_len; DTE_HOST_E_FAILED when
     * the store failed. */
    int (*state_put)(void *ctx, const void *key, size_t key_len,
                     const void *value, size_t value_len);
    /* Returns DTE_HOST_OK when a value was deleted; DTE_HOST_NOT_FOUND when
     * there was none; DTE_HOST_E_INVALID for a NULL key; DTE_HOST_E_FAILED
     * when the store failed. */
    int (*state_delete)(void *ctx, const void *key, size_t key_len);

    /* Appended after v1 (call it only when `struct_size` covers it): 1 when a
     * `log` call at `level` would be kept (the daemon's log level), else 0,
     * so that a plugin builds a line's fields only for a line that is kept.
     * The answer can change (a reload may change the level). A plugin whose
     * host lacks it logs as if it returned 1. */
    int (*log_enabled)(void *ctx, dte_log_level level);
} dte_host_api;

/* The registration struct a plugin exports. */
typedef struct dte_plugin {
    uint32_t abi_major;            /* DTE_ABI_MAJOR */
    uint32_t struct_size;          /* sizeof(dte_plugin) as the plugin knew it */
    const char *name;              /* unique, [a-z0-9._-]+ */
    const char *version;
    uint32_t flags;                /* DTE_PLUGIN_* */
    const dte_subscription *subscriptions;
    size_t subscription_count;

    /* Create an instance. `config` is the plugin's `[settings]` table as a
     * JSON object (never NULL; "{}" when empty). Store the instance in
     * *instance. Return 0 on success; any other value refuses the load:
     * write a NUL-terminated reason of at most err_cap bytes into err (the
     * host shows it to the admin), and release whatever was allocated —
     * neither `handle` nor `shutdown` is called for a failed init. */
    int (*init)(const dte_host_api *host, void *host_ctx,
                const char *config, size_t config_len,
                void **instance, char *err, size_t err_cap);

    /* Handle one event. On DTE_RETRY or DTE_REJECT, write a reason into err. */
    dte_outcome (*handle)(void *instance, const dte_event *event,
                          char *err, size_t err_cap);

    /* Release the instance. No `handle` call is running or will follow. */
    void (*shutdown)(void *instance);

    /* ---- end of ABI v1 (DTE_PLUGIN_V1_SIZE); fields below are optional ---- */

    /* Judge `[settings]` (the same JSON `init` would get) without creating an
     * instance or calling the host: `devtrip-eventd --check-config` calls it
     * for every plugin it finds, so an admin hears of a bad setting before
     * the daemon starts. Return 0 when `init` would accept the settings;
     * any other value refuses them, with a NUL-terminated reason of at most
     * err_cap bytes in err. NULL (or a struct_size that does not cover it):
     * no settings check. */
    int (*check_settings)(const char *config, size_t config_len,
                          char *err, size_t err_cap);
} dte_plugin;

/* The one symbol a plugin exports. */
typedef const dte_plugin *(*dte_entry_fn)(void);

#ifndef __cplusplus
#define DTE_STATIC_ASSERT _Static_assert
#define DTE_EXTERN_C
#else
#define DTE_STATIC_ASSERT static_assert
#define DTE_EXTERN_C extern "C"
#endif

/* `.subscriptions` and `.subscription_count` from one array. */
#define DTE_SUBSCRIPTIONS(array) \
    .subscriptions = (array), .subscription_count = sizeof(array) / sizeof((array)[0])

/* Exports `registration` (a `dte_plugin`) as the plugin's entry symbol. */
#define DTE_PLUGIN_EXPORT(registration)                                          \
    DTE_EXTERN_C __attribute__((visibility("default"))) const dte_plugin *DTE_ENTRY_FUNCTION(void); \
    __attribute__((visibility("default"))) const dte_plugin *DTE_ENTRY_FUNCTION(void) { \
        return &(registration);                                                  \
    }                                                                            \
    DTE_STATIC_ASSERT(sizeof(dte_plugin) >= DTE_PLUGIN_V1_SIZE, "dte_plugin is smaller than ABI v1")

/* Declares a plugin in one statement: its registration struct, with
 * `abi_major` and `struct_size` filled in, and the entry symbol. The
 * arguments are the other fields, by name:
 *
 *     static const dte_subscription subscriptions[] = {{"mission.completed", "echo-c-group"}};
 *     DTE_PLUGIN_DEFINE(.name = "echo-c", .version = "1.0.0", DTE_SUBSCRIPTIONS(subscriptions),
 *                       .init = echo_init, .handle = echo_handle, .shutdown = echo_shutdown);
 *
 * Fields not named (flags, check_settings) are 0 / NULL. */
#define DTE_PLUGIN_DEFINE(...)                                                   \
    static const dte_plugin dte_plugin_registration = {                          \
        .abi_major = DTE_ABI_MAJOR, .struct_size = sizeof(dte_plugin), __VA_ARGS__ \
    };                                                                           \
    DTE_PLUGIN_EXPORT(dte_plugin_registration)

#ifdef __cplusplus
}
#endif

#endif /* DEVTRIP_EVENTD_PLUGIN_H */
