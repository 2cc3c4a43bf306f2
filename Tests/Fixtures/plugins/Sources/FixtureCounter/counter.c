/*
 * fixture-counter: proves a valid plugin works end to end through the loader
 * (init with settings, handle, host state, produce, outcomes, shutdown).
 *
 * For each mission.started / mission.completed event (group counter-group):
 *  - if event_id equals setting "reject_id": DTE_REJECT "rejected by fixture";
 *  - if event_id equals setting "retry_id":  DTE_RETRY  "transient by fixture";
 *  - if event_id equals setting "attempts_id": DTE_RETRY "attempt <n>; <m> left", the host's
 *    attempt fields (read only when event->struct_size covers them);
 *  - if event_id equals setting "block_id":  never returns (a wedged handler);
 *  - if event_id equals setting "abort_id":  abort() (a handler that crashes the daemon);
 *    (neither touches state nor produces)
 *  - if event_id equals setting "flaky_id": DTE_RETRY "flaky by fixture" for its
 *    first "flaky_failures" (decimal text, default 2) calls in this process, then as below;
 *  - if event_id equals setting "slow_id": its first call sleeps "slow_ms"
 *    (default 300) before going on as below (a handler over its deadline);
 *  - otherwise increments state "seen/<event_id>" (skipped when the event has
 *    no id) and "total" (values are decimal text), then produces on setting
 *    "output_topic" (default "counter-events") with key = the event's key,
 *    value = the event id, header x-counter-total = the new total.
 * The produce happens before the state writes, so a failed produce leaves the
 * counters untouched and the host's retry counts the event once.
 * state_get is called with a deliberately small buffer, growing on
 * DTE_HOST_E_TOO_SMALL, so the host's size-reporting path is exercised.
 * check_settings refuses what init would refuse (a setting that is not a
 * plain string), without creating an instance.
 */
#include "devtrip_eventd_plugin.h"

/* The same source builds the transactional variant (tx_counter.c defines these first). */
#ifndef COUNTER_NAME
#define COUNTER_NAME "counter"
#define COUNTER_GROUP "counter-group"
#define COUNTER_FLAGS 0
#endif

#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct counter {
    const dte_host_api *host;
    void *ctx;
    pthread_mutex_t lock; /* handle runs on several threads; "total" is shared */
    char output_topic[250];
    char reject_id[256];
    char retry_id[256];
    char attempts_id[256];
    char block_id[256];
    char abort_id[256];
    char flaky_id[256];
    int flaky_failures;
    int flaky_calls;
    char slow_id[256];
    int slow_ms;
    int slow_calls;
};

/* Reads "<key>": "<string>" from the host's compact settings JSON.
 * Returns 1 when found, 0 when absent, -1 when not a plain string / too long. */
static int read_setting(const char *config, size_t len, const char *key, char *out, size_t cap) {
    char pattern[64];
    int plen = snprintf(pattern, sizeof pattern, "\"%s\"", key);
    const char *end = config + len;
    for (const char *p = config; p + plen <= end; p++) {
        if (memcmp(p, pattern, (size_t)plen) != 0) continue;
        const char *q = p + plen;
        while (q < end && *q == ' ') q++;
        if (q >= end || *q != ':') continue; /* a value that happens to equal the key */
        q++;
        while (q < end && *q == ' ') q++;
        if (q >= end || *q != '"') return -1;
        q++;
        size_t n = 0;
        while (q < end && *q != '"') {
            if (*q == '\\' || n + 1 >= cap) return -1;
            out[n++] = *q++;
        }
        if (q >= end) return -1;
        out[n] = '\0';
        return 1;
    }
    return 0;
}

/* Reads a decimal counter from state into *out (0 when missing).
 * Returns DTE_HOST_OK, or a host error / DTE_HOST_E_INVALID for a non-number. */
