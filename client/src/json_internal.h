/*
 * json_internal.h - what json_print.c and json_parse.c share
 * (json_common.c): the size of a repeated field's element, and the one
 * UTF-8 check both use (print replaces what fails it, parse names the field
 * that holds it); and the marked copies of a text that json_parse.c reads
 * again to name a field (json_mark.c).
 *
 * No state; no locks.
 */
#ifndef CRUDDUR_JSON_INTERNAL_H
#define CRUDDUR_JSON_INTERNAL_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* The size of one element of a repeated field of fd's type in protobuf-c's
 * arrays (the size of the field itself, for singular fields). */
size_t cruddur_i_json_elem_size(const ProtobufCFieldDescriptor *fd);

/* The length (1 to 4) of the well-formed UTF-8 character that starts
 * s[0..len), len > 0; 0 when there is none (a stray continuation byte, an
 * overlong form, a surrogate, past U+10FFFF, cut short), as jansson judges. */
size_t cruddur_i_json_utf8_char(const unsigned char *s, size_t len);

/* U+10FFFF, a noncharacter: what json_parse.c marks a text with, to read
 * it again and find the field at fault (when the text holds none itself). */
#define PJSON_SENTINEL "\xf4\x8f\xbf\xbf"

/* A malloc'd copy of json[0..len), its length in *out_len, with each byte
 * that starts no well-formed UTF-8 character replaced by PJSON_SENTINEL;
 * NULL when memory ran out. */
char *cruddur_i_json_utf8_marked(const char *json, size_t len, size_t *out_len);

/* A malloc'd copy of json[0..len) with PJSON_SENTINEL at the start of the
 * key that ends at byte end (just past its closing quote: where jansson
 * says a duplicate key is); NULL when no key ends there or memory ran out. */
char *cruddur_i_json_dup_marked(const char *json, size_t len, size_t end, size_t *out_len);

#endif /* CRUDDUR_JSON_INTERNAL_H */
