/* producer: produces N catalog-shaped JSON events (docs/catalog-mapping.md envelope, padded
 * to SIZE bytes) with keys among K users, as fast as the pacing allows.
 *
 * --flow mission (default): `mission.started` on --topic, padded to --size.
 * --flow payment: the same with `ticketCost` 1, each user starting one of
 *   --missions mission ids in turn (what the payment plugin charges).
 * --flow catalog: every user runs the catalog's flows in turn on their own
 *   topics (registration on auth-events and user-events first, then login,
 *   mission started/paused/resumed/completed, a resource, renewal failures and
 *   a plan change); --size is ignored (the events are their natural size).
 * --rate R: at most R events per second (latency runs).
 * --sent FILE: writes each event's send time (ns, int64 at offset 8*i) into
 *   FILE, for Benchmarks/latency to match follow-ups (causationId) against.
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

/* ---- the catalog flow ------------------------------------------------ */
static const char *const flow_topic_names[] = {"auth-events", "user-events", "mission-events", "resource-events", "payment-events"};
enum { T_AUTH, T_USER, T_MISSION, T_RESOURCE, T_PAYMENT, T_COUNT };
struct flow_topics { rd_kafka_topic_t *t[T_COUNT]; rd_kafka_t *rk; };

static int flow_topics_open(struct flow_topics *f, rd_kafka_t *rk) {
    f->rk = rk;
    for (int i = 0; i < T_COUNT; i++)
        if (!(f->t[i] = rd_kafka_topic_new(rk, flow_topic_names[i], NULL))) { fprintf(stderr, "producer: topic %s\n", flow_topic_names[i]); return 1; }
    return 0;
}

static void flow_topics_close(struct flow_topics *f) {
    for (int i = 0; i < T_COUNT; i++) if (f->t[i]) rd_kafka_topic_destroy(f->t[i]);
}

/* The user's step-th event: step 0 and 1 register the user (one event id on
 * both topics, as the catalog publishes it), then the cycle repeats. */
