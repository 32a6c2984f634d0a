/*
 * json_parse.c - cruddur_json_parse: canonical proto3 JSON into a
 * protobuf-c message (cruddur/json.h has the mapping).
 *
 * jansson reads the text into a tree (strict UTF-8, duplicate keys
 * refused, one value and nothing after it); the tree is then walked by the
 * message's descriptor, field by field, into a message built in a reply
 * arena (cruddur_i_reply_new), so that the caller frees it with cruddur_message_free
 * like every other message libcruddur hands out, and a failure halfway
 * frees it in one go. Each check fails with the path of the field it is
 * at ("activities[2].author.handle") and what it wanted there.
 *
 * Invalid UTF-8 and duplicate keys: jansson refuses the whole text and
 * says only where, as a byte offset. To name the field instead, the text is
 * read once more marked with a sentinel character (U+10FFFF, when the text
 * holds none of its own): in place of each bad UTF-8 sequence, or at the
 * start of the duplicate key (found back from where jansson stopped, just
 * past the key's closing quote); the walk then fails at the first string or
 * key that holds one. When the marked text does not lead to a field,
 * jansson's own message with its line and column is the error.
 *
 * No state and no locks: everything lives in the call's parse_ctx.
 */
#include <errno.h>
#include <limits.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cruddur/json.h"
#include "json_internal.h"
#include "reply_arena.h"

typedef struct parse_ctx {
	ProtobufCMessage *root;   /* owns the arena everything is allocated in */
	char              path[256];
	size_t            path_len;
	unsigned          skipped; /* pushes that found no room: "..." ends the path */
	bool              marked_dup; /* a key starting with PJSON_SENTINEL is a duplicate */
	char             *err;
	size_t            errlen;
	cruddur_status    st;
} parse_ctx;

