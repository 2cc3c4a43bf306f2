/* latency: reads the follow-ups a daemon produced and matches each to its
 * source record by `causationId`, whose last 12 hex digits are the index the
 * producer gave the source (Benchmarks/producer --sent FILE holds each
 * index's send time, ns). Latency = time the follow-up was read back here -
 * time its source was handed to the producer client.
 *
 *   latency BROKERS TOPIC SENT_FILE COUNT [PARTITIONS [IDLE_MS]]
 *
 * Reads TOPIC from the beginning (assigned, no group) until IDLE_MS (default 3000) pass
 * without a new follow-up after the first one; prints
 *   matched=M p50_ms=X p90_ms=X p99_ms=X max_ms=X
 * (a source with several follow-ups counts with its first). */
#include "../common/bench_common.h"
#include <librdkafka/rdkafka.h>

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* the index in `..."causationId":"6f1c2a9e-0000-4000-8000-XXXXXXXXXXXX"...`, or -1 */
static long source_index(const char *v, size_t n) {
    static const char key[] = "\"causationId\":\"6f1c2a9e-0000-4000-8000-";
    const char *p = memmem(v, n, key, sizeof key - 1);
    if (!p || (size_t)(v + n - p) < sizeof key - 1 + 12) return -1;
    p += sizeof key - 1;
    long i = 0;
    for (int k = 0; k < 12; k++) {
        char c = p[k];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return -1;
        i = i * 16 + d;
    }
    return i;
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: latency BROKERS TOPIC SENT_FILE COUNT [PARTITIONS [IDLE_MS]]\n"); return 2; }
    const char *brokers = argv[1], *topic = argv[2], *sent_path = argv[3];
    long count = atol(argv[4]), partitions = argc > 5 ? atol(argv[5]) : 6, idle_ms = argc > 6 ? atol(argv[6]) : 3000;
    if (count <= 0 || partitions <= 0) { fprintf(stderr, "latency: COUNT and PARTITIONS must be positive\n"); return 2; }
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *props[][2] = {{"bootstrap.servers", brokers}, {"group.id", "bench-latency"}, {"fetch.wait.max.ms", "5"},
                              {"enable.auto.commit", "false"}, {"enable.partition.eof", "false"}};
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++)
        if (rd_kafka_conf_set(conf, props[i][0], props[i][1], errstr, sizeof errstr)) { fprintf(stderr, "latency: %s\n", errstr); return 2; }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) { fprintf(stderr, "latency: %s\n", errstr); return 1; }
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new((int)partitions);
    for (int p = 0; p < partitions; p++) rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    if (rd_kafka_assign(rk, parts)) { fprintf(stderr, "latency: assign failed\n"); return 1; }
    rd_kafka_topic_partition_list_destroy(parts);

    int fd = -1;
    int64_t *sent = NULL;
    int64_t *lat = calloc((size_t)count, sizeof *lat);
    unsigned char *seen = calloc((size_t)count, 1);
    long matched = 0;
    int64_t last_new = 0;
    for (;;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 10);
        int64_t now = bench_now_ns();
        if (m) {
            if (!m->err) {
                if (!sent) {   /* the producer has written the file by the time its follow-ups exist */
                    fd = open(sent_path, O_RDONLY);
                    if (fd >= 0) sent = mmap(NULL, (size_t)count * 8, PROT_READ, MAP_SHARED, fd, 0);
                    if (fd < 0 || sent == MAP_FAILED) { perror(sent_path); return 1; }
                }
                long i = source_index(m->payload, m->len);
                if (i >= 0 && i < count && !seen[i] && sent[i] > 0) {
                    seen[i] = 1;
                    lat[matched++] = now - sent[i];
                    last_new = now;
                }
            }
            rd_kafka_message_destroy(m);
        }
        if (last_new && now - last_new > idle_ms * 1000000LL) break;
    }
    qsort(lat, (size_t)matched, sizeof *lat, cmp64);
#define PCT(q) (matched ? lat[(long)((matched - 1) * (q))] / 1e6 : 0.0)
    printf("matched=%ld p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n", matched, PCT(0.50), PCT(0.90), PCT(0.99), PCT(1.0));
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return matched ? 0 : 1;
}
