// Adapters between Swift and libnghttp2. Only prefixed aliases, constants and one-line forwarders;
// no logic. Used solely by Upstream's NGHTTP2Session.
#ifndef CNGHTTP2_H
#define CNGHTTP2_H

#include <stdint.h>
#include <sys/types.h>
#include <nghttp2/nghttp2.h>

// Why: 1.60 renamed the ssize_t APIs (*2 names, nghttp2_ssize) and deprecated the old ones; Debian 12
// ships 1.52. Swift code uses only the cnghttp2_* names so it compiles against both.
#if NGHTTP2_VERSION_NUM >= 0x013c00
typedef nghttp2_ssize cnghttp2_ssize;
typedef nghttp2_data_provider2 cnghttp2_data_provider;
typedef nghttp2_data_source_read_callback2 cnghttp2_data_source_read_callback;

static inline cnghttp2_ssize cnghttp2_session_mem_recv(nghttp2_session *s, const uint8_t *in, size_t len) {
    return nghttp2_session_mem_recv2(s, in, len);
}
static inline cnghttp2_ssize cnghttp2_session_mem_send(nghttp2_session *s, const uint8_t **out) {
    return nghttp2_session_mem_send2(s, out);
}
static inline int32_t cnghttp2_submit_request(nghttp2_session *s, const nghttp2_nv *nva, size_t nvlen,
                                              const cnghttp2_data_provider *prd) {
    return nghttp2_submit_request2(s, NULL, nva, nvlen, prd, NULL);
}
#else
typedef ssize_t cnghttp2_ssize;
typedef nghttp2_data_provider cnghttp2_data_provider;
typedef nghttp2_data_source_read_callback cnghttp2_data_source_read_callback;

static inline cnghttp2_ssize cnghttp2_session_mem_recv(nghttp2_session *s, const uint8_t *in, size_t len) {
    return nghttp2_session_mem_recv(s, in, len);
}
static inline cnghttp2_ssize cnghttp2_session_mem_send(nghttp2_session *s, const uint8_t **out) {
    return nghttp2_session_mem_send(s, out);
}
// Why: priority specs are deprecated (RFC 9113) and stream user data is unused (streams are looked up
// by id), so both are always NULL.
static inline int32_t cnghttp2_submit_request(nghttp2_session *s, const nghttp2_nv *nva, size_t nvlen,
                                              const cnghttp2_data_provider *prd) {
    return nghttp2_submit_request(s, NULL, nva, nvlen, prd, NULL);
}
#endif

// Why: nghttp2 enums import into Swift as structs of differing widths; these fix each constant to
// the integer type of the API that takes or returns it.
static const int cnghttp2_err_deferred = NGHTTP2_ERR_DEFERRED;
static const int cnghttp2_err_temporal_callback_failure = NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
static const int cnghttp2_err_start_stream_not_allowed = NGHTTP2_ERR_START_STREAM_NOT_ALLOWED;
static const uint32_t cnghttp2_data_flag_eof = NGHTTP2_DATA_FLAG_EOF;
static const uint8_t cnghttp2_flag_none = NGHTTP2_FLAG_NONE;
static const uint8_t cnghttp2_flag_end_stream = NGHTTP2_FLAG_END_STREAM;
static const uint8_t cnghttp2_nv_flag_none = NGHTTP2_NV_FLAG_NONE;
static const uint8_t cnghttp2_frame_data = NGHTTP2_DATA;
static const uint8_t cnghttp2_frame_headers = NGHTTP2_HEADERS;
static const uint8_t cnghttp2_frame_settings = NGHTTP2_SETTINGS;
static const uint8_t cnghttp2_frame_goaway = NGHTTP2_GOAWAY;
static const uint8_t cnghttp2_frame_ping = NGHTTP2_PING;
static const uint8_t cnghttp2_flag_ack = NGHTTP2_FLAG_ACK;
static const int32_t cnghttp2_settings_enable_push = NGHTTP2_SETTINGS_ENABLE_PUSH;
static const int32_t cnghttp2_settings_initial_window_size = NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE;
static const int32_t cnghttp2_settings_max_concurrent_streams = NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS;
static const int32_t cnghttp2_settings_max_header_list_size = NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE;
static const uint32_t cnghttp2_no_error = NGHTTP2_NO_ERROR;
static const uint32_t cnghttp2_internal_error = NGHTTP2_INTERNAL_ERROR;
static const uint32_t cnghttp2_cancel = NGHTTP2_CANCEL;

// Why: the nghttp2_settings_id enum argument of get_remote_settings imports as a struct; this takes
// the int32_t constants above.
static inline uint32_t cnghttp2_session_get_remote_settings(nghttp2_session *s, int32_t id) {
    return nghttp2_session_get_remote_settings(s, (nghttp2_settings_id)id);
}

#endif
