/* baseline: the bare C librdkafka loop the daemon is measured against.
 *
 *   baseline --mode scan    consume in batches of 1000 (rd_kafka_consume_batch_queue)
 *                           and scan each value for "eventType" and "eventId"
 *   baseline --mode produce the same, and produce each event (key, value, the
 *                           record's headers + 3 echo headers) to --out-topic with
 *                           the daemon's producer settings (idempotent, acks=all,
 *                           linger.ms=5); waits for every delivery at the end
 *                           (--wait-per-batch: after every batch, as the daemon does)
 *   baseline --mode sqlite  the scan, and per event an upsert of the key's row and
 *                           an outbox insert into SQLite --db (WAL, synchronous=FULL),
 *                           one transaction per batch (one fsync), the batch's offsets
 *                           stored only after its commit (the daemon's design, its floor)
 *
 * The consumer uses the daemon's shipped [kafka.consumer] properties (plus any
 * --set key=value) and joins a group (as the daemon does). Prints "ASSIGNED" once partitions are assigned,
 * then, after --count events, one result line:
 *   events=N first_ns=T last_ns=T cpu_us=C maxrss_kb=K bad=B
 * cpu_us is getrusage(RUSAGE_SELF) from assignment to the end (produce mode:
 * after the final flush), last_ns likewise. */
#include "../common/bench_common.h"
#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <sqlite3.h>

static int64_t cpu_at_assign = -1;

/* --mode sqlite: the store the daemon's design implies, at its floor. */
static sqlite3 *db;
static sqlite3_stmt *st_upsert, *st_outbox;

static int sql_exec(const char *sql) {
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) { fprintf(stderr, "baseline: sqlite: %s: %s\n", sql, msg); sqlite3_free(msg); return -1; }
    return 0;
}

static int sql_open(const char *path) {
    if (sqlite3_open(path, &db) != SQLITE_OK) { fprintf(stderr, "baseline: sqlite open %s\n", path); return -1; }
    if (sql_exec("PRAGMA journal_mode=WAL") || sql_exec("PRAGMA synchronous=FULL") ||
        sql_exec("CREATE TABLE state(key TEXT PRIMARY KEY, value BLOB, version INTEGER)") ||
        sql_exec("CREATE TABLE outbox(id INTEGER PRIMARY KEY, event_id TEXT, key TEXT, value BLOB)"))
        return -1;
    if (sqlite3_prepare_v2(db, "INSERT INTO state(key, value, version) VALUES(?1, ?2, 1) ON CONFLICT(key) DO UPDATE SET value = excluded.value, version = version + 1", -1, &st_upsert, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO outbox(event_id, key, value) VALUES(?1, ?2, ?3)", -1, &st_outbox, NULL) != SQLITE_OK) {
        fprintf(stderr, "baseline: sqlite prepare: %s\n", sqlite3_errmsg(db)); return -1;
    }
    return 0;
}

static int sql_event(const rd_kafka_message_t *m, const char *id, size_t id_len) {
    sqlite3_bind_text(st_upsert, 1, m->key, (int)m->key_len, SQLITE_STATIC);
    sqlite3_bind_blob(st_upsert, 2, m->payload, (int)(m->len < 200 ? m->len : 200), SQLITE_STATIC);
    sqlite3_bind_text(st_outbox, 1, id, (int)id_len, SQLITE_STATIC);
    sqlite3_bind_text(st_outbox, 2, m->key, (int)m->key_len, SQLITE_STATIC);
    sqlite3_bind_blob(st_outbox, 3, m->payload, (int)(m->len < 200 ? m->len : 200), SQLITE_STATIC);
    int ok = sqlite3_step(st_upsert) == SQLITE_DONE && sqlite3_step(st_outbox) == SQLITE_DONE;
    sqlite3_reset(st_upsert);
    sqlite3_reset(st_outbox);
    if (!ok) fprintf(stderr, "baseline: sqlite: %s\n", sqlite3_errmsg(db));
    return ok ? 0 : -1;
}
static long delivered, failed;

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts, void *opaque) {
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, parts);
        if (cpu_at_assign < 0) {
            cpu_at_assign = bench_cpu_us();
            printf("ASSIGNED %d\n", parts->cnt);
            fflush(stdout);
        }
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk; (void)opaque;
    if (m->err) { if (failed++ < 5) fprintf(stderr, "baseline: delivery failed: %s\n", rd_kafka_err2str(m->err)); }
    else delivered++;
}

