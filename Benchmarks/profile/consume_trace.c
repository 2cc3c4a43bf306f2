/* consume_trace.so: an LD_PRELOAD shim for finding where a consumer loop's
 * wall time goes without touching its code. It wraps
 * rd_kafka_consume_batch_queue and records, per call: entry time, time spent
 * inside (waiting for records), records returned. At exit it writes
 *   enter_ns  wait_us  records
 * lines to $CONSUME_TRACE (the gap between one call's return and the next
 * call's entry is the loop's processing time for that batch).
 *
 *   cc -O2 -shared -fPIC -o consume_trace.so consume_trace.c -ldl
 *   CONSUME_TRACE=/tmp/trace.txt LD_PRELOAD=$PWD/consume_trace.so devtrip-eventd ...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>

#define MAX_CALLS 2000000
struct call { int64_t enter_ns; int32_t wait_us; int32_t records; };
static struct call *calls;
static long ncalls;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

typedef ssize_t (*batch_fn)(void *, int, void **, size_t);

ssize_t rd_kafka_consume_batch_queue(void *rkqu, int timeout_ms, void **msgs, size_t size) {
    static batch_fn real;
    if (!real) real = (batch_fn)dlsym(RTLD_NEXT, "rd_kafka_consume_batch_queue");
    if (!calls) calls = calloc(MAX_CALLS, sizeof *calls);
    int64_t t0 = now_ns();
    ssize_t n = real(rkqu, timeout_ms, msgs, size);
    int64_t t1 = now_ns();
    if (n > 0 && ncalls < MAX_CALLS) calls[ncalls++] = (struct call){t0, (int32_t)((t1 - t0) / 1000), (int32_t)n};
    return n;
}

__attribute__((destructor)) static void dump(void) {
    const char *path = getenv("CONSUME_TRACE");
    if (!path || !calls) return;
    FILE *f = fopen(path, "w");
    if (!f) return;
    for (long i = 0; i < ncalls; i++) fprintf(f, "%lld %d %d\n", (long long)calls[i].enter_ns, calls[i].wait_us, calls[i].records);
    fclose(f);
}