/* Records the failure at the current path; returns -1 for `return fail(...)`. */
static int fail(parse_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(parse_ctx *ctx, const char *fmt, ...)
{
	char    msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->st = CRUDDUR_INVALID_ARGUMENT;
	if (ctx->err != NULL && ctx->errlen > 0) {
		if (ctx->path_len > 0 || ctx->skipped > 0)
			snprintf(ctx->err, ctx->errlen, "%s%s: %s", ctx->path,
			    ctx->skipped > 0 ? "..." : "", msg);
		else
			snprintf(ctx->err, ctx->errlen, "%s", msg);
	}
	return -1;
}

static int
fail_oom(parse_ctx *ctx)
{
	ctx->st = CRUDDUR_RESOURCE_EXHAUSTED;
	if (ctx->err != NULL && ctx->errlen > 0)
		snprintf(ctx->err, ctx->errlen, "out of memory reading JSON");
	return -1;
}

/* Appends ".key" (or "key" at the top) or "[i]" to the path; returns the
 * length to restore afterwards. Once one finds no room, the ones after it
 * append nothing until it is popped (pushes and pops nest). */
static size_t
path_push(parse_ctx *ctx, const char *key, size_t index)
{
	size_t saved = ctx->path_len, room = sizeof(ctx->path) - saved;
	int    n;

	if (ctx->skipped > 0) {
		ctx->skipped++;
		return saved;
	}
	if (key != NULL)
		n = snprintf(ctx->path + saved, room, "%s%s", saved > 0 ? "." : "", key);
	else
		n = snprintf(ctx->path + saved, room, "[%zu]", index);
	if (n < 0 || (size_t)n >= room) {
		ctx->path[saved] = '\0';
		ctx->skipped = 1;
	} else {
		ctx->path_len += (size_t)n;
	}
	return saved;
}

static void
path_pop(parse_ctx *ctx, size_t saved)
{
	if (ctx->skipped > 0)
		ctx->skipped--;
	ctx->path_len = saved;
	ctx->path[saved] = '\0';
}

static const char *
kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: case JSON_REAL: return "number";
	case JSON_TRUE: case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

/* A string from the input: refuses the sentinel (invalid UTF-8 there) and
 * U+0000, which a C string cannot hold. */
static int
input_string(parse_ctx *ctx, const json_t *v, const char **s, size_t *len)
{
	*s = json_string_value(v);
	*len = json_string_length(v);
	if (memchr(*s, '\0', *len) != NULL)
		return fail(ctx, "string holds U+0000, which cruddur strings cannot");
	if (strstr(*s, PJSON_SENTINEL) != NULL)
		return fail(ctx, "invalid UTF-8 in a string");
	return 0;
}

/* A whole decimal number in s, as the mapping allows 64-bit integers in
 * strings: an optional '-', digits, nothing else. */
static int
parse_decimal(const char *s, bool is_unsigned, int64_t *i, uint64_t *u)
{
	char *end;

	if (!(s[0] >= '0' && s[0] <= '9') && !(s[0] == '-' && !is_unsigned && s[1] >= '0' && s[1] <= '9'))
		return -1;
	errno = 0;
	if (is_unsigned)
		*u = strtoull(s, &end, 10);
	else
		*i = strtoll(s, &end, 10);
	if (*end != '\0')
		return -1;
	return errno == ERANGE ? 1 : 0;
}

/* An integer field's value, signed into *i (range [min, max]) or unsigned
 * into *u (range [0, umax]), from a JSON integer, an integral JSON real or
 * a decimal string. */
static int
get_integer(parse_ctx *ctx, const json_t *v, const char *type, int64_t min, int64_t max,
    uint64_t umax, bool is_unsigned, int64_t *i, uint64_t *u)
{
	const char *s;
	size_t      len;
	int         rv;

	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		if (is_unsigned ? (n < 0 || (uint64_t)n > umax) : (n < min || n > max))
			return fail(ctx, "%" JSON_INTEGER_FORMAT " is out of range for %s", n, type);
		*i = n;
		*u = (uint64_t)n;
		return 0;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d != floor(d))
			return fail(ctx, "expected an integer (%s), got %.17g", type, d);
		/* 2^63 and 2^64 are exact doubles; the bounds below are. */
		if (is_unsigned ? (d < 0 || d >= 18446744073709551616.0 || (uint64_t)d > umax)
		                : (d < (double)min || d >= 9223372036854775808.0 || (int64_t)d > max))
			return fail(ctx, "%.9g is out of range for %s", d, type);
		if (is_unsigned)
			*u = (uint64_t)d;
		else
			*i = (int64_t)d;
		return 0;
	}
	if (!json_is_string(v))
		return fail(ctx, "expected an integer (%s), got %s", type, kind(v));
	if (input_string(ctx, v, &s, &len) != 0)
		return -1;
	if ((rv = parse_decimal(s, is_unsigned, i, u)) < 0)
		return fail(ctx, "expected an integer (%s), got the string \"%.40s\"", type, s);
	if (rv > 0 || (is_unsigned ? *u > umax : (*i < min || *i > max)))
		return fail(ctx, "%.40s is out of range for %s", s, type);
	return 0;
}

static int
get_double(parse_ctx *ctx, const json_t *v, bool is_float, double *out)
{
	const char *s, *type = is_float ? "float" : "double";
	size_t      len;
	char       *end;

	if (json_is_number(v)) {
		*out = json_number_value(v);
	} else if (!json_is_string(v)) {
		return fail(ctx, "expected a number (%s), got %s", type, kind(v));
	} else if (input_string(ctx, v, &s, &len) != 0) {
		return -1;
	} else if (strcmp(s, "NaN") == 0) {
		*out = NAN;
		return 0;
	} else if (strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0) {
		*out = s[0] == '-' ? -INFINITY : INFINITY;
		return 0;
	} else {
		/* strtod would take "inf", "nan" and hex too: JSON's digits only. */
		if (len == 0 || strspn(s, "0123456789+-.eE") != len)
			return fail(ctx, "expected a number (%s), got the string \"%.40s\"", type, s);
		errno = 0;
		*out = strtod(s, &end);
		if (*end != '\0')
			return fail(ctx, "expected a number (%s), got the string \"%.40s\"", type, s);
		if (errno == ERANGE && isinf(*out))
			return fail(ctx, "%.40s is out of range for %s", s, type);
	}
	if (is_float && isfinite(*out) && fabs(*out) > FLT_MAX)
		return fail(ctx, "%.9g is out of range for float", *out);
	return 0;
}

