/*
 * noop: a benchmark plugin that accepts every event ("*" in group
 * bench-group) and only counts it, so a run measures the daemon's own cost.
 *
 * Settings (JSON from plugins.d/noop.toml [settings]), all optional:
 *   "expect":        events to count before writing done_file
 *   "done_file":     gets CLOCK_REALTIME ns of the expect-th event
 *   "first_file":    gets CLOCK_REALTIME ns of the first event
 *   "progress_file": a 4 KiB page whose first 8 bytes hold the running count
 *                    (the benchmark producer paces itself on it)
 * The count is one relaxed atomic add per event (handle runs on several
 * threads at once); that is all the per-event work this plugin does.
 */
#define _GNU_SOURCE
#include "noop.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct noop {
    uint64_t *count;          /* in the progress page, or in `local` */
    uint64_t local;
    uint64_t expect;
    char done_file[1024];
    char first_file[1024];
};

/* "key":<number> or "key":"<string>" from the compact JSON the host hands us. */
static const char *find_value(const char *config, size_t len, const char *key) {
    char quoted[128];
    int n = snprintf(quoted, sizeof quoted, "\"%s\"", key);
    const char *p = memmem(config, len, quoted, (size_t)n);
    if (!p) return NULL;
    p += n;
    while (p < config + len && (*p == ' ' || *p == ':')) p++;
    return p < config + len ? p : NULL;
}

static int read_string(const char *config, size_t len, const char *key, char *out, size_t cap) {
    const char *p = find_value(config, len, key);
    if (!p) return 0;
    if (*p != '"') return -1;
    p++;
    size_t n = 0;
    while (p < config + len && *p != '"' && n + 1 < cap) out[n++] = *p++;
    out[n] = 0;
    return 1;
}

static void write_ns(const char *path) {
    if (!path[0]) return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    fprintf(f, "%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    fclose(f);
    rename(tmp, path);
}

static int noop_init(const dte_host_api *host, void *ctx, const char *config, size_t config_len,
                     void **instance, char *err, size_t err_cap) {
    (void)ctx;
    if (host->abi_major != DTE_ABI_MAJOR) {
        snprintf(err, err_cap, "host ABI %u, plugin needs %u", host->abi_major, DTE_ABI_MAJOR);
        return -1;
    }
    struct noop *self = calloc(1, sizeof *self);
    if (!self) { snprintf(err, err_cap, "out of memory"); return -1; }
    self->count = &self->local;
    const char *expect = find_value(config, config_len, "expect");
    if (expect) self->expect = strtoull(expect, NULL, 10);
    read_string(config, config_len, "done_file", self->done_file, sizeof self->done_file);
    read_string(config, config_len, "first_file", self->first_file, sizeof self->first_file);
    char progress[1024] = "";
    if (read_string(config, config_len, "progress_file", progress, sizeof progress) == 1) {
        int fd = open(progress, O_RDWR | O_CREAT, 0644);
        if (fd < 0 || ftruncate(fd, 4096) != 0) {
            snprintf(err, err_cap, "cannot open progress_file %s", progress);
            if (fd >= 0) close(fd);
            free(self);
            return -1;
        }
        void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        if (page == MAP_FAILED) { snprintf(err, err_cap, "cannot map progress_file"); free(self); return -1; }
        self->count = page;
    }
    *instance = self;
    return 0;
}

static dte_outcome noop_handle(void *instance, const dte_event *event, char *err, size_t err_cap) {
    (void)event; (void)err; (void)err_cap;
    struct noop *self = instance;
    uint64_t n = __atomic_add_fetch(self->count, 1, __ATOMIC_RELAXED);
    if (__builtin_expect(n == 1, 0)) write_ns(self->first_file);
    if (__builtin_expect(n == self->expect, 0)) write_ns(self->done_file);
    return DTE_OK;
}

static void noop_shutdown(void *instance) {
    struct noop *self = instance;
    if (self->count != &self->local) munmap(self->count, 4096);
    free(self);
}

static const dte_subscription subscriptions[] = {
    {"*", "bench-group"},
};

DTE_PLUGIN_DEFINE(.name = "noop", .version = "1.0.0", DTE_SUBSCRIPTIONS(subscriptions),
                  .init = noop_init, .handle = noop_handle, .shutdown = noop_shutdown);
