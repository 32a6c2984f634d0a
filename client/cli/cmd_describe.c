/*
 * cmd_describe.c - `cruddur describe [SYMBOL]`: what the server serves, from
 * its own descriptors (cruddur.v1.Reflection), printed as the .proto-like
 * text of `grpcurl describe`.
 *
 *   (nothing)                   every service, sorted by full name
 *   cruddur.v1.Health           a service: its methods, their types, options
 *   cruddur.v1.Health/Check     a method (also cruddur.v1.Health.Check): its
 *                               signature, then its request and response
 *   cruddur.v1.HealthCheckResponse           a message: its fields, nested
 *   cruddur.v1.HealthCheckResponse.ServingStatus  types inside; an enum
 *
 * Each block starts with "NAME is a service:" (method, message, an enum) as
 * grpcurl's does; type names are fully qualified with a leading dot. No
 * local .proto file is read: the set comes from the server, so this shows
 * what that server was built from. It is decoded with the subset of
 * descriptor.proto that stubgen uses (tools/stubgen/descriptor_subset.proto);
 * what the subset leaves out (comments, field options) is not shown.
 *
 * A name the set does not hold is NOT_FOUND, reported as a failed call is
 * (stderr, exit 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "cmd_describe.h"
#include "descriptor_subset.pb-c.h"

typedef Stubgen__FileDescriptorSet      file_set;
typedef Stubgen__FileDescriptorProto    file_proto;
typedef Stubgen__DescriptorProto        message_proto;
typedef Stubgen__FieldDescriptorProto   field_proto;
typedef Stubgen__EnumDescriptorProto    enum_proto;
typedef Stubgen__ServiceDescriptorProto service_proto;
typedef Stubgen__MethodDescriptorProto  method_proto;

/* What a full name stands for. */
typedef struct symbol {
	enum { SYM_NONE, SYM_SERVICE, SYM_METHOD, SYM_MESSAGE, SYM_ENUM } kind;
	const file_proto    *file;
	const service_proto *service;
	const method_proto  *method;
	const message_proto *message;
	const enum_proto    *enumt;
	char                 name[512]; /* canonical: "cruddur.v1.Health.Check" */
} symbol;

/* The text after "prefix." in name, or NULL when name does not start so. */
static const char *
after(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 0)
		return name;
	return strncmp(name, prefix, n) == 0 && name[n] == '.' ? name + n + 1 : NULL;
}

/* A message or enum named rest ("A", "A.B") among ms and es, nested at any
 * depth. */
static bool
find_type(message_proto *const *ms, size_t n_ms, enum_proto *const *es, size_t n_es,
    const char *rest, symbol *out)
{
	for (size_t i = 0; i < n_es; i++)
		if (strcmp(es[i]->name, rest) == 0) {
			out->kind = SYM_ENUM;
			out->enumt = es[i];
			return true;
		}
	for (size_t i = 0; i < n_ms; i++) {
		const message_proto *m = ms[i];
		const char          *inner = after(rest, m->name);
		if (strcmp(rest, m->name) == 0) {
			out->kind = SYM_MESSAGE;
			out->message = m;
			return true;
		}
		if (inner != NULL &&
		    find_type(m->nested_type, m->n_nested_type, m->enum_type, m->n_enum_type, inner, out))
			return true;
	}
	return false;
}

/* Resolves name (a leading dot and a "/" before the method are allowed). */
static bool
resolve(const file_set *set, const char *name, symbol *out)
{
	char full[512];

	memset(out, 0, sizeof(*out));
	if (name[0] == '.')
		name++;
	if (snprintf(full, sizeof(full), "%s", name) >= (int)sizeof(full))
		return false;
	char *slash = strchr(full, '/');
	if (slash != NULL)
		*slash = '.';
	snprintf(out->name, sizeof(out->name), "%s", full);
	for (size_t f = 0; f < set->n_file; f++) {
		const file_proto *file = set->file[f];
		const char       *rest = after(full, file->package != NULL ? file->package : "");
		if (rest == NULL)
			continue;
		out->file = file;
		for (size_t s = 0; s < file->n_service && slash == NULL; s++)
			if (strcmp(file->service[s]->name, rest) == 0) {
				out->kind = SYM_SERVICE;
				out->service = file->service[s];
				return true;
			}
		for (size_t s = 0; s < file->n_service; s++) {
			const char *m = after(rest, file->service[s]->name);
			for (size_t i = 0; m != NULL && i < file->service[s]->n_method; i++)
				if (strcmp(file->service[s]->method[i]->name, m) == 0) {
					out->kind = SYM_METHOD;
					out->service = file->service[s];
					out->method = file->service[s]->method[i];
					return true;
				}
		}
		if (slash == NULL && find_type(file->message_type, file->n_message_type, file->enum_type,
		                         file->n_enum_type, rest, out))
			return true;
	}
	out->kind = SYM_NONE;
	return false;
}