static int
get_enum(parse_ctx *ctx, const json_t *v, const ProtobufCEnumDescriptor *d, int *out)
{
	const ProtobufCEnumValue *ev;
	const char               *s;
	size_t                    len;
	int64_t                   i;
	uint64_t                  u;

	if (json_is_string(v)) {
		if (input_string(ctx, v, &s, &len) != 0)
			return -1;
		if ((ev = protobuf_c_enum_descriptor_get_value_by_name(d, s)) == NULL)
			return fail(ctx, "\"%.60s\" is not a value of enum %s", s, d->name);
		*out = ev->value;
		return 0;
	}
	if (!json_is_number(v))
		return fail(ctx, "expected an enum %s (a name or a number), got %s", d->name, kind(v));
	/* proto3 enums are open: any int32 is a value. */
	if (get_integer(ctx, v, d->name, INT32_MIN, INT32_MAX, 0, false, &i, &u) != 0)
		return -1;
	*out = (int)i;
	return 0;
}

/* One base64 digit, standard or URL-safe; -1 for anything else. */
static int
b64_digit(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

static int
get_bytes(parse_ctx *ctx, const json_t *v, ProtobufCBinaryData *out)
{
	const char *s;
	size_t      len, n = 0, i;
	uint8_t    *data;
	uint32_t    acc = 0;
	int         bits = 0;

	if (!json_is_string(v))
		return fail(ctx, "expected a base64 string (bytes), got %s", kind(v));
	if (input_string(ctx, v, &s, &len) != 0)
		return -1;
	/* Padding is optional; when there, it completes the last group. */
	size_t digits = len;
	while (digits > 0 && s[digits - 1] == '=')
		digits--;
	if (digits % 4 == 1 || len - digits > 2 || (len != digits && len % 4 != 0))
		return fail(ctx, "not base64 (bytes): bad length or padding");
	if ((data = cruddur_i_reply_alloc(ctx->root, digits * 3 / 4 + 1)) == NULL)
		return fail_oom(ctx);
	for (i = 0; i < digits; i++) {
		int d = b64_digit((unsigned char)s[i]);
		if (d < 0)
			return fail(ctx, "not base64 (bytes): '%c' at %zu", s[i], i);
		acc = (acc << 6) | (uint32_t)d;
		if ((bits += 6) >= 8) {
			bits -= 8;
			data[n++] = (uint8_t)(acc >> bits);
		}
	}
	out->data = data;
	out->len = n;
	return 0;
}

static int parse_object(parse_ctx *ctx, const json_t *o, ProtobufCMessage *m);

/* One value (not null) of field fd into p (an element, for repeated). */
static int
parse_value(parse_ctx *ctx, const ProtobufCFieldDescriptor *fd, const json_t *v, void *p)
{
	int64_t     i;
	uint64_t    u;
	double      d;
	const char *s;
	size_t      len;

	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
		if (get_integer(ctx, v, "int32", INT32_MIN, INT32_MAX, 0, false, &i, &u) != 0)
			return -1;
		*(int32_t *)p = (int32_t)i;
		return 0;
	case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
		if (get_integer(ctx, v, "uint32", 0, 0, UINT32_MAX, true, &i, &u) != 0)
			return -1;
		*(uint32_t *)p = (uint32_t)u;
		return 0;
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
		if (get_integer(ctx, v, "int64", INT64_MIN, INT64_MAX, 0, false, &i, &u) != 0)
			return -1;
		*(int64_t *)p = i;
		return 0;
	case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
		if (get_integer(ctx, v, "uint64", 0, 0, UINT64_MAX, true, &i, &u) != 0)
			return -1;
		*(uint64_t *)p = u;
		return 0;
	case PROTOBUF_C_TYPE_FLOAT:
		if (get_double(ctx, v, true, &d) != 0)
			return -1;
		*(float *)p = (float)d;
		return 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		return get_double(ctx, v, false, (double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_is_boolean(v))
			return fail(ctx, "expected true or false, got %s", kind(v));
		*(protobuf_c_boolean *)p = json_is_true(v);
		return 0;
	case PROTOBUF_C_TYPE_ENUM:
		return get_enum(ctx, v, fd->descriptor, (int *)p);
	case PROTOBUF_C_TYPE_STRING: {
		if (!json_is_string(v))
			return fail(ctx, "expected a string, got %s", kind(v));
		if (input_string(ctx, v, &s, &len) != 0)
			return -1;
		char *copy = cruddur_i_reply_alloc(ctx->root, len + 1);
		if (copy == NULL)
			return fail_oom(ctx);
		memcpy(copy, s, len + 1);
		*(char **)p = copy;
		return 0;
	}
	case PROTOBUF_C_TYPE_BYTES:
		return get_bytes(ctx, v, p);
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessageDescriptor *sd = fd->descriptor;
		if (!json_is_object(v))
			return fail(ctx, "expected an object (%s), got %s", sd->name, kind(v));
		ProtobufCMessage *sub = cruddur_i_reply_alloc(ctx->root, sd->sizeof_message);
		if (sub == NULL)
			return fail_oom(ctx);
		protobuf_c_message_init(sd, sub);
		*(ProtobufCMessage **)p = sub;
		return parse_object(ctx, v, sub);
	}
	}
	return fail(ctx, "field type %d is not supported", (int)fd->type);
}

