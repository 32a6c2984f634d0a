/*
 * json_internal.h - what json_print.c and json_parse.c share
 * (json_common.c): the size of a repeated field's element, and the one
 * UTF-8 check both use (print replaces what fails it, parse names the field
 * that holds it).
 *
 * No state; no locks.
 */
#ifndef CRUDDUR_JSON_INTERNAL_H
#define CRUDDUR_JSON_INTERNAL_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* The size of one element of a repeated field of fd's type in protobuf-c's
 * arrays (the size of the field itself, for singular fields). */
size_t pjson_elem_size(const ProtobufCFieldDescriptor *fd);

/* The length (1 to 4) of the well-formed UTF-8 character that starts
 * s[0..len), len > 0; 0 when there is none (a stray continuation byte, an
 * overlong form, a surrogate, past U+10FFFF, cut short), as jansson judges. */
size_t pjson_utf8_char(const unsigned char *s, size_t len);

#endif /* CRUDDUR_JSON_INTERNAL_H */
