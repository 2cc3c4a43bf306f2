/* producer: produces N catalog-shaped JSON events (docs/catalog-mapping.md envelope, padded
 * to SIZE bytes) with keys among K users, as fast as the pacing allows.
 *
 * Pacing: with --progress FILE, it stays at most --max-lead events ahead of
 * the count in the progress page (what the consumer side finished), so the
 * backlog never reaches the mock's 5 MiB-per-partition retention.
 *
 * Prints one line: produced=N delivered=N failed=0 seconds=S rate=R paced_waits=W
 * Exits 1 if any delivery failed. */
#include "../common/bench_common.h"
#include <getopt.h>
#include <librdkafka/rdkafka.h>

static long delivered, failed;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk; (void)opaque;
    if (m->err) { if (failed++ < 5) fprintf(stderr, "producer: delivery failed: %s\n", rd_kafka_err2str(m->err)); }
    else delivered++;
}

static void put_digits(char *at, int width, unsigned long long v, int base) {
    static const char digits[] = "0123456789abcdef";
    for (int i = width - 1; i >= 0; i--) { at[i] = digits[v % base]; v /= base; }
}

int main(int argc, char **argv) {
    const char *brokers = NULL, *topic = "mission-events", *progress_path = NULL;
    const char *event_type = "mission.started";
    long count = 1000000, max_lead = 30000, keys = 1000, size = 500;
    static struct option opts[] = {
        {"brokers", 1, 0, 'b'}, {"topic", 1, 0, 't'}, {"count", 1, 0, 'n'}, {"progress", 1, 0, 'p'},
        {"max-lead", 1, 0, 'l'}, {"keys", 1, 0, 'k'}, {"size", 1, 0, 's'}, {"event-type", 1, 0, 'e'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'b': brokers = optarg; break;
        case 't': topic = optarg; break;
        case 'n': count = atol(optarg); break;
        case 'p': progress_path = optarg; break;
        case 'l': max_lead = atol(optarg); break;
        case 'k': keys = atol(optarg); break;
        case 's': size = atol(optarg); break;
        case 'e': event_type = optarg; break;
        default: return 2;
        }
    }
    if (!brokers) { fprintf(stderr, "producer: --brokers is required\n"); return 2; }
    volatile uint64_t *progress = progress_path ? bench_progress_map(progress_path) : NULL;
    if (progress_path && !progress) return 1;

    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *props[][2] = {
        {"bootstrap.servers", brokers}, {"linger.ms", "5"}, {"batch.num.messages", "10000"},
        {"queue.buffering.max.messages", "2000000"}, {"queue.buffering.max.kbytes", "2097151"},
        {"compression.type", "none"}, {"acks", "1"},
    };
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
        if (rd_kafka_conf_set(conf, props[i][0], props[i][1], errstr, sizeof errstr)) {
            fprintf(stderr, "producer: %s\n", errstr); return 2;
        }
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) { fprintf(stderr, "producer: %s\n", errstr); return 1; }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);

    /* A fixed-width template; per event only the id, user and mission digits change. */
    char value[8192];
    int head = snprintf(value, sizeof value,
        "{\"eventId\":\"6f1c2a9e-0000-4000-8000-000000000000\",\"eventType\":\"%s\","
        "\"occurredAt\":\"2025-06-01T12:00:00.000Z\",\"source\":\"mission-service\",\"subject\":\"user-000000\","
        "\"payload\":{\"missionId\":\"m-0000000000\",\"userId\":\"user-000000\",\"title\":\"Benchmark mission\","
        "\"difficulty\":\"medium\",\"notes\":\"", event_type);
    long pad = size - head - 3; /* closing "}} */
    if (pad < 0 || size >= (long)sizeof value) { fprintf(stderr, "producer: --size too small or too large\n"); return 2; }
    memset(value + head, 'x', pad);
    memcpy(value + head + pad, "\"}}", 3);
    char *id_at = strstr(value, "8000-") + 5;              /* 12 hex digits */
    char *subject_at = strstr(value, "\"subject\":\"user-") + 16;  /* 6 digits */
    char *mission_at = strstr(value, "\"missionId\":\"m-") + 15;   /* 10 digits */
    char *user_at = strstr(value, "\"userId\":\"user-") + 15;      /* 6 digits */
    char key[32];

    unsigned long long rng = 0x9E3779B97F4A7C15ULL;
    long paced = 0;
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < count; i++) {
        if (progress) {
            while ((long)(i - (long)*progress) >= max_lead) {
                paced++;
                rd_kafka_poll(rk, 0);
                usleep(200);
            }
        }
        rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
        unsigned long user = (unsigned long)(rng % (unsigned long long)keys);
        put_digits(id_at, 12, (unsigned long long)i, 16);
        put_digits(subject_at, 6, user, 10);
        put_digits(user_at, 6, user, 10);
        put_digits(mission_at, 10, (unsigned long long)i, 10);
        int klen = snprintf(key, sizeof key, "user-%06lu", user);
        while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, value, (size_t)size, key, (size_t)klen, NULL) != 0) {
            if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                fprintf(stderr, "producer: produce: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
                return 1;
            }
            rd_kafka_poll(rk, 1);
        }
        if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
    }
    while (rd_kafka_outq_len(rk) > 0 && delivered + failed < count) rd_kafka_poll(rk, 10);
    rd_kafka_flush(rk, 30000);
    int64_t t1 = bench_now_ns();
    double secs = (t1 - t0) / 1e9;
    printf("produced=%ld delivered=%ld failed=%ld seconds=%.3f rate=%.0f paced_waits=%ld\n",
           count, delivered, failed, secs, count / secs, paced);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return (failed || delivered != count) ? 1 : 0;
}