static int
parse_repeated(parse_ctx *ctx, const ProtobufCFieldDescriptor *fd, const json_t *v, char *base)
{
	size_t n = json_array_size(v), size = cruddur_i_json_elem_size(fd);
	char  *arr;

	if (!json_is_array(v))
		return fail(ctx, "expected an array, got %s", kind(v));
	if (n == 0)
		return 0;
	if ((arr = cruddur_i_reply_alloc(ctx->root, n * size)) == NULL)
		return fail_oom(ctx);
	memset(arr, 0, n * size);
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, i);
		size_t        saved = path_push(ctx, NULL, i);
		if (json_is_null(e))
			return fail(ctx, "null is not allowed in a repeated field");
		if (parse_value(ctx, fd, e, arr + i * size) != 0)
			return -1;
		path_pop(ctx, saved);
	}
	*(size_t *)(base + fd->quantifier_offset) = n;
	*(void **)(base + fd->offset) = arr;
	return 0;
}

/* Field fd given the value v (not yet seen in this object). */
static int
parse_field(parse_ctx *ctx, const ProtobufCFieldDescriptor *fd, const json_t *v, char *base)
{
	if (json_is_null(v))
		return 0; /* the default: repeated empty, message absent, oneof unset */
	if (fd->label == PROTOBUF_C_LABEL_REPEATED)
		return parse_repeated(ctx, fd, v, base);
	if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		uint32_t *c = (uint32_t *)(base + fd->quantifier_offset);
		if (*c != 0 && *c != fd->id)
			return fail(ctx, "another field of its oneof is set already");
		*c = fd->id;
	} else if (fd->label == PROTOBUF_C_LABEL_OPTIONAL && fd->type != PROTOBUF_C_TYPE_MESSAGE &&
	           fd->type != PROTOBUF_C_TYPE_STRING) {
		*(protobuf_c_boolean *)(base + fd->quantifier_offset) = 1;
	}
	return parse_value(ctx, fd, v, base + fd->offset);
}

/* The field key names: its .proto name, or its lowerCamelCase JSON name
 * (protobuf's ToJsonName: each '_' dropped, the letter after it upper). */
static const ProtobufCFieldDescriptor *
find_field(const ProtobufCMessageDescriptor *d, const char *key)
{
	const ProtobufCFieldDescriptor *fd = protobuf_c_message_descriptor_get_field_by_name(d, key);

	for (unsigned i = 0; fd == NULL && i < d->n_fields; i++) {
		const char *n = d->fields[i].name, *k = key;
		bool        up = false;
		for (; *n != '\0'; n++) {
			if (*n == '_') {
				up = true;
				continue;
			}
			char want = up && *n >= 'a' && *n <= 'z' ? (char)(*n - 'a' + 'A') : *n;
			up = false;
			if (*k++ != want)
				break;
		}
		if (*n == '\0' && *k == '\0')
			fd = &d->fields[i];
	}
	return fd;
}

