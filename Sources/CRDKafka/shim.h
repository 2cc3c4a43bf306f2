/* librdkafka for Swift. rdkafka_mock.h must come after rdkafka.h. */
#ifndef EVENTD_CRDKAFKA_SHIM_H
#define EVENTD_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdlib.h>

/* One header of an outgoing record. */
typedef struct eventd_out_header {
    const char *name;
    const void *value;
    size_t value_len;   /* ignored when value is NULL */
} eventd_out_header;

/* rd_kafka_producev is variadic and does not import into Swift; this wraps
 * rd_kafka_produceva for the one shape the daemon needs. The payload and key
 * are copied. Returns RD_KAFKA_RESP_ERR_NO_ERROR once queued. */
static inline rd_kafka_resp_err_t eventd_produce(rd_kafka_t *rk, const char *topic,
                                                 const void *key, size_t key_len,
                                                 const void *value, size_t value_len,
                                                 const eventd_out_header *headers, size_t header_count,
                                                 void *opaque) {
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(header_count);
    for (size_t i = 0; i < header_count; i++) {
        rd_kafka_header_add(hdrs, headers[i].name, -1, headers[i].value,
                            headers[i].value ? (ssize_t)headers[i].value_len : 0);
    }
    rd_kafka_vu_t vus[6];
    vus[0].vtype = RD_KAFKA_VTYPE_TOPIC; vus[0].u.cstr = topic;
    vus[1].vtype = RD_KAFKA_VTYPE_KEY; vus[1].u.mem.ptr = (void *)key; vus[1].u.mem.size = key ? key_len : 0;
    vus[2].vtype = RD_KAFKA_VTYPE_VALUE; vus[2].u.mem.ptr = (void *)value; vus[2].u.mem.size = value ? value_len : 0;
    vus[3].vtype = RD_KAFKA_VTYPE_HEADERS; vus[3].u.headers = hdrs;
    vus[4].vtype = RD_KAFKA_VTYPE_OPAQUE; vus[4].u.ptr = opaque;
    vus[5].vtype = RD_KAFKA_VTYPE_MSGFLAGS; vus[5].u.i = RD_KAFKA_MSG_F_COPY;
    rd_kafka_error_t *error = rd_kafka_produceva(rk, vus, 6);
    if (error) {
        rd_kafka_resp_err_t code = rd_kafka_error_code(error);
        rd_kafka_error_destroy(error);
        rd_kafka_headers_destroy(hdrs); /* not consumed on failure */
        return code;
    }
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

#endif