static const char *
scalar_name(Stubgen__FieldDescriptorProto__Type t)
{
	static const char *const names[] = { NULL, "double", "float", "int64", "uint64", "int32",
		"fixed64", "fixed32", "bool", "string", "group", NULL, "bytes", "uint32", NULL,
		"sfixed32", "sfixed64", "sint32", "sint64" };

	return (size_t)t < sizeof(names) / sizeof(names[0]) ? names[t] : NULL;
}

/* Every name this file reads is there: the set came from the network, and
 * proto2 leaves an absent string NULL. */
static bool
enum_valid(const enum_proto *e)
{
	for (size_t i = 0; e->name != NULL && i < e->n_value; i++)
		if (e->value[i]->name == NULL)
			return false;
	return e->name != NULL;
}

static bool
message_valid(const message_proto *m)
{
	for (size_t i = 0; m->name != NULL && i < m->n_field; i++)
		if (m->field[i]->name == NULL || (m->field[i]->type_name == NULL &&
		                                     (!m->field[i]->has_type || scalar_name(m->field[i]->type) == NULL)))
			return false;
	for (size_t i = 0; i < m->n_oneof_decl; i++)
		if (m->oneof_decl[i]->name == NULL)
			return false;
	for (size_t i = 0; i < m->n_nested_type; i++)
		if (!message_valid(m->nested_type[i]))
			return false;
	for (size_t i = 0; i < m->n_enum_type; i++)
		if (!enum_valid(m->enum_type[i]))
			return false;
	return m->name != NULL;
}

static bool
set_valid(const file_set *set)
{
	for (size_t f = 0; f < set->n_file; f++) {
		const file_proto *file = set->file[f];
		for (size_t i = 0; i < file->n_message_type; i++)
			if (!message_valid(file->message_type[i]))
				return false;
		for (size_t i = 0; i < file->n_enum_type; i++)
			if (!enum_valid(file->enum_type[i]))
				return false;
		for (size_t s = 0; s < file->n_service; s++) {
			const service_proto *svc = file->service[s];
			if (svc->name == NULL)
				return false;
			for (size_t i = 0; i < svc->n_method; i++)
				if (svc->method[i]->name == NULL || svc->method[i]->input_type == NULL ||
				    svc->method[i]->output_type == NULL)
					return false;
		}
	}
	return true;
}

/* The .proto type of f: a scalar's name, else its fully qualified type. */
static const char *
type_name(const field_proto *f)
{
	const char *s = f->has_type ? scalar_name(f->type) : NULL;

	return s != NULL ? s : (f->type_name != NULL ? f->type_name : "?");
}

/* The entry type of a map field (a nested message with map_entry), or NULL. */
static const message_proto *
map_entry(const file_set *set, const field_proto *f)
{
	symbol t;

	if (!f->has_type || f->type != STUBGEN__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE ||
	    f->label != STUBGEN__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED || f->type_name == NULL ||
	    !resolve(set, f->type_name, &t) || t.kind != SYM_MESSAGE)
		return NULL;
	if (t.message->options == NULL || !t.message->options->map_entry || t.message->n_field != 2)
		return NULL;
	return t.message;
}