static int catalog_produce(struct flow_topics *f, long i, unsigned long user, unsigned step) {
    char u[16], value[1024], key[32];
    snprintf(u, sizeof u, "user-%06lu", user);
    int topic, n = 0;
    const char *type;
    char payload[512];
    unsigned cycle = step < 2 ? 0 : (step - 2) / 9, k = step < 2 ? 0 : (step - 2) % 9;
    unsigned mission = cycle % 20;
    if (step < 2) {
        topic = step == 0 ? T_AUTH : T_USER; type = "user.registered";
        snprintf(payload, sizeof payload, "{\"userId\":\"%s\",\"email\":\"%s@example.com\",\"displayName\":\"Bench User\",\"plan\":\"basic\"}", u, u);
    } else switch (k) {
    case 0: topic = T_AUTH; type = "user.login";
        snprintf(payload, sizeof payload, "{\"userId\":\"%s\",\"sessionId\":\"s-%ld\"}", u, i); break;
    case 1: topic = T_RESOURCE; type = "resource.created";
        snprintf(payload, sizeof payload, "{\"userId\":\"%s\",\"missionId\":\"m-%u\",\"resourceId\":\"r-%ld\"}", u, mission, i); break;
    case 2: topic = T_MISSION; type = "mission.started";
        snprintf(payload, sizeof payload, "{\"userId\":\"%s\",\"missionId\":\"m-%u\",\"ticketCost\":1}", u, mission); break;
    case 3: topic = T_MISSION; type = "mission.paused";
        snprintf(payload, sizeof payload, "{\"userId\":\"%s\",\"missionId\":\"m-%u\"}", u, mission); break;
    case 4: topic = T_MISSION; type = "mission.resumed";
        snprintf(payload, sizeof payload, "{\"userId\":\"%s\",\"missionId\":\"m-%u\"}", u, mission); break;
    case 5: topic = T_MISSION; type = "mission.completed";
        snprintf(payload, sizeof payload, "{\"userId\":\"%s\",\"missionId\":\"m-%u\",\"resultKey\":\"bench.json\",\"durationSeconds\":600}", u, mission); break;
    case 6: case 7: topic = T_PAYMENT; type = "payment.subscription-renewal-failed";
        snprintf(payload, sizeof payload, "{\"userId\":\"%s\",\"subscriptionId\":\"sub-%s\",\"plan\":\"basic\",\"amount\":9900,\"reason\":\"card declined\"}", u, u); break;
    default: topic = T_PAYMENT; type = "payment.subscription-changed";
        snprintf(payload, sizeof payload, "{\"userId\":\"%s\",\"subscriptionId\":\"sub-%s\",\"fromPlan\":\"basic\",\"toPlan\":\"%s\"}", u, u, cycle % 2 ? "basic" : "pro"); break;
    }
    /* the registration's two records share one id; every other record has its own */
    char idtext[48];
    if (step < 2) snprintf(idtext, sizeof idtext, "6f1c2a9e-0000-4000-9000-%012lu", user);
    else snprintf(idtext, sizeof idtext, "6f1c2a9e-0000-4000-8000-%012lx", (unsigned long)i);
    n = snprintf(value, sizeof value,
        "{\"eventId\":\"%s\",\"eventType\":\"%s\",\"occurredAt\":\"2025-06-01T12:00:00.000Z\",\"source\":\"bench\",\"subject\":\"%s\",\"payload\":%s}",
        idtext, type, u, payload);
    int klen = snprintf(key, sizeof key, "%s", u);
    while (rd_kafka_produce(f->t[topic], RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, value, (size_t)n, key, (size_t)klen, NULL) != 0) {
        if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fprintf(stderr, "producer: produce: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
            return 1;
        }
        rd_kafka_poll(f->rk, 1);
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *brokers = NULL, *topic = "mission-events", *progress_path = NULL;
    const char *event_type = "mission.started", *flow = "mission", *sent_path = NULL;
    long count = 1000000, max_lead = 30000, keys = 1000, size = 500, missions = 20, rate = 0;
    static struct option opts[] = {
        {"brokers", 1, 0, 'b'}, {"topic", 1, 0, 't'}, {"count", 1, 0, 'n'}, {"progress", 1, 0, 'p'},
        {"max-lead", 1, 0, 'l'}, {"keys", 1, 0, 'k'}, {"size", 1, 0, 's'}, {"event-type", 1, 0, 'e'},
        {"flow", 1, 0, 'f'}, {"missions", 1, 0, 'M'}, {"rate", 1, 0, 'r'}, {"sent", 1, 0, 'S'}, {0, 0, 0, 0}};
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
        case 'f': flow = optarg; break;
        case 'M': missions = atol(optarg); break;
        case 'r': rate = atol(optarg); break;
        case 'S': sent_path = optarg; break;
        default: return 2;
        }
    }
    if (!brokers) { fprintf(stderr, "producer: --brokers is required\n"); return 2; }
    int payment = strcmp(flow, "payment") == 0, catalog = strcmp(flow, "catalog") == 0;
    if (!payment && !catalog && strcmp(flow, "mission") != 0) { fprintf(stderr, "producer: unknown --flow %s\n", flow); return 2; }
    if (keys < 1 || keys > 999999 || missions < 1) { fprintf(stderr, "producer: bad --keys or --missions\n"); return 2; }
    int64_t *sent = NULL;
    if (sent_path) {
        int fd = open(sent_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || ftruncate(fd, count * 8) != 0) { perror(sent_path); return 1; }
        sent = mmap(NULL, (size_t)count * 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        if (sent == MAP_FAILED) { perror("mmap"); return 1; }
    }
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
        "\"payload\":{\"missionId\":\"m-0000000000\",\"userId\":\"user-000000\",%s\"title\":\"Benchmark mission\","
        "\"difficulty\":\"medium\",\"notes\":\"", event_type, payment ? "\"ticketCost\":1," : "");
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
    unsigned *steps = calloc((size_t)keys, sizeof *steps);   /* catalog flow: each user's next step */
    struct flow_topics topics = {0};
    if (catalog && flow_topics_open(&topics, rk) != 0) return 1;
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < count; i++) {
        if (rate > 0) {
            int64_t due = t0 + (int64_t)((double)i * 1e9 / (double)rate);
            for (int64_t now = bench_now_ns(); now < due; now = bench_now_ns()) {
                rd_kafka_poll(rk, 0);
                if (due - now > 200000) usleep(100);
            }
        }
        if (progress) {
            while ((long)(i - (long)*progress) >= max_lead) {
                paced++;
                rd_kafka_poll(rk, 0);
                usleep(200);
            }
        }
        rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
        unsigned long user = (unsigned long)(rng % (unsigned long long)keys);
        if (sent) sent[i] = bench_now_ns();
        if (catalog) {
            if (catalog_produce(&topics, i, user, steps[user]++) != 0) return 1;
            if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
            continue;
        }
        put_digits(id_at, 12, (unsigned long long)i, 16);
        put_digits(subject_at, 6, user, 10);
        put_digits(user_at, 6, user, 10);
        put_digits(mission_at, 10, payment ? (unsigned long long)(i / keys % missions) : (unsigned long long)i, 10);
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
    flow_topics_close(&topics);
    free(steps);
    rd_kafka_destroy(rk);
    return (failed || delivered != count) ? 1 : 0;
}
