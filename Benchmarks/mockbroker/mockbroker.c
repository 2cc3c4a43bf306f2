/* mockbroker: a librdkafka mock cluster in its own process, for one benchmark
 * run. Usage: mockbroker PARTITIONS TOPIC... — prints the bootstrap address on
 * stdout (one line) and runs until SIGTERM/SIGINT. MOCKBROKER_BROKERS=N starts
 * N brokers (default 1; topics then get N replicas).
 *
 * Fault injection for the end-to-end tests: commands on stdin, one per line,
 * each answered by one line on stdout, "ok" or "error <why>":
 *   down BROKER / up BROKER            the broker drops its connections and refuses
 *                                      new ones / serves again (ids start at 1)
 *   rtt BROKER MS                      delays the broker's responses
 *   errors APIKEY ERROR COUNT          the next COUNT requests of APIKEY fail with ERROR
 *   leader TOPIC PARTITION BROKER      moves a partition's leader
 *   coordinator GROUP BROKER           moves a consumer group's coordinator
 * APIKEY is a number or a name (Produce, Fetch, OffsetCommit, ...); ERROR a
 * number or librdkafka's name without the prefix (NOT_LEADER_FOR_PARTITION).
 * When stdin is at its end at once (</dev/null, as run.sh starts it), the
 * broker simply runs until a signal.
 *
 * TCP_NODELAY: the 2.0.2 mock leaves Nagle on for the connections it accepts,
 * so a response written in pieces waits for the client's delayed ACK (40 ms on
 * Linux). Measured here with an idle mock: produce 1000 x 500 B to 6
 * partitions and wait for the acks takes 48 ms (linger.ms=5) / 1 or 43 ms
 * (linger.ms=0); with TCP_NODELAY 6.5 ms / 0.7 ms. Any loop that waits for
 * acknowledgements (the daemon waits per batch) would measure this stall, not
 * itself. Real brokers set TCP_NODELAY, so this process does too: it defines
 * accept/accept4, which librdkafka's calls resolve to (the executable comes
 * first in symbol lookup), and sets the option on every accepted socket. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int nodelay_count;

static int with_nodelay(int fd) {
    if (fd >= 0) {
        int one = 1;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0) __atomic_add_fetch(&nodelay_count, 1, __ATOMIC_RELAXED);
    }
    return fd;
}

int accept(int s, struct sockaddr *addr, socklen_t *len) {
    static int (*real)(int, struct sockaddr *, socklen_t *);
    if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
    return with_nodelay(real(s, addr, len));
}

int accept4(int s, struct sockaddr *addr, socklen_t *len, int flags) {
    static int (*real)(int, struct sockaddr *, socklen_t *, int);
    if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
    return with_nodelay(real(s, addr, len, flags));
}

/* A TLS proxy in front of the mock (the TLS broker test): a broker advertises
 * the address it listens on, so clients told of 127.0.0.1:P would bypass a
 * proxy on another port. With MOCKBROKER_LISTEN_HOST=127.0.0.2 each mock broker
 * listens on 127.0.0.2:P instead but still believes (getsockname) and
 * advertises it is 127.0.0.1:P, where the proxy listens and forwards to it.
 *
 * Machines in network namespaces (the fleet tests) do not share its loopback:
 * with MOCKBROKER_HOST=10.201.7.1 each mock broker listens on that address and,
 * as getsockname then tells it, advertises it too (librdkafka 2.0.2's mock has
 * no listener setting: it binds 127.0.0.1 and names its brokers from the socket). */
static int moved_fds[64];
static int moved_count;

int bind(int s, const struct sockaddr *addr, socklen_t len) {
    static int (*real)(int, const struct sockaddr *, socklen_t);
    if (!real) real = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
    const char *host = getenv("MOCKBROKER_LISTEN_HOST");
    const char *advertised = getenv("MOCKBROKER_HOST");
    if (!host) host = advertised;
    else advertised = NULL;
    if (host && addr && addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in) && moved_count < 64) {
        struct sockaddr_in moved = *(const struct sockaddr_in *)addr;
        if (moved.sin_addr.s_addr == htonl(INADDR_LOOPBACK) && inet_pton(AF_INET, host, &moved.sin_addr) == 1) {
            int rc = real(s, (const struct sockaddr *)&moved, sizeof moved);
            if (rc == 0 && !advertised) moved_fds[moved_count++] = s;
            return rc;
        }
    }
    return real(s, addr, len);
}

int getsockname(int s, struct sockaddr *addr, socklen_t *len) {
    static int (*real)(int, struct sockaddr *, socklen_t *);
    if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "getsockname");
    int rc = real(s, addr, len);
    for (int i = 0; rc == 0 && i < moved_count; i++)
        if (moved_fds[i] == s && addr->sa_family == AF_INET) ((struct sockaddr_in *)addr)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return rc;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static const struct { const char *name; int16_t key; } api_keys[] = {
    {"Produce", 0}, {"Fetch", 1}, {"ListOffsets", 2}, {"Metadata", 3}, {"OffsetCommit", 8},
    {"OffsetFetch", 9}, {"FindCoordinator", 10}, {"JoinGroup", 11}, {"Heartbeat", 12},
    {"LeaveGroup", 13}, {"SyncGroup", 14}, {"ApiVersions", 18}, {"InitProducerId", 22},
};

