/*
 * my-plugin, in C: rewards every third completed mission of a user with a
 * `reward.granted` follow-up event, as the Swift template does. Transactional:
 * the user's counter, the follow-up and the event's idempotency-ledger entry
 * commit together, once per event id. It includes the ABI header and the
 * SDK's header-only event reader, nothing else:
 *
 *     cc -shared -fPIC -O2 -Wall -I<sdk>/Sources/CEventdPlugin/include my_plugin.c -o libmy-plugin.so
 *
 * Settings (JSON object from plugins.d/my-plugin.toml [settings]):
 *   "output_topic": string, default "my-plugin-events"
 *   "every": positive integer, default 3
 */
#include "devtrip_eventd_event.h"
#include "devtrip_eventd_plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PLUGIN_NAME "my-plugin"
#define PLUGIN_VERSION "1.0.0"
#define DEFAULT_EVERY 3
#define FOLLOW_UP_TYPE "reward.granted"

struct settings {
    char output_topic[250];
    long every;
};

struct plugin {
    const dte_host_api *host;
    void *ctx;
    struct settings settings;
};

/* Reads [settings]; returns 0, or -1 with the reason in err. */
static int read_settings(const char *config, size_t len, struct settings *out, char *err, size_t err_cap) {
    *out = (struct settings){.output_topic = "my-plugin-events", .every = DEFAULT_EVERY};
    long rc = dte_json_string_field(config, len, "output_topic", out->output_topic, sizeof out->output_topic);
    if ((rc < 0 && rc != DTE_JSON_ABSENT) || rc == 0) {
        snprintf(err, err_cap, "setting 'output_topic' must be a non-empty string");
        return -1;
    }
    const char *every;
    size_t every_len;
    if (dte_json_field(config, len, "every", &every, &every_len) == 0) {
        char digits[24] = {0}, *end;
        if (every_len < sizeof digits) memcpy(digits, every, every_len);
        out->every = strtol(digits, &end, 10);
        if (every_len == 0 || every_len >= sizeof digits || *end != '\0' || out->every <= 0) {
            snprintf(err, err_cap, "setting 'every' must be a positive integer");
            return -1;
        }
    }
    return 0;
}

static int plugin_check_settings(const char *config, size_t config_len, char *err, size_t err_cap) {
    struct settings settings;
    return read_settings(config, config_len, &settings, err, err_cap);
}

static int plugin_init(const dte_host_api *host, void *ctx, const char *config, size_t config_len,
                       void **instance, char *err, size_t err_cap) {
    struct plugin loaded = {.host = host, .ctx = ctx};
    if (read_settings(config, config_len, &loaded.settings, err, err_cap) != 0) return -1;
    struct plugin *self = malloc(sizeof *self);
    if (!self) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    *self = loaded;
    *instance = self;
    return 0;
}

/* Appends `text` as a JSON string (quoted, escaped) at out[*at]; returns -1 when it does not fit. */
static int put_json_string(char *out, size_t cap, size_t *at, const char *text) {
    size_t o = *at;
    if (o + 1 >= cap) return -1;
    out[o++] = '"';
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        char escaped[8] = {0};
        if (*c == '"' || *c == '\\') snprintf(escaped, sizeof escaped, "\\%c", *c);
        else if (*c < 0x20) snprintf(escaped, sizeof escaped, "\\u%04x", *c);
        else escaped[0] = (char)*c;
        size_t n = strlen(escaped);
        if (o + n + 1 >= cap) return -1;
        memcpy(out + o, escaped, n);
        o += n;
    }
    out[o++] = '"';
    *at = o;
    return 0;
}

/* Appends plain text (no escaping) at out[*at]; returns -1 when it does not fit. */
static int put_raw(char *out, size_t cap, size_t *at, const char *text) {
    size_t n = strlen(text);
    if (*at + n >= cap) return -1;
    memcpy(out + *at, text, n);
    *at += n;
    return 0;
}

