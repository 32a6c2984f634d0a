/*
 * print.c - JSON from protobuf-c descriptors, and times for humans.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "print.h"

void
print_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void
print_base64(FILE *f, const ProtobufCBinaryData *b)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	fputc('"', f);
	for (size_t i = 0; i < b->len; i += 3) {
		uint32_t v = (uint32_t)b->data[i] << 16;
		if (i + 1 < b->len)
			v |= (uint32_t)b->data[i + 1] << 8;
		if (i + 2 < b->len)
			v |= b->data[i + 2];
		fputc(tbl[(v >> 18) & 63], f);
		fputc(tbl[(v >> 12) & 63], f);
		fputc(i + 1 < b->len ? tbl[(v >> 6) & 63] : '=', f);
		fputc(i + 2 < b->len ? tbl[v & 63] : '=', f);
	}
	fputc('"', f);
}

static void
print_enum(FILE *f, const ProtobufCEnumDescriptor *d, int value)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
	if (v != NULL)
		print_json_string(f, v->name);
	else
		fprintf(f, "%d", value);
}

/* One value of field fd at p (an element, for repeated fields). */
static void print_object(FILE *f, const ProtobufCMessage *m);

static void
print_value(FILE *f, const ProtobufCFieldDescriptor *fd, const void *p)
{
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
		fprintf(f, "%" PRId32, *(const int32_t *)p); break;
	case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
		fprintf(f, "%" PRIu32, *(const uint32_t *)p); break;
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
		fprintf(f, "%" PRId64, *(const int64_t *)p); break;
	case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
		fprintf(f, "%" PRIu64, *(const uint64_t *)p); break;
	case PROTOBUF_C_TYPE_FLOAT: fprintf(f, "%.9g", (double)*(const float *)p); break;
	case PROTOBUF_C_TYPE_DOUBLE: fprintf(f, "%.17g", *(const double *)p); break;
	case PROTOBUF_C_TYPE_BOOL: fputs(*(const protobuf_c_boolean *)p ? "true" : "false", f); break;
	case PROTOBUF_C_TYPE_ENUM: print_enum(f, fd->descriptor, *(const int *)p); break;
	case PROTOBUF_C_TYPE_STRING: print_json_string(f, *(char *const *)p); break;
	case PROTOBUF_C_TYPE_BYTES: print_base64(f, p); break;
	case PROTOBUF_C_TYPE_MESSAGE:
		if (*(ProtobufCMessage *const *)p == NULL)
			fputs("null", f);
		else
			print_object(f, *(ProtobufCMessage *const *)p);
		break;
	}
}

static size_t
value_size(const ProtobufCFieldDescriptor *fd)
{
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: return 8;
	case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_ENUM: return sizeof(int);
	case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
	default: return 4;
	}
}

static void
print_object(FILE *f, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char                       *base = (const char *)m;

	fputc('{', f);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		if (i > 0)
			fputc(',', f);
		print_json_string(f, fd->name);
		fputc(':', f);
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t      n = *(const size_t *)(base + fd->quantifier_offset);
			const char *arr = *(const char *const *)(base + fd->offset);
			fputc('[', f);
			for (size_t j = 0; j < n; j++) {
				if (j > 0)
					fputc(',', f);
				print_value(f, fd, arr + j * value_size(fd));
			}
			fputc(']', f);
		} else {
			print_value(f, fd, base + fd->offset);
		}
	}
	fputc('}', f);
}

void
print_json(FILE *f, const ProtobufCMessage *m)
{
	print_object(f, m);
	fputc('\n', f);
}

const char *
print_time(int64_t us, char *buf, size_t len)
{
	if (us == 0)
		return "-";
	time_t    t = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}
