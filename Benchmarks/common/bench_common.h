/* Shared helpers of the benchmark tools: clocks, CPU time, and the progress
 * page (a file whose first 8 bytes count events finished by the consumer side;
 * the producer reads it to stay a bounded number of events ahead, so the mock
 * cluster's 5 MiB-per-partition retention never drops unread events). */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static inline int64_t bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* user+system CPU of the whole process, microseconds */
static inline int64_t bench_cpu_us(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static inline long bench_maxrss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Maps the progress page (creating it); NULL on failure. */
static inline volatile uint64_t *bench_progress_map(const char *path) {
    if (!path || !*path) return NULL;
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0) { perror(path); return NULL; }
    if (ftruncate(fd, 4096) != 0) { perror("ftruncate"); close(fd); return NULL; }
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) { perror("mmap"); return NULL; }
    return (volatile uint64_t *)p;
}

/* Writes "text\n" to path atomically (tmp + rename). */
static inline void bench_write_file(const char *path, const char *text) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) { perror(tmp); return; }
    fprintf(f, "%s\n", text);
    fclose(f);
    rename(tmp, path);
}

#endif