/* Finds the string value of top-level-looking key `key` (with quotes);
 * returns its start and sets *len, or NULL. A hand scan, as docs/broker-traps.md measured. */
static const char *find_string_field(const char *v, size_t n, const char *key, size_t key_len, size_t *len) {
    const char *end = v + n;
    const char *p = memmem(v, n, key, key_len);
    if (!p) return NULL;
    p += key_len;
    while (p < end && (*p == ' ' || *p == ':')) p++;
    if (p >= end || *p != '"') return NULL;
    const char *s = ++p;
    while (p < end && *p != '"') { if (*p == '\\') p++; p++; }
    if (p >= end) return NULL;
    *len = (size_t)(p - s);
    return s;
}

static int set_conf(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char errstr[512];
    if (rd_kafka_conf_set(conf, k, v, errstr, sizeof errstr)) { fprintf(stderr, "baseline: %s\n", errstr); return -1; }
    return 0;
}

/* Sets "key=value" properties given with `option`; non-zero on a malformed or refused one. */
static int set_pairs(rd_kafka_conf_t *conf, const char **pairs, int count, const char *option) {
    for (int i = 0; i < count; i++) {
        char kv[512];
        snprintf(kv, sizeof kv, "%s", pairs[i]);
        char *eq = strchr(kv, '=');
        if (!eq) { fprintf(stderr, "baseline: %s needs key=value\n", option); return 2; }
        *eq = 0;
        if (set_conf(conf, kv, eq + 1)) return 2;
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *brokers = NULL, *topic = "mission-events", *out_topic = "echo-events", *mode = "scan";
    const char *group = NULL, *progress_path = NULL, *expect_type = "mission.started", *db_path = "baseline.sqlite";
    long count = 1000000, batch_size = 1000;
    static struct option opts[] = {
        {"brokers", 1, 0, 'b'}, {"topic", 1, 0, 't'}, {"out-topic", 1, 0, 'o'}, {"mode", 1, 0, 'm'},
        {"count", 1, 0, 'n'}, {"group", 1, 0, 'g'}, {"progress", 1, 0, 'p'}, {"batch", 1, 0, 'B'},
        {"set", 1, 0, 'X'}, {"wait-per-batch", 0, 0, 'W'}, {"pset", 1, 0, 'Y'}, {"db", 1, 0, 'D'}, {0, 0, 0, 0}};
    const char *pextra[32];
    int pextra_count = 0;
    int wait_per_batch = 0;
    const char *extra[32];
    int extra_count = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'b': brokers = optarg; break;
        case 't': topic = optarg; break;
        case 'o': out_topic = optarg; break;
        case 'm': mode = optarg; break;
        case 'n': count = atol(optarg); break;
        case 'g': group = optarg; break;
        case 'p': progress_path = optarg; break;
        case 'B': batch_size = atol(optarg); break;
        case 'W': wait_per_batch = 1; break;
        case 'D': db_path = optarg; break;
        case 'Y': if (pextra_count < 32) pextra[pextra_count++] = optarg; break;
        case 'X': if (extra_count < 32) extra[extra_count++] = optarg; break;
        default: return 2;
        }
    }
    int produce = strcmp(mode, "produce") == 0, store = strcmp(mode, "sqlite") == 0;
    if (!brokers || (!produce && !store && strcmp(mode, "scan") != 0)) {
        fprintf(stderr, "usage: baseline --brokers B --mode scan|produce|sqlite [--count N] [--progress FILE] [--db FILE]\n");
        return 2;
    }
    if (!group) group = produce ? "bench-baseline-produce" : store ? "bench-baseline-sqlite" : "bench-baseline-scan";
    if (store && sql_open(db_path)) return 1;
    volatile uint64_t *progress = progress_path ? bench_progress_map(progress_path) : NULL;
    if (progress_path && !progress) return 1;

    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* The daemon's shipped consumer properties (etc/devtrip-eventd/eventd.toml). */
    if (set_conf(conf, "bootstrap.servers", brokers) || set_conf(conf, "group.id", group) ||
        set_conf(conf, "auto.offset.reset", "earliest") || set_conf(conf, "enable.auto.commit", "true") ||
        set_conf(conf, "auto.commit.interval.ms", "1000") || set_conf(conf, "session.timeout.ms", "10000") ||
        set_conf(conf, "queued.min.messages", "1000000") || set_conf(conf, "queued.max.messages.kbytes", "2097151"))
        return 2;
    if (store && set_conf(conf, "enable.auto.offset.store", "false")) return 2;
    /* --set key=value: extra consumer properties (the benchmark passes the same to the daemon). */
    if (set_pairs(conf, extra, extra_count, "--set")) return 2;
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) { fprintf(stderr, "baseline: %s\n", errstr); return 1; }
    rd_kafka_poll_set_consumer(rk);

    rd_kafka_t *prk = NULL;
    if (produce) {
        rd_kafka_conf_t *pconf = rd_kafka_conf_new();
        /* The daemon's shared producer: idempotent, acks=all, linger.ms=5. */
        if (set_conf(pconf, "bootstrap.servers", brokers) || set_conf(pconf, "enable.idempotence", "true") ||
            set_conf(pconf, "acks", "all") || set_conf(pconf, "linger.ms", "5") || set_conf(pconf, "compression.type", "none"))
            return 2;
        if (set_pairs(pconf, pextra, pextra_count, "--pset")) return 2; /* producer properties */
        rd_kafka_conf_set_dr_msg_cb(pconf, dr_cb);
        prk = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, errstr, sizeof errstr);
        if (!prk) { fprintf(stderr, "baseline: %s\n", errstr); return 1; }
    }

    rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(subs, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, subs);
    rd_kafka_topic_partition_list_destroy(subs);
    if (err) { fprintf(stderr, "baseline: subscribe: %s\n", rd_kafka_err2str(err)); return 1; }
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);

    rd_kafka_message_t **msgs = calloc((size_t)batch_size, sizeof *msgs);
    long seen = 0, bad = 0;
    int64_t first_ns = 0, last_ns = 0;
    size_t type_len = strlen(expect_type);
    char id[256];
    unsigned long checksum = 0;
    while (seen < count) {
        ssize_t n = rd_kafka_consume_batch_queue(q, 100, msgs, (size_t)batch_size);
        if (n <= 0) continue;
        if (!first_ns) first_ns = bench_now_ns();
        if (store && sql_exec("BEGIN")) return 1;
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = msgs[i];
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) fprintf(stderr, "baseline: consume: %s\n", rd_kafka_message_errstr(m));
                if (!store) rd_kafka_message_destroy(m);
                continue;
            }
            size_t tlen = 0, ilen = 0;
            const char *type = find_string_field(m->payload, m->len, "\"eventType\"", 11, &tlen);
            const char *eid = find_string_field(m->payload, m->len, "\"eventId\"", 9, &ilen);
            if (!type || tlen != type_len || memcmp(type, expect_type, tlen) != 0 || !eid || ilen >= sizeof id) {
                bad++;
            } else {
                memcpy(id, eid, ilen); /* as the daemon copies the id for the plugin */
                id[ilen] = 0;
                checksum += (unsigned char)id[ilen - 1];
                if (store && sql_event(m, id, ilen)) return 1;
            }
            if (produce) {
                rd_kafka_headers_t *in = NULL, *hdrs;
                if (rd_kafka_message_headers(m, &in) == RD_KAFKA_RESP_ERR_NO_ERROR && in) hdrs = rd_kafka_headers_copy(in);
                else hdrs = rd_kafka_headers_new(3);
                rd_kafka_header_add(hdrs, "x-echo-plugin", -1, "echo", 4);
                rd_kafka_header_add(hdrs, "x-echo-plugin-version", -1, "1.0.0", 5);
                rd_kafka_header_add(hdrs, "x-echo-event", -1, expect_type, (ssize_t)type_len);
                rd_kafka_vu_t vus[5];
                vus[0].vtype = RD_KAFKA_VTYPE_TOPIC; vus[0].u.cstr = out_topic;
                vus[1].vtype = RD_KAFKA_VTYPE_KEY; vus[1].u.mem.ptr = m->key; vus[1].u.mem.size = m->key_len;
                vus[2].vtype = RD_KAFKA_VTYPE_VALUE; vus[2].u.mem.ptr = m->payload; vus[2].u.mem.size = m->len;
                vus[3].vtype = RD_KAFKA_VTYPE_HEADERS; vus[3].u.headers = hdrs;
                vus[4].vtype = RD_KAFKA_VTYPE_MSGFLAGS; vus[4].u.i = RD_KAFKA_MSG_F_COPY;
                rd_kafka_error_t *perr;
                while ((perr = rd_kafka_produceva(prk, vus, 5)) != NULL) {
                    rd_kafka_resp_err_t code = rd_kafka_error_code(perr);
                    rd_kafka_error_destroy(perr);
                    if (code != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                        fprintf(stderr, "baseline: produce: %s\n", rd_kafka_err2str(code));
                        return 1;
                    }
                    rd_kafka_poll(prk, 10);
                }
            }
            if (!store) rd_kafka_message_destroy(m);
            seen++;
        }
        if (store) {   /* durable first, then the offsets (destroying the messages the scan skipped too) */
            if (sql_exec("COMMIT")) return 1;
            for (ssize_t i = 0; i < n; i++) {
                if (!msgs[i]->err) rd_kafka_offset_store(msgs[i]->rkt, msgs[i]->partition, msgs[i]->offset);
                rd_kafka_message_destroy(msgs[i]);
            }
        }
        if (produce) rd_kafka_poll(prk, 0);
        /* --wait-per-batch: the daemon's semantics (offsets stored only after
         * the batch's produces are acknowledged), for comparison. */
        if (produce && wait_per_batch) while (delivered + failed < seen) rd_kafka_poll(prk, 1);
        if (progress && !produce) *progress = (uint64_t)seen; /* produce mode: the offsets tool reports acked output */
    }
    if (produce) {
        rd_kafka_flush(prk, 60000);
        if (delivered != seen || failed) {
            fprintf(stderr, "baseline: delivered %ld of %ld (failed %ld)\n", delivered, seen, failed);
            bad++;
        }
    }
    last_ns = bench_now_ns();
    int64_t cpu = bench_cpu_us() - (cpu_at_assign < 0 ? 0 : cpu_at_assign);
    printf("events=%ld first_ns=%lld last_ns=%lld cpu_us=%lld maxrss_kb=%ld bad=%ld checksum=%lu\n", seen,
           (long long)first_ns, (long long)last_ns, (long long)cpu, bench_maxrss_kb(), bad, checksum);
    fflush(stdout);
    free(msgs);
    if (store) { sqlite3_finalize(st_upsert); sqlite3_finalize(st_outbox); sqlite3_close(db); }
    rd_kafka_queue_destroy(q);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (prk) rd_kafka_destroy(prk);
    return bad ? 1 : 0;
}
