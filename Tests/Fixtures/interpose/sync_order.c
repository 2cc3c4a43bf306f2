/*
 * LD_PRELOAD interposer for the durability-order tests: logs, in the order
 * they happen, every SQLite COMMIT the process issues (sqlite3_exec, with the
 * database's path), every file sync it completes (fsync/fdatasync, with the
 * file's path), every PostgreSQL batch commit (the store's flush statement,
 * found by its text when libpq prepares it: "pgsend" before PQexecPrepared
 * runs it, "pgdone" once it returned, durable then) and every offset store it
 * asks librdkafka for (rd_kafka_offsets_store, with topic, partition and
 * offset), one line each, to the file named by $SYNC_ORDER_LOG. A commit is
 * logged before SQLite runs it, a sync after it returned (the data is on disk
 * then), a store before it is handed to librdkafka.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int log_fd(void) {
    static int fd = -2;
    if (fd == -2) {
        const char *path = getenv("SYNC_ORDER_LOG");
        fd = path ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
    }
    return fd;
}

/* One write per line: O_APPEND keeps lines of different threads whole and in order. */
static void log_line(const char *line, size_t length) {
    int fd = log_fd();
    if (fd >= 0) (void)!write(fd, line, length);
}

static void log_sync(int fd) {
    char link[64], path[512], line[600];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    path[n > 0 ? n : 0] = 0;
    int length = snprintf(line, sizeof line, "sync %s\n", path);
    log_line(line, (size_t)length);
}

/* The real sync, then the log line once it returned successfully. */
static int logged_sync(const char *name, int fd) {
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, name);
    int rc = real(fd);
    if (rc == 0) log_sync(fd);
    return rc;
}

int fsync(int fd) { return logged_sync("fsync", fd); }
int fdatasync(int fd) { return logged_sync("fdatasync", fd); }

typedef struct sqlite3 sqlite3;
typedef int (*exec_callback)(void *, int, char **, char **);

int sqlite3_exec(sqlite3 *db, const char *sql, exec_callback callback, void *argument, char **error) {
    static int (*real)(sqlite3 *, const char *, exec_callback, void *, char **);
    static const char *(*filename)(sqlite3 *, const char *);
    if (!real) {
        real = (int (*)(sqlite3 *, const char *, exec_callback, void *, char **))dlsym(RTLD_NEXT, "sqlite3_exec");
        filename = (const char *(*)(sqlite3 *, const char *))dlsym(RTLD_DEFAULT, "sqlite3_db_filename");
    }
    if (sql && strcmp(sql, "COMMIT") == 0) {
        char line[600];
        const char *path = filename ? filename(db, "main") : NULL;
        int length = snprintf(line, sizeof line, "commit %s\n", path ? path : "?");
        log_line(line, (size_t)length);
    }
    return real(db, sql, callback, argument, error);
}

rd_kafka_resp_err_t rd_kafka_offsets_store(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *offsets) {
    static rd_kafka_resp_err_t (*real)(rd_kafka_t *, rd_kafka_topic_partition_list_t *);
    if (!real) real = (rd_kafka_resp_err_t (*)(rd_kafka_t *, rd_kafka_topic_partition_list_t *))dlsym(RTLD_NEXT, "rd_kafka_offsets_store");
    char line[8192];
    int length = snprintf(line, sizeof line, "store");
    for (int i = 0; i < offsets->cnt && length < (int)sizeof line - 300; i++) {
        const rd_kafka_topic_partition_t *p = &offsets->elems[i];
        length += snprintf(line + length, sizeof line - (size_t)length, " %s/%d@%lld", p->topic, (int)p->partition, (long long)p->offset);
    }
    line[length++] = '\n';
    log_line(line, (size_t)length);
    return real(rk, offsets);
}

/* libpq, declared here (the fixture needs no libpq headers). The store prepares its flush statement
 * once per session; the (connection, name) pairs that are one are remembered. */
typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

static pthread_mutex_t flush_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { const PGconn *conn; char name[32]; } flushes[256];
static int flush_count;

static int is_flush(const PGconn *conn, const char *name) {
    int found = 0;
    pthread_mutex_lock(&flush_lock);
    for (int i = 0; i < flush_count && !found; i++) found = flushes[i].conn == conn && strcmp(flushes[i].name, name) == 0;
    pthread_mutex_unlock(&flush_lock);
    return found;
}

PGresult *PQprepare(PGconn *conn, const char *name, const char *query, int count, const unsigned int *types) {
    static PGresult *(*real)(PGconn *, const char *, const char *, int, const unsigned int *);
    if (!real) real = (PGresult * (*)(PGconn *, const char *, const char *, int, const unsigned int *))dlsym(RTLD_NEXT, "PQprepare");
    PGresult *result = real(conn, name, query, count, types);
    if (query && name && strstr(query, "WITH counted AS") && strlen(name) < sizeof flushes[0].name) {
        pthread_mutex_lock(&flush_lock);
        if (flush_count < 256) {
            flushes[flush_count].conn = conn;
            strcpy(flushes[flush_count].name, name);
            flush_count++;
        }
        pthread_mutex_unlock(&flush_lock);
    }
    return result;
}

PGresult *PQexecPrepared(PGconn *conn, const char *name, int count, const char *const *values, const int *lengths,
                         const int *formats, int format) {
    static PGresult *(*real)(PGconn *, const char *, int, const char *const *, const int *, const int *, int);
    if (!real) real = (PGresult * (*)(PGconn *, const char *, int, const char *const *, const int *, const int *, int))dlsym(RTLD_NEXT, "PQexecPrepared");
    int flush = name && is_flush(conn, name);
    if (flush) log_line("pgsend\n", 7);
    PGresult *result = real(conn, name, count, values, lengths, formats, format);
    if (flush) log_line("pgdone\n", 7);
    return result;
}