static int state_read_u64(struct counter *self, const char *key, uint64_t *out) {
    char small[4]; /* deliberately small: values past 3 digits take the grow path */
    char *buf = small;
    size_t cap = sizeof small, len = 0;
    int rc;
    for (;;) {
        rc = self->host->state_get(self->ctx, key, strlen(key), buf, cap, &len);
        if (rc != DTE_HOST_E_TOO_SMALL) break;
        if (buf != small) free(buf);
        cap = len ? len : 1;
        buf = malloc(cap);
        if (!buf) return DTE_HOST_E_FAILED;
    }
    if (rc == DTE_HOST_NOT_FOUND) {
        *out = 0;
        rc = DTE_HOST_OK;
    } else if (rc == DTE_HOST_OK) {
        uint64_t v = 0;
        if (len == 0 || len > 20) rc = DTE_HOST_E_INVALID;
        for (size_t i = 0; rc == DTE_HOST_OK && i < len; i++) {
            if (buf[i] < '0' || buf[i] > '9') rc = DTE_HOST_E_INVALID;
            else v = v * 10 + (uint64_t)(buf[i] - '0');
        }
        *out = v;
    }
    if (buf != small) free(buf);
    return rc;
}

/* Reads every setting into self. Returns the first bad key, or NULL. */
static const char *read_settings(struct counter *self, const char *config, size_t config_len) {
    strcpy(self->output_topic, "counter-events");
    if (read_setting(config, config_len, "output_topic", self->output_topic, sizeof self->output_topic) < 0 ||
        self->output_topic[0] == '\0') return "output_topic";
    if (read_setting(config, config_len, "reject_id", self->reject_id, sizeof self->reject_id) < 0) return "reject_id";
    if (read_setting(config, config_len, "retry_id", self->retry_id, sizeof self->retry_id) < 0) return "retry_id";
    if (read_setting(config, config_len, "attempts_id", self->attempts_id, sizeof self->attempts_id) < 0) return "attempts_id";
    if (read_setting(config, config_len, "block_id", self->block_id, sizeof self->block_id) < 0) return "block_id";
    if (read_setting(config, config_len, "abort_id", self->abort_id, sizeof self->abort_id) < 0) return "abort_id";
    if (read_setting(config, config_len, "flaky_id", self->flaky_id, sizeof self->flaky_id) < 0) return "flaky_id";
    char number[32] = "";
    int found = read_setting(config, config_len, "flaky_failures", number, sizeof number);
    if (found < 0) return "flaky_failures";
    self->flaky_failures = found ? atoi(number) : 2;
    if (read_setting(config, config_len, "slow_id", self->slow_id, sizeof self->slow_id) < 0) return "slow_id";
    found = read_setting(config, config_len, "slow_ms", number, sizeof number);
    if (found < 0) return "slow_ms";
    self->slow_ms = found ? atoi(number) : 300;
    return NULL;
}

static int refuse_setting(const char *bad, char *err, size_t err_cap) {
    snprintf(err, err_cap, "setting '%s' must be a non-empty string without escapes", bad);
    return -1;
}

/* check_settings: the same reading init does, into a scratch instance. */
static int counter_check_settings(const char *config, size_t config_len, char *err, size_t err_cap) {
    struct counter scratch;
    memset(&scratch, 0, sizeof scratch);
    const char *bad = read_settings(&scratch, config, config_len);
    return bad ? refuse_setting(bad, err, err_cap) : 0;
}

static int counter_init(const dte_host_api *host, void *ctx, const char *config, size_t config_len,
                        void **instance, char *err, size_t err_cap) {
    if (host->abi_major != DTE_ABI_MAJOR || host->struct_size < DTE_HOST_API_V1_SIZE) {
        snprintf(err, err_cap, "host ABI %u (size %u) is not v1", host->abi_major, host->struct_size);
        return -1;
    }
    struct counter *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    const char *bad = read_settings(self, config, config_len);
    if (bad) {
        free(self);
        return refuse_setting(bad, err, err_cap);
    }
    self->host = host;
    self->ctx = ctx;
    pthread_mutex_init(&self->lock, NULL);
    *instance = self;
    return 0;
}

