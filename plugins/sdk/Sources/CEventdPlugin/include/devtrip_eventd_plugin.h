/*
 * devtrip_eventd_plugin.h — the whole plugin ABI of devtrip-eventd, version 1.
 *
 * A plugin is a shared object exporting one function, DTE_ENTRY_SYMBOL, that
 * returns a pointer to a static `dte_plugin`. The daemon checks `abi_major`
 * and `struct_size`, calls `init` with a table of host functions, then calls
 * `handle` for every event routed to the plugin, and `shutdown` before it lets
 * the instance go. Nothing but the types in this header crosses the boundary.
 *
 * Compatibility rules:
 *  - `abi_major` changes only when a field changes meaning or moves. The host
 *    refuses a plugin whose major differs from its own.
 *  - Fields are only ever appended. `struct_size` tells the reader how much of
 *    a struct the writer knew about: the host refuses a plugin struct smaller
 *    than the v1 layout and ignores bytes past what it knows; a plugin must
 *    check `host->struct_size` before touching a host field added after v1.
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
#define DTE_ENTRY_SYMBOL "devtrip_eventd_plugin_v1"

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

/* Return codes of host functions. */
#define DTE_HOST_OK 0
#define DTE_HOST_NOT_FOUND 1
#define DTE_HOST_E_TOO_SMALL (-1)  /* buffer too small; *value_len holds the size needed */
#define DTE_HOST_E_INVALID (-2)    /* bad arguments */
#define DTE_HOST_E_FAILED (-3)     /* the operation failed; see the daemon's log */

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

/* One event handed to `handle`. */
typedef struct dte_event {
    uint32_t struct_size;
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms;          /* record timestamp, -1 if none */
    const void *key;               /* NULL for a null key */
    size_t key_len;
    const void *value;             /* NULL for a tombstone */
    size_t value_len;
    const dte_header *headers;
    size_t header_count;
    const char *event_name;        /* canonical name, aliases resolved */
    const char *event_id;          /* "" when the record carries none */
    const char *consumer_group;
} dte_event;

/* Functions the host offers the plugin. `ctx` is the value handed to
 * `init` as `host_ctx`; it stays valid until `shutdown` returns. */
typedef struct dte_host_api {
    uint32_t abi_major;
    uint32_t struct_size;

    /* Structured log line; fields may be NULL when field_count is 0. */
    void (*log)(void *ctx, dte_log_level level, const char *message,
                const dte_field *fields, size_t field_count);

    /* Queue an event on the host's shared producer. When called from inside
     * `handle`, the source event is committed only after this event is
     * acknowledged by the broker. Returns DTE_HOST_OK once queued. */
    int (*produce)(void *ctx, const char *topic,
                   const void *key, size_t key_len,
                   const void *value, size_t value_len,
                   const dte_header *headers, size_t header_count);

    /* The plugin's persistent key-value store (survives restarts and
     * reloads). state_get copies the value into buf when it fits and always
     * sets *value_len; it returns DTE_HOST_NOT_FOUND for a missing key. */
    int (*state_get)(void *ctx, const void *key, size_t key_len,
                     void *buf, size_t buf_cap, size_t *value_len);
    int (*state_put)(void *ctx, const void *key, size_t key_len,
                     const void *value, size_t value_len);
    int (*state_delete)(void *ctx, const void *key, size_t key_len);
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
     * *instance. Return 0 on success; otherwise write a reason into err. */
    int (*init)(const dte_host_api *host, void *host_ctx,
                const char *config, size_t config_len,
                void **instance, char *err, size_t err_cap);

    /* Handle one event. On DTE_RETRY or DTE_REJECT, write a reason into err. */
    dte_outcome (*handle)(void *instance, const dte_event *event,
                          char *err, size_t err_cap);

    /* Release the instance. No `handle` call is running or will follow. */
    void (*shutdown)(void *instance);
} dte_plugin;

/* The one symbol a plugin exports. */
typedef const dte_plugin *(*dte_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* DEVTRIP_EVENTD_PLUGIN_H */
