/* librdkafka for Swift. rdkafka_mock.h must come after rdkafka.h. */
#ifndef EVENTD_CRDKAFKA_SHIM_H
#define EVENTD_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdlib.h>

/* rd_kafka_producev is variadic and does not import into Swift; this wraps
 * rd_kafka_produceva for the one shape the daemon needs. The payload and key
 * are copied. Returns NULL once queued (librdkafka then owns `headers`), else
 * the error, which the caller destroys, and `headers` stay the caller's. */
static inline rd_kafka_error_t *eventd_produce(rd_kafka_t *rk, const char *topic,
                                               const void *key, size_t key_len,
                                               const void *value, size_t value_len,
                                               rd_kafka_headers_t *headers, void *opaque) {
    rd_kafka_vu_t vus[6];
    vus[0].vtype = RD_KAFKA_VTYPE_TOPIC; vus[0].u.cstr = topic;
    vus[1].vtype = RD_KAFKA_VTYPE_KEY; vus[1].u.mem.ptr = (void *)key; vus[1].u.mem.size = key ? key_len : 0;
    vus[2].vtype = RD_KAFKA_VTYPE_VALUE; vus[2].u.mem.ptr = (void *)value; vus[2].u.mem.size = value ? value_len : 0;
    vus[3].vtype = RD_KAFKA_VTYPE_HEADERS; vus[3].u.headers = headers;
    vus[4].vtype = RD_KAFKA_VTYPE_OPAQUE; vus[4].u.ptr = opaque;
    vus[5].vtype = RD_KAFKA_VTYPE_MSGFLAGS; vus[5].u.i = RD_KAFKA_MSG_F_COPY;
    return rd_kafka_produceva(rk, vus, 6);
}

#endif