static int
parse_object(parse_ctx *ctx, const json_t *o, ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char                       *key;
	json_t                           *v;
	int                               rv = 0;
	/* The key each field was given as, to refuse it under its other name. */
	const char **seen = calloc(d->n_fields + 1, sizeof(*seen));

	if (seen == NULL)
		return fail_oom(ctx);
	/* jansson refuses U+0000 in keys itself: a key is a C string. */
	json_object_foreach((json_t *)o, key, v) {
		size_t saved = path_push(ctx, key, 0);
		if (ctx->marked_dup && strncmp(key, PJSON_SENTINEL, 4) == 0) {
			path_pop(ctx, saved);
			path_push(ctx, key + 4, 0);
			rv = fail(ctx, "key given twice");
			break;
		}
		if (strstr(key, PJSON_SENTINEL) != NULL) {
			/* The key holds the sentinel where its bad bytes were: the
			 * message names the object it is in, not those U+10FFFFs. */
			path_pop(ctx, saved);
			rv = fail(ctx, "invalid UTF-8 in a key");
			break;
		}
		const ProtobufCFieldDescriptor *fd = find_field(d, key);
		if (fd == NULL) {
			rv = fail(ctx, "unknown field (%s has no field \"%.60s\")", d->name, key);
			break;
		}
		size_t fi = (size_t)(fd - d->fields);
		if (seen[fi] != NULL) {
			rv = fail(ctx, "field %s given twice (as \"%.60s\" and \"%.60s\")", fd->name,
			    seen[fi], key);
			break;
		}
		seen[fi] = key;
		if ((rv = parse_field(ctx, fd, v, (char *)m)) != 0)
			break;
		path_pop(ctx, saved);
	}
	for (unsigned i = 0; rv == 0 && i < d->n_fields; i++)
		if (d->fields[i].label == PROTOBUF_C_LABEL_REQUIRED && seen[i] == NULL)
			rv = fail(ctx, "missing required field %s", d->fields[i].name);
	free(seen);
	return rv;
}

#define LOAD_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* Walks root into a new message of type d; 0 and ctx->root, or -1. */
static int
walk(parse_ctx *ctx, const ProtobufCMessageDescriptor *d, const json_t *root, size_t len)
{
	if (!json_is_object(root))
		return fail(ctx, "expected a JSON object (%s), got %s", d->name, kind(root));
	if ((ctx->root = cruddur_i_reply_new(d, len)) == NULL)
		return fail_oom(ctx);
	if (parse_object(ctx, root, ctx->root) != 0) {
		cruddur_i_reply_free(ctx->root);
		ctx->root = NULL;
		return -1;
	}
	return 0;
}

cruddur_status
cruddur_json_parse(const ProtobufCMessageDescriptor *d, const char *json, size_t len,
    ProtobufCMessage **out, char *err, size_t errlen)
{
	parse_ctx    ctx = { .err = err, .errlen = errlen, .st = CRUDDUR_OK };
	json_error_t je;
	json_t      *root = json_loadb(json, len, LOAD_FLAGS, &je);

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (root == NULL && json_error_code(&je) == json_error_out_of_memory) {
		fail_oom(&ctx);
		return ctx.st;
	}
	/* Read a marked copy again to name the field (the file's head). */
	enum json_error_code code = root == NULL ? json_error_code(&je) : json_error_unknown;
	if ((code == json_error_invalid_utf8 || code == json_error_duplicate_key) &&
	    memmem(json, len, PJSON_SENTINEL, 4) == NULL) {
		size_t  mlen = 0;
		json_t *mroot = NULL;
		char   *marked = code == json_error_invalid_utf8
		                     ? cruddur_i_json_utf8_marked(json, len, &mlen)
		                     : cruddur_i_json_dup_marked(json, len, (size_t)je.position, &mlen);
		/* Duplicates allowed now: the marked key is another key. */
		if (marked != NULL)
			mroot = json_loadb(marked, mlen, LOAD_FLAGS & ~JSON_REJECT_DUPLICATES, NULL);
		free(marked);
		ctx.marked_dup = code == json_error_duplicate_key;
		if (mroot != NULL && walk(&ctx, d, mroot, len) != 0 && ctx.st == CRUDDUR_INVALID_ARGUMENT) {
			json_decref(mroot);
			return ctx.st;
		}
		if (ctx.root != NULL)
			cruddur_i_reply_free(ctx.root);
		json_decref(mroot);
		ctx = (parse_ctx){ .err = err, .errlen = errlen, .st = CRUDDUR_OK };
	}
	if (root == NULL) {
		fail(&ctx, "not JSON: %s (line %d, column %d)", je.text, je.line, je.column);
		return ctx.st;
	}
	if (walk(&ctx, d, root, len) == 0)
		*out = ctx.root;
	json_decref(root);
	return ctx.st;
}