static dte_outcome plugin_handle(void *instance, const dte_event *event, char *err, size_t err_cap) {
    struct plugin *self = instance;
    const dte_host_api *host = self->host;

    /* A payload that cannot be read never will be: reject (dead-lettered with the reason). */
    const char *payload;
    size_t payload_len;
    if (dte_event_payload(event, &payload, &payload_len) != 0) {
        snprintf(err, err_cap, "the event has no JSON payload");
        return DTE_REJECT;
    }
    char user[256], mission[256], correlation[256];
    if (dte_json_string_field(payload, payload_len, "userId", user, sizeof user) <= 0) {
        snprintf(err, err_cap, "field 'payload.userId' must be a non-empty string");
        return DTE_REJECT;
    }
    if (dte_json_string_field(payload, payload_len, "missionId", mission, sizeof mission) < 0) {
        snprintf(err, err_cap, "field 'payload.missionId' must be a string");
        return DTE_REJECT;
    }
    /* The chain's first event: the cause's correlation id (a CloudEvents
     * header, or an envelope field), else the cause itself. */
    const void *header;
    size_t header_len;
    snprintf(correlation, sizeof correlation, "%s", event->event_id);
    if (dte_event_header(event, "ce_type", &header, &header_len) == 0) {
        if (dte_event_header(event, "ce_correlationid", &header, &header_len) == 0 && header && header_len > 0
            && header_len < sizeof correlation) {
            memcpy(correlation, header, header_len);
            correlation[header_len] = '\0';
        }
    } else if (dte_json_string_field(event->value, event->value_len, "correlationId", correlation, sizeof correlation) <= 0) {
        snprintf(correlation, sizeof correlation, "%s", event->event_id);
    }

    /* The user's counter, in the host's store: it survives restarts and reloads. */
    char key[300], count_text[24] = {0};
    snprintf(key, sizeof key, "completed/%s", user);
    size_t count_len = 0;
    int rc = host->state_get(self->ctx, key, strlen(key), count_text, sizeof count_text - 1, &count_len);
    if (rc != DTE_HOST_OK && rc != DTE_HOST_NOT_FOUND) {
        snprintf(err, err_cap, "state_get failed (%d)", rc);
        return DTE_RETRY;
    }
    long count = (rc == DTE_HOST_OK ? strtol(count_text, NULL, 10) : 0) + 1;
    int n = snprintf(count_text, sizeof count_text, "%ld", count);
    if ((rc = host->state_put(self->ctx, key, strlen(key), count_text, (size_t)n)) != DTE_HOST_OK) {
        snprintf(err, err_cap, "state_put failed (%d)", rc);
        return DTE_RETRY;
    }
    if (count % self->settings.every != 0) return DTE_OK;

    /* The follow-up: its id derives from the event's, so a re-sent one keeps it. */
    char id[DTE_FOLLOW_UP_ID_SIZE], now[32], numbers[64], envelope[2048];
    dte_follow_up_id(event->event_id, PLUGIN_NAME, 0, id);
    time_t t = time(NULL);
    struct tm utc;
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &utc));
    snprintf(numbers, sizeof numbers, ",\"completedMissions\":%ld,\"every\":%ld}}", count, self->settings.every);
    size_t at = 0;
    int fits = put_raw(envelope, sizeof envelope, &at, "{\"causationId\":") | put_json_string(envelope, sizeof envelope, &at, event->event_id)
        | put_raw(envelope, sizeof envelope, &at, ",\"correlationId\":") | put_json_string(envelope, sizeof envelope, &at, correlation)
        | put_raw(envelope, sizeof envelope, &at, ",\"eventId\":\"") | put_raw(envelope, sizeof envelope, &at, id)
        | put_raw(envelope, sizeof envelope, &at, "\",\"eventType\":\"" FOLLOW_UP_TYPE "\",\"occurredAt\":\"")
        | put_raw(envelope, sizeof envelope, &at, now)
        | put_raw(envelope, sizeof envelope, &at, "\",\"source\":\"" PLUGIN_NAME "\",\"subject\":") | put_json_string(envelope, sizeof envelope, &at, user)
        | put_raw(envelope, sizeof envelope, &at, ",\"payload\":{\"userId\":") | put_json_string(envelope, sizeof envelope, &at, user)
        | put_raw(envelope, sizeof envelope, &at, ",\"missionId\":") | put_json_string(envelope, sizeof envelope, &at, mission)
        | put_raw(envelope, sizeof envelope, &at, numbers);
    if (fits != 0) {
        snprintf(err, err_cap, "follow-up of %s does not fit %zu bytes", event->event_id, sizeof envelope);
        return DTE_REJECT;
    }
    rc = host->produce(self->ctx, self->settings.output_topic, user, strlen(user), envelope, at, NULL, 0);
    if (rc != DTE_HOST_OK) {
        /* For a transactional plugin this is the outbox write: transient. */
        snprintf(err, err_cap, "produce to %s failed (%d)", self->settings.output_topic, rc);
        return DTE_RETRY;
    }
    return DTE_OK;
}

static void plugin_shutdown(void *instance) { free(instance); }

static const dte_subscription subscriptions[] = {
    {"mission.completed", "my-plugin-group"},
};

DTE_PLUGIN_DEFINE(.name = PLUGIN_NAME, .version = PLUGIN_VERSION, .flags = DTE_PLUGIN_TRANSACTIONAL,
                  DTE_SUBSCRIPTIONS(subscriptions), .init = plugin_init, .handle = plugin_handle,
                  .shutdown = plugin_shutdown, .check_settings = plugin_check_settings);