static void
print_field(const file_set *set, const file_proto *file, const field_proto *f, int depth)
{
	const message_proto *entry = map_entry(set, f);
	const char          *label = "";

	if (entry != NULL) {
		printf("%*smap<%s, %s> %s = %d;\n", depth * 2, "", type_name(entry->field[0]),
		    type_name(entry->field[1]), f->name, f->number);
		return;
	}
	if (f->label == STUBGEN__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED)
		label = "repeated ";
	else if (f->label == STUBGEN__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REQUIRED)
		label = "required ";
	else if (f->proto3_optional || file->syntax == NULL || strcmp(file->syntax, "proto3") != 0)
		label = "optional ";
	printf("%*s%s%s %s = %d;\n", depth * 2, "", label, type_name(f), f->name, f->number);
}

static void
print_enum(const enum_proto *e, int depth)
{
	printf("%*senum %s {\n", depth * 2, "", e->name);
	for (size_t i = 0; i < e->n_value; i++)
		printf("%*s%s = %d;\n", depth * 2 + 2, "", e->value[i]->name, e->value[i]->number);
	printf("%*s}\n", depth * 2, "");
}

/* In a oneof that the .proto wrote (not proto3's `optional`). */
static bool
in_oneof(const field_proto *f)
{
	return f->has_oneof_index && !f->proto3_optional;
}

/* The message as in a .proto: fields in their order (a oneof where its
 * first field is), then nested messages (map entries are the map fields)
 * and enums. */
static void
print_message(const file_set *set, const file_proto *file, const message_proto *m, int depth)
{
	printf("%*smessage %s {\n", depth * 2, "", m->name);
	for (size_t i = 0; i < m->n_field; i++) {
		const field_proto *f = m->field[i];
		if (!in_oneof(f)) {
			print_field(set, file, f, depth + 1);
			continue;
		}
		bool first = true;
		for (size_t j = 0; j < i && first; j++)
			first = !(in_oneof(m->field[j]) && m->field[j]->oneof_index == f->oneof_index);
		if (!first)
			continue;
		const char *name = (size_t)f->oneof_index < m->n_oneof_decl ? m->oneof_decl[f->oneof_index]->name : "?";
		printf("%*soneof %s {\n", depth * 2 + 2, "", name);
		for (size_t j = i; j < m->n_field; j++)
			if (in_oneof(m->field[j]) && m->field[j]->oneof_index == f->oneof_index)
				print_field(set, file, m->field[j], depth + 2);
		printf("%*s}\n", depth * 2 + 2, "");
	}
	for (size_t i = 0; i < m->n_nested_type; i++)
		if (m->nested_type[i]->options == NULL || !m->nested_type[i]->options->map_entry)
			print_message(set, file, m->nested_type[i], depth + 1);
	for (size_t i = 0; i < m->n_enum_type; i++)
		print_enum(m->enum_type[i], depth + 1);
	printf("%*s}\n", depth * 2, "");
}

static void
print_method(const method_proto *m, int depth)
{
	static const char *const levels[] = { "IDEMPOTENCY_UNKNOWN", "NO_SIDE_EFFECTS", "IDEMPOTENT" };
	bool                     option = m->options != NULL && m->options->has_idempotency_level &&
	    (size_t)m->options->idempotency_level < sizeof(levels) / sizeof(levels[0]);

	printf("%*srpc %s ( %s%s ) returns ( %s%s )%s\n", depth * 2, "", m->name,
	    m->client_streaming ? "stream " : "", m->input_type, m->server_streaming ? "stream " : "",
	    m->output_type, option ? " {" : ";");
	if (option)
		printf("%*soption idempotency_level = %s;\n%*s}\n", depth * 2 + 2, "",
		    levels[m->options->idempotency_level], depth * 2, "");
}

static void
print_service(const service_proto *s)
{
	printf("service %s {\n", s->name);
	for (size_t i = 0; i < s->n_method; i++)
		print_method(s->method[i], 1);
	printf("}\n");
}

/* "NAME is a message:" and the message, for a method's request or response. */
static void
print_type_named(const file_set *set, const char *name)
{
	symbol t;

	if (!resolve(set, name, &t) || t.kind != SYM_MESSAGE) {
		printf("%s is not in the server's descriptors\n", name);
		return;
	}
	printf("%s is a message:\n", t.name);
	print_message(set, t.file, t.message, 0);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const symbol *)a)->name, ((const symbol *)b)->name);
}