/* A number, or a name from `api_keys`; -1 when neither. */
static int parse_api_key(const char *text) {
    char *end;
    long n = strtol(text, &end, 10);
    if (*text && !*end) return (int)n;
    for (size_t i = 0; i < sizeof api_keys / sizeof api_keys[0]; i++)
        if (strcmp(text, api_keys[i].name) == 0) return api_keys[i].key;
    return -1;
}

/* A number, or librdkafka's error name ("NOT_LEADER_FOR_PARTITION", "_TRANSPORT"). */
static int parse_error(const char *text, rd_kafka_resp_err_t *out) {
    char *end;
    long n = strtol(text, &end, 10);
    if (*text && !*end) { *out = (rd_kafka_resp_err_t)n; return 0; }
    const struct rd_kafka_err_desc *descs;
    size_t count;
    rd_kafka_get_err_descs(&descs, &count);
    for (size_t i = 0; i < count; i++)
        if (descs[i].name && strcmp(descs[i].name, text) == 0) { *out = descs[i].code; return 0; }
    return -1;
}

/* Runs one command line; writes the answer into `answer`. */
static void run_command(rd_kafka_mock_cluster_t *mc, char *line, char *answer, size_t cap) {
    char *argv[6] = {0};
    int argc = 0;
    for (char *tok = strtok(line, " \t\r\n"); tok && argc < 6; tok = strtok(NULL, " \t\r\n")) argv[argc++] = tok;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (argc == 0) {
        snprintf(answer, cap, "error empty command");
        return;
    } else if ((strcmp(argv[0], "down") == 0 || strcmp(argv[0], "up") == 0) && argc == 2) {
        int32_t broker = atoi(argv[1]);
        err = argv[0][0] == 'd' ? rd_kafka_mock_broker_set_down(mc, broker) : rd_kafka_mock_broker_set_up(mc, broker);
    } else if (strcmp(argv[0], "rtt") == 0 && argc == 3) {
        err = rd_kafka_mock_broker_set_rtt(mc, atoi(argv[1]), atoi(argv[2]));
    } else if (strcmp(argv[0], "errors") == 0 && argc == 4) {
        int key = parse_api_key(argv[1]);
        rd_kafka_resp_err_t code;
        int count = atoi(argv[3]);
        if (key < 0) { snprintf(answer, cap, "error unknown api key %s", argv[1]); return; }
        if (parse_error(argv[2], &code) < 0) { snprintf(answer, cap, "error unknown error %s", argv[2]); return; }
        if (count <= 0 || count > 10000) { snprintf(answer, cap, "error bad count %s", argv[3]); return; }
        rd_kafka_resp_err_t *codes = malloc(sizeof *codes * (size_t)count);
        for (int i = 0; i < count; i++) codes[i] = code;
        rd_kafka_mock_push_request_errors_array(mc, (int16_t)key, (size_t)count, codes);
        free(codes);
    } else if (strcmp(argv[0], "leader") == 0 && argc == 4) {
        err = rd_kafka_mock_partition_set_leader(mc, argv[1], atoi(argv[2]), atoi(argv[3]));
    } else if (strcmp(argv[0], "coordinator") == 0 && argc == 3) {
        err = rd_kafka_mock_coordinator_set(mc, "group", argv[1], atoi(argv[2]));
    } else {
        snprintf(answer, cap, "error unknown command or arguments: %s", argv[0]);
        return;
    }
    if (err) snprintf(answer, cap, "error %s", rd_kafka_err2str(err));
    else snprintf(answer, cap, "ok");
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s PARTITIONS TOPIC...\n", argv[0]);
        return 2;
    }
    int partitions = atoi(argv[1]);
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) { fprintf(stderr, "mockbroker: %s\n", errstr); return 1; }
    const char *brokers_env = getenv("MOCKBROKER_BROKERS");
    int brokers = brokers_env ? atoi(brokers_env) : 1;
    if (brokers < 1) brokers = 1;
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) { fprintf(stderr, "mockbroker: cannot start the mock cluster\n"); return 1; }
    for (int i = 2; i < argc; i++) {
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, argv[i], partitions, brokers);
        if (err) { fprintf(stderr, "mockbroker: topic %s: %s\n", argv[i], rd_kafka_err2str(err)); return 1; }
    }
    /* No SA_RESTART: a signal must interrupt the read of the next command. A
     * parent may have spawned us with the signals blocked (a test runner's thread;
     * SIGTERM would then wait forever): unblock them here, after librdkafka's
     * threads exist, so that they reach this thread. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigprocmask(SIG_UNBLOCK, &stop_signals, NULL);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    char line[1024], answer[512];
    while (!stop) {
        errno = 0;
        if (!fgets(line, sizeof line, stdin)) {
            if (errno == EINTR && !stop) { clearerr(stdin); continue; }
            break;
        }
        run_command(mc, line, answer, sizeof answer);
        printf("%s\n", answer);
        fflush(stdout);
    }
    while (!stop) pause();
    if (!nodelay_count && !getenv("MOCK_NAGLE_OK")) fprintf(stderr, "mockbroker: warning: no accepted socket got TCP_NODELAY\n");
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
