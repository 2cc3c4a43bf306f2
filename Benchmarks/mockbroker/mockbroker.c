/* mockbroker: a librdkafka mock cluster in its own process, for one benchmark
 * run. Usage: mockbroker PARTITIONS TOPIC... — prints the bootstrap address on
 * stdout (one line) and runs until SIGTERM/SIGINT.
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
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

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
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, 1);
    if (!mc) { fprintf(stderr, "mockbroker: cannot start the mock cluster\n"); return 1; }
    for (int i = 2; i < argc; i++) {
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, argv[i], partitions, 1);
        if (err) { fprintf(stderr, "mockbroker: topic %s: %s\n", argv[i], rd_kafka_err2str(err)); return 1; }
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    while (!stop) pause();
    if (!nodelay_count && !getenv("MOCK_NAGLE_OK")) fprintf(stderr, "mockbroker: warning: no accepted socket got TCP_NODELAY\n");
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
