/*
 * http_status.h - what the HTTP gateway answers a status with: the HTTP code
 * of google.rpc's mapping (google/rpc/code.proto) and the JSON error body
 * {"code": N, "status": "NAME", "message": "..."}.
 *
 * No state: thread-safe.
 */
#ifndef CRUDDUR_HTTP_STATUS_H
#define CRUDDUR_HTTP_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "cruddur/status.h"

/* The HTTP status code for st (OK 200, INVALID_ARGUMENT 400, ..., an
 * unknown value 500). */
uint16_t http_status_from_rpc(cruddur_status st);

/* The reason phrase of an HTTP code the gateway answers with (RFC 9110's;
 * 499 is nginx's): nng 1.5.2 knows no phrase for some (413). */
const char *http_reason(uint16_t code);

/* The error body of st with message (NULL: ""; bytes that are not UTF-8 are
 * quoted, base/text.h), built by jansson: malloc'd (the caller frees),
 * NUL-terminated, *len its length. NULL when out of memory. */
char *http_error_body(cruddur_status st, const char *message, size_t *len);

#endif /* CRUDDUR_HTTP_STATUS_H */