static int
print_all_services(const file_set *set)
{
	size_t  n = 0, cap = 0;
	symbol *all = NULL;

	for (size_t f = 0; f < set->n_file; f++)
		for (size_t s = 0; s < set->file[f]->n_service; s++) {
			if (n == cap) {
				symbol *grown = realloc(all, (cap = cap ? cap * 2 : 8) * sizeof(*all));
				if (grown == NULL) {
					free(all);
					fprintf(stderr, "cruddur: describe: out of memory\n");
					return EXIT_CALL_FAILED;
				}
				all = grown;
			}
			const file_proto *file = set->file[f];
			all[n] = (symbol){ .kind = SYM_SERVICE, .file = file, .service = file->service[s] };
			snprintf(all[n].name, sizeof(all[n].name), "%s%s%s", file->package ? file->package : "",
			    file->package ? "." : "", file->service[s]->name);
			n++;
		}
	qsort(all, n, sizeof(*all), by_name);
	for (size_t i = 0; i < n; i++) {
		printf("%s is a service:\n", all[i].name);
		print_service(all[i].service);
	}
	free(all);
	return 0;
}

static int
describe(const file_set *set, const char *name)
{
	symbol s;

	if (name == NULL)
		return print_all_services(set);
	if (!resolve(set, name, &s)) {
		/* The way a failed call is reported (cli_call_failed). */
		fprintf(stderr, "cruddur: describe: %s: the server serves no service, method, message "
		    "or enum named \"%s\" (cruddur describe lists its services)\n",
		    cruddur_status_name(CRUDDUR_NOT_FOUND), name);
		return EXIT_CALL_FAILED;
	}
	switch (s.kind) {
	case SYM_SERVICE:
		printf("%s is a service:\n", s.name);
		print_service(s.service);
		break;
	case SYM_METHOD:
		printf("%s is a method:\n", s.name);
		print_method(s.method, 0);
		print_type_named(set, s.method->input_type);
		if (strcmp(s.method->input_type, s.method->output_type) != 0)
			print_type_named(set, s.method->output_type);
		break;
	case SYM_MESSAGE:
		printf("%s is a message:\n", s.name);
		print_message(set, s.file, s.message, 0);
		break;
	case SYM_ENUM:
		printf("%s is an enum:\n", s.name);
		print_enum(s.enumt, 0);
		break;
	case SYM_NONE:
		break;
	}
	return 0;
}

int
cmd_describe(cli *c, int argc, char **argv)
{
	Cruddur__V1__GetFileDescriptorSetRequest   req = CRUDDUR__V1__GET_FILE_DESCRIPTOR_SET_REQUEST__INIT;
	Cruddur__V1__GetFileDescriptorSetResponse *resp = NULL;
	const cli_args                             spec = { .what = "describe", .max_positional = -1 };
	int                                        rv;

	if ((rv = cli_args_parse(c, &spec, argc, argv, &argc)) != 0)
		return rv;
	cruddur_call_opts opts = cli_call_opts(c);
	if (argc > 1)
		return cli_usage_error("describe takes at most one SERVICE, METHOD or MESSAGE");
	if (c->json)
		return cli_usage_error("describe prints .proto text; --json is not supported");
	if ((rv = cli_connect(c)) != 0)
		return rv;
	cruddur_status st = cruddur_reflection_get_file_descriptor_set(c->client, &req, &resp, &opts);
	if (st != CRUDDUR_OK)
		return cli_call_failed("describe", st, &opts);
	file_set *set = stubgen__file_descriptor_set__unpack(NULL, resp->file_descriptor_set.len,
	    resp->file_descriptor_set.data);
	cruddur_message_free(resp);
	if (set == NULL || !set_valid(set)) {
		if (set != NULL)
			stubgen__file_descriptor_set__free_unpacked(set, NULL);
		fprintf(stderr, "cruddur: describe: %s: the server's descriptor set does not decode\n",
		    cruddur_status_name(CRUDDUR_INTERNAL));
		return EXIT_CALL_FAILED;
	}
	rv = describe(set, argc == 1 ? argv[0] : NULL);
	stubgen__file_descriptor_set__free_unpacked(set, NULL);
	return rv;
}
