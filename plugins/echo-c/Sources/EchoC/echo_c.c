/*
 * echo-c: the ABI proven language-neutral. Subscribes to one event name and
 * republishes each such event on an output topic, value and key unchanged,
 * adding headers that name the plugin and its version.
 *
 * Settings (JSON object from plugins.d/echo-c.toml [settings]):
 *   "output_topic": string, default "echo-events"
 */
#include "echo_c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ECHO_C_NAME "echo-c"
#define ECHO_C_VERSION "1.0.0"

struct echo_c {
    const dte_host_api *host;
    void *ctx;
    char output_topic[250];
};

/* Reads "output_topic":"..." from the settings JSON. The host hands a
 * compact object it serialised itself, so a scan for the key suffices. */
static int read_output_topic(const char *config, size_t len, char *out, size_t cap) {
    const char *key = "\"output_topic\"";
    const char *end = config + len;
    const char *p = config;
    size_t key_len = strlen(key);
    for (; p + key_len <= end; p++) {
        if (memcmp(p, key, key_len) == 0) break;
    }
    if (p + key_len > end) return 0;
    p += key_len;
    while (p < end && (*p == ' ' || *p == ':')) p++;
    if (p >= end || *p != '"') return -1;
    p++;
    size_t n = 0;
    while (p < end && *p != '"') {
        if (*p == '\\' || n + 1 >= cap) return -1;
        out[n++] = *p++;
    }
    if (p >= end || n == 0) return -1;
    out[n] = '\0';
    return 1;
}

static int refuse_output_topic(char *err, size_t err_cap) {
    snprintf(err, err_cap, "setting 'output_topic' must be a non-empty string without escapes");
    return -1;
}

/* check_settings: what init would refuse, without an instance. */
static int echo_check_settings(const char *config, size_t config_len, char *err, size_t err_cap) {
    char topic[250];
    return read_output_topic(config, config_len, topic, sizeof topic) < 0 ? refuse_output_topic(err, err_cap) : 0;
}

static int echo_init(const dte_host_api *host, void *ctx, const char *config, size_t config_len,
                     void **instance, char *err, size_t err_cap) {
    struct echo_c echo = {.host = host, .ctx = ctx, .output_topic = "echo-events"};
    if (read_output_topic(config, config_len, echo.output_topic, sizeof echo.output_topic) < 0) {
        return refuse_output_topic(err, err_cap);
    }
    struct echo_c *self = malloc(sizeof *self);
    if (!self) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    *self = echo;
    *instance = self;
    return 0;
}

static dte_outcome echo_handle(void *instance, const dte_event *event, char *err, size_t err_cap) {
    struct echo_c *self = instance;
    if (strcmp(event->topic, self->output_topic) == 0) return DTE_OK;

    size_t n = event->header_count;
    dte_header *headers = malloc((n + 2) * sizeof *headers);
    if (!headers) {
        snprintf(err, err_cap, "out of memory");
        return DTE_RETRY;
    }
    if (n) memcpy(headers, event->headers, n * sizeof *headers);
    headers[n] = (dte_header){"x-echo-plugin", ECHO_C_NAME, strlen(ECHO_C_NAME)};
    headers[n + 1] = (dte_header){"x-echo-plugin-version", ECHO_C_VERSION, strlen(ECHO_C_VERSION)};

    int rc = self->host->produce(self->ctx, self->output_topic, event->key, event->key_len,
                                 event->value, event->value_len, headers, n + 2);
    free(headers);
    if (rc != DTE_HOST_OK) {
        snprintf(err, err_cap, "produce to %s failed (%d)", self->output_topic, rc);
        return DTE_RETRY;
    }
    return DTE_OK;
}

static void echo_shutdown(void *instance) { free(instance); }

static const dte_subscription subscriptions[] = {
    {"mission.completed", "echo-c-group"},
};

DTE_PLUGIN_DEFINE(.name = ECHO_C_NAME, .version = ECHO_C_VERSION, DTE_SUBSCRIPTIONS(subscriptions),
                  .init = echo_init, .handle = echo_handle, .shutdown = echo_shutdown,
                  .check_settings = echo_check_settings);
