/* offsets: sums a topic's high watermarks (end offsets) over its partitions,
 * with one ListOffsets request per poll (rd_kafka_offsets_for_times, LATEST).
 *
 *   offsets --brokers B --topic T --partitions P
 *       prints the sum once.
 *   offsets --brokers B --topic T --partitions P --watch N [--progress FILE] [--interval-ms 5]
 *       polls until the sum reaches N, mirroring it into the progress page;
 *       then prints: events=SUM first_ns=T last_ns=T polls=K
 *       first_ns = first poll that saw a record, last_ns = first poll that saw N.
 * Used to time the echo runs: the output topic grows only by acknowledged
 * produces, so it measures "consumed, handled and durably echoed". */
#include "../common/bench_common.h"
#include <getopt.h>
#include <librdkafka/rdkafka.h>

static long long sum_end_offsets(rd_kafka_t *rk, const char *topic, int partitions, int *ok) {
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++) rd_kafka_topic_partition_list_add(list, topic, p)->offset = RD_KAFKA_OFFSET_END;
    rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, list, 5000);
    long long sum = 0;
    *ok = err == RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; *ok && i < list->cnt; i++) {
        if (list->elems[i].err || list->elems[i].offset < 0) { *ok = 0; break; }
        sum += list->elems[i].offset;
    }
    if (!*ok && err) fprintf(stderr, "offsets: %s\n", rd_kafka_err2str(err));
    rd_kafka_topic_partition_list_destroy(list);
    return sum;
}

int main(int argc, char **argv) {
    const char *brokers = NULL, *topic = NULL, *progress_path = NULL;
    int partitions = 6, interval_ms = 5;
    long long watch = -1;
    static struct option opts[] = {
        {"brokers", 1, 0, 'b'}, {"topic", 1, 0, 't'}, {"partitions", 1, 0, 'P'}, {"watch", 1, 0, 'w'},
        {"progress", 1, 0, 'p'}, {"interval-ms", 1, 0, 'i'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'b': brokers = optarg; break;
        case 't': topic = optarg; break;
        case 'P': partitions = atoi(optarg); break;
        case 'w': watch = atoll(optarg); break;
        case 'p': progress_path = optarg; break;
        case 'i': interval_ms = atoi(optarg); break;
        default: return 2;
        }
    }
    if (!brokers || !topic) { fprintf(stderr, "usage: offsets --brokers B --topic T [--watch N]\n"); return 2; }
    volatile uint64_t *progress = progress_path ? bench_progress_map(progress_path) : NULL;
    if (progress_path && !progress) return 1;
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof errstr)) { fprintf(stderr, "%s\n", errstr); return 2; }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) { fprintf(stderr, "offsets: %s\n", errstr); return 1; }
    int ok;
    if (watch < 0) {
        long long sum = sum_end_offsets(rk, topic, partitions, &ok);
        if (!ok) return 1;
        printf("%lld\n", sum);
        rd_kafka_destroy(rk);
        return 0;
    }
    int64_t first_ns = 0, last_ns = 0;
    long long sum = 0, polls = 0;
    for (;;) {
        sum = sum_end_offsets(rk, topic, partitions, &ok);
        int64_t now = bench_now_ns();
        polls++;
        if (!ok) { usleep(100000); continue; }
        if (progress) *progress = (uint64_t)sum;
        if (sum > 0 && !first_ns) first_ns = now;
        if (sum >= watch) { last_ns = now; break; }
        usleep((useconds_t)interval_ms * 1000);
    }
    printf("events=%lld first_ns=%lld last_ns=%lld polls=%lld\n", sum, (long long)first_ns, (long long)last_ns, polls);
    rd_kafka_destroy(rk);
    return 0;
}