static dte_outcome counter_handle(void *instance, const dte_event *event, char *err, size_t err_cap) {
    struct counter *self = instance;
    const char *id = event->event_id ? event->event_id : "";
    /* A wedged handler, for the watchdog test: never returns in practice. */
    if (self->block_id[0] && strcmp(id, self->block_id) == 0) {
        for (;;) sleep(3600);
    }
    /* A poison event, for the crash-quarantine test: takes the whole daemon down. */
    if (self->abort_id[0] && strcmp(id, self->abort_id) == 0) abort();
    if (self->reject_id[0] && strcmp(id, self->reject_id) == 0) {
        snprintf(err, err_cap, "rejected by fixture");
        return DTE_REJECT;
    }
    if (self->retry_id[0] && strcmp(id, self->retry_id) == 0) {
        snprintf(err, err_cap, "transient by fixture");
        return DTE_RETRY;
    }
    if (self->attempts_id[0] && strcmp(id, self->attempts_id) == 0) {
        if (event->struct_size >= offsetof(dte_event, attempts_left) + sizeof event->attempts_left)
            snprintf(err, err_cap, "attempt %u; %u left", event->attempt, event->attempts_left);
        else
            snprintf(err, err_cap, "attempt fields not filled by this host");
        return DTE_RETRY;
    }
    if (self->flaky_id[0] && strcmp(id, self->flaky_id) == 0) {
        pthread_mutex_lock(&self->lock);
        int call = ++self->flaky_calls;
        pthread_mutex_unlock(&self->lock);
        if (call <= self->flaky_failures) {
            snprintf(err, err_cap, "flaky by fixture (call %d of %d failing)", call, self->flaky_failures);
            return DTE_RETRY;
        }
    }
    if (self->slow_id[0] && strcmp(id, self->slow_id) == 0) {
        pthread_mutex_lock(&self->lock);
        int call = ++self->slow_calls;
        pthread_mutex_unlock(&self->lock);
        if (call == 1) usleep((useconds_t)self->slow_ms * 1000);
    }

    char seen_key[300];
    if (snprintf(seen_key, sizeof seen_key, "seen/%s", id) >= (int)sizeof seen_key) {
        snprintf(err, err_cap, "event id too long");
        return DTE_REJECT;
    }
    dte_outcome outcome = DTE_RETRY;
    pthread_mutex_lock(&self->lock);
    uint64_t seen = 0, total = 0;
    int rc = id[0] ? state_read_u64(self, seen_key, &seen) : DTE_HOST_OK;
    if (rc == DTE_HOST_OK) rc = state_read_u64(self, "total", &total);
    if (rc != DTE_HOST_OK) {
        snprintf(err, err_cap, "state read failed (%d)", rc);
        goto out;
    }
    char seen_txt[24], total_txt[24];
    int seen_len = snprintf(seen_txt, sizeof seen_txt, "%" PRIu64, seen + 1);
    int total_len = snprintf(total_txt, sizeof total_txt, "%" PRIu64, total + 1);

    dte_header header = {"x-counter-total", total_txt, (size_t)total_len};
    rc = self->host->produce(self->ctx, self->output_topic, event->key, event->key_len,
                             id, strlen(id), &header, 1);
    if (rc != DTE_HOST_OK) {
        snprintf(err, err_cap, "produce to %s failed (%d)", self->output_topic, rc);
        goto out;
    }
    if (id[0]) rc = self->host->state_put(self->ctx, seen_key, strlen(seen_key), seen_txt, (size_t)seen_len);
    if (rc == DTE_HOST_OK) rc = self->host->state_put(self->ctx, "total", 5, total_txt, (size_t)total_len);
    if (rc != DTE_HOST_OK) {
        snprintf(err, err_cap, "state write failed (%d)", rc);
        goto out;
    }
    outcome = DTE_OK;
out:
    pthread_mutex_unlock(&self->lock);
    return outcome;
}

static void counter_shutdown(void *instance) {
    struct counter *self = instance;
    if (!self) return;
    pthread_mutex_destroy(&self->lock);
    free(self);
}

static const dte_subscription subscriptions[] = {
    {"mission.started", COUNTER_GROUP},
    {"mission.completed", COUNTER_GROUP},
};

DTE_PLUGIN_DEFINE(.name = COUNTER_NAME, .version = "0.0.1", .flags = COUNTER_FLAGS, DTE_SUBSCRIPTIONS(subscriptions),
                  .init = counter_init, .handle = counter_handle, .shutdown = counter_shutdown,
                  .check_settings = counter_check_settings);
