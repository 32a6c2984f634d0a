/*
 * stubgen - writes cruddur's typed client stubs and server handler table.
 *
 * protoc-c writes message code and callback-style service stubs that carry no
 * status, deadline or metadata. cruddur calls travel in its own envelope
 * (proto/cruddur/v1/rpc.proto), so the build runs this program on the
 * FileDescriptorSet that `protoc-c -o` writes for proto/, and it writes:
 *
 *   cruddur/stubs.h, stubs.c  one cruddur_method per RPC and two typed
 *                             functions per RPC, blocking and async:
 *                               cruddur_status cruddur_activities_home_feed(
 *                                   cruddur_client *, const Req *, Resp **,
 *                                   cruddur_call_opts *);
 *                               cruddur_status
 *                               cruddur_activities_home_feed_async(
 *                                   cruddur_client *, const Req *,
 *                                   cruddur_call_opts *, cruddur_call_done,
 *                                   void *arg);
 *                             (the callback's response stays a
 *                             ProtobufCMessage *: a typed callback would
 *                             have to be called through a cast function
 *                             pointer, which C does not allow)
 *   rpc_handlers.h, .c        the server's typed handler table (a struct of
 *                             function pointers, one per RPC) and the method
 *                             table the dispatcher searches, sorted by full
 *                             name, each entry with a trampoline that casts
 *                             the decoded messages to their types.
 *
 * Every declaration in cruddur/stubs.h says CRUDDUR_API (libcruddur.so
 * exports nothing else, cruddur/api.h) and sits inside CRUDDUR_BEGIN_DECLS
 * (extern "C"), as the hand-written public headers do.
 *
 * Adding an RPC to a .proto is then all it takes for the client to call it
 * and for the server to route it (to UNIMPLEMENTED until a handler is set).
 *
 * C names follow protoc-c's rules: "cruddur.v1.HomeFeedRequest" is the type
 * Cruddur__V1__HomeFeedRequest and its descriptor is
 * cruddur__v1__home_feed_request__descriptor. A name that these rules would
 * get wrong fails the build at compile time, never at run time.
 *
 * Usage: stubgen DESCRIPTOR_SET OUT_DIR
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descriptor_subset.pb-c.h"

typedef Stubgen__FileDescriptorSet      file_set;
typedef Stubgen__FileDescriptorProto    file_proto;
typedef Stubgen__ServiceDescriptorProto service_proto;
typedef Stubgen__MethodDescriptorProto  method_proto;

/* One RPC, with every name the generated code needs. */
typedef struct rpc {
	char full_name[256];  /* cruddur.v1.Activities/HomeFeed */
	char service[128];    /* cruddur.v1.Activities */
	char method[128];     /* HomeFeed */
	char c_name[256];     /* activities_home_feed */
	char in_type[256];    /* Cruddur__V1__HomeFeedRequest */
	char out_type[256];
	char in_desc[256];    /* cruddur__v1__home_feed_request__descriptor */
	char out_desc[256];
	int  idempotent;
} rpc;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("stubgen: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* protoc-c's CamelToLower: "HomeFeed" -> "home_feed". */
static void
camel_to_lower(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; in[i] != '\0'; i++) {
		if (o + 3 >= outlen)
			die("name too long: %s", in);
		if (i > 0 && isupper((unsigned char)in[i]))
			out[o++] = '_';
		out[o++] = (char)tolower((unsigned char)in[i]);
	}
	out[o] = '\0';
}

/* Writes the C type and descriptor names of a top-level message given by
 * its full name (".cruddur.v1.HomeFeedRequest"). */
static void
message_c_names(const char *full, char *type, char *desc, size_t len)
{
	char   part[128];
	size_t t = 0, d = 0;

	if (*full == '.')
		full++;
	type[0] = desc[0] = '\0';
	while (*full != '\0') {
		size_t n = strcspn(full, ".");
		if (n == 0 || n >= sizeof(part))
			die("bad type name component in %s", full);
		memcpy(part, full, n);
		part[n] = '\0';
		char lower[256];
		camel_to_lower(part, lower, sizeof(lower));
		part[0] = (char)toupper((unsigned char)part[0]);
		t += (size_t)snprintf(type + t, len - t, "%s%s", t ? "__" : "", part);
		d += (size_t)snprintf(desc + d, len - d, "%s%s", d ? "__" : "", lower);
		if (t >= len || d >= len)
			die("type name too long: %s", full);
		full += n;
		if (*full == '.')
			full++;
	}
	if (strlen(desc) + sizeof("__descriptor") > len)
		die("type name too long");
	strcat(desc, "__descriptor");
}

static file_set *
read_set(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	size_t   cap = 1 << 16, len = 0;
	uint8_t *buf = malloc(cap);
	size_t   n;
	while (buf != NULL && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap)
			buf = realloc(buf, cap *= 2);
	}
	if (buf == NULL)
		die("out of memory");
	fclose(f);
	file_set *set = stubgen__file_descriptor_set__unpack(NULL, len, buf);
	free(buf);
	if (set == NULL)
		die("%s: not a FileDescriptorSet", path);
	return set;
}

static size_t
collect_rpcs(const file_set *set, rpc **out)
{
	size_t count = 0;
	rpc   *rpcs = NULL;

	for (size_t f = 0; f < set->n_file; f++) {
		const file_proto *file = set->file[f];
		for (size_t s = 0; s < file->n_service; s++) {
			const service_proto *svc = file->service[s];
			for (size_t m = 0; m < svc->n_method; m++) {
				const method_proto *mp = svc->method[m];
				if (mp->client_streaming || mp->server_streaming)
					die("%s.%s: streaming is not supported", svc->name, mp->name);
				rpcs = realloc(rpcs, (count + 1) * sizeof(*rpcs));
				if (rpcs == NULL)
					die("out of memory");
				rpc *r = &rpcs[count++];
				memset(r, 0, sizeof(*r));
				snprintf(r->service, sizeof(r->service), "%s%s%s",
				    file->package ? file->package : "",
				    file->package ? "." : "", svc->name);
				snprintf(r->method, sizeof(r->method), "%s", mp->name);
				snprintf(r->full_name, sizeof(r->full_name), "%s/%s", r->service, mp->name);
				char sl[128], ml[128];
				camel_to_lower(svc->name, sl, sizeof(sl));
				camel_to_lower(mp->name, ml, sizeof(ml));
				snprintf(r->c_name, sizeof(r->c_name), "%s_%s", sl, ml);
				message_c_names(mp->input_type, r->in_type, r->in_desc, sizeof(r->in_type));
				message_c_names(mp->output_type, r->out_type, r->out_desc, sizeof(r->out_type));
				r->idempotent = mp->options != NULL && mp->options->has_idempotency_level &&
				    mp->options->idempotency_level != STUBGEN__METHOD_OPTIONS__IDEMPOTENCY_LEVEL__IDEMPOTENCY_UNKNOWN;
			}
		}
	}
	*out = rpcs;
	return count;
}

static int
by_full_name(const void *a, const void *b)
{
	return strcmp(((const rpc *)a)->full_name, ((const rpc *)b)->full_name);
}

static FILE *
open_out(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "/* Generated by tools/stubgen from proto/. Do not edit. */\n");
	return f;
}

static void
close_out(FILE *f)
{
	if (ferror(f) || fclose(f) != 0)
		die("write failed");
}

static void
write_includes(FILE *f, const file_set *set)
{
	for (size_t i = 0; i < set->n_file; i++) {
		const char *name = set->file[i]->name;
		size_t      n = strlen(name);
		if (n > 6 && strcmp(name + n - 6, ".proto") == 0)
			fprintf(f, "#include \"%.*s.pb-c.h\"\n", (int)(n - 6), name);
	}
}

static void
write_client(const char *dir, const file_set *set, const rpc *rpcs, size_t n)
{
	FILE *h = open_out(dir, "cruddur/stubs.h");
	fprintf(h, "/*\n * Typed client stubs, two per RPC.\n *\n"
	           " * cruddur_SERVICE_METHOD sends its request to the server, waits for the\n"
	           " * reply or the deadline, and returns its status. On CRUDDUR_OK *resp is a\n"
	           " * new message: free it with cruddur_message_free. On any other status\n"
	           " * *resp is NULL and opts->message (when opts is given) says why. opts may\n"
	           " * be NULL.\n *\n"
	           " * cruddur_SERVICE_METHOD_async sends the request and returns at once;\n"
	           " * done(arg, status, resp, result) is called when the call ends, with resp\n"
	           " * the method's response type (cast it) on CRUDDUR_OK. The rules are\n"
	           " * cruddur_client_call_async's (cruddur/client.h): on a non-OK return done\n"
	           " * is not called; otherwise exactly once, on an nng thread.\n */\n");
	fprintf(h, "#ifndef CRUDDUR_STUBS_H\n#define CRUDDUR_STUBS_H\n\n#include \"cruddur/api.h\"\n"
	           "#include \"cruddur/client.h\"\n");
	write_includes(h, set);
	fprintf(h, "\nCRUDDUR_BEGIN_DECLS\n\n");
	for (size_t i = 0; i < n; i++) {
		const rpc *r = &rpcs[i];
		fprintf(h, "/* %s%s */\nextern CRUDDUR_API const cruddur_method cruddur_method_%s;\n",
		    r->full_name, r->idempotent ? " (no side effects: retried when safe)" : "", r->c_name);
		fprintf(h, "CRUDDUR_API cruddur_status cruddur_%s(cruddur_client *client,\n    const %s *req, %s **resp,\n    cruddur_call_opts *opts);\n",
		    r->c_name, r->in_type, r->out_type);
		fprintf(h, "CRUDDUR_API cruddur_status cruddur_%s_async(cruddur_client *client,\n    const %s *req, cruddur_call_opts *opts,\n    cruddur_call_done done, void *arg);\n\n",
		    r->c_name, r->in_type);
	}
	fprintf(h, "/* Every method, sorted by full name. */\n"
	           "extern CRUDDUR_API const cruddur_method *const cruddur_methods[];\n"
	           "extern CRUDDUR_API const size_t cruddur_method_count;\n\n");
	fprintf(h, "CRUDDUR_END_DECLS\n\n#endif /* CRUDDUR_STUBS_H */\n");
	close_out(h);

	FILE *c = open_out(dir, "stubs.c");
	fprintf(c, "#include \"cruddur/stubs.h\"\n\n");
	for (size_t i = 0; i < n; i++) {
		const rpc *r = &rpcs[i];
		fprintf(c, "const cruddur_method cruddur_method_%s = {\n"
		           "\t\"%s\", \"%s\", \"%s\",\n\t&%s, &%s, %s,\n};\n\n",
		    r->c_name, r->full_name, r->service, r->method, r->in_desc, r->out_desc,
		    r->idempotent ? "true" : "false");
		fprintf(c, "cruddur_status\ncruddur_%s(cruddur_client *client,\n    const %s *req, %s **resp,\n    cruddur_call_opts *opts)\n{\n"
		           "\treturn cruddur_client_call(client, &cruddur_method_%s,\n"
		           "\t    &req->base, (ProtobufCMessage **)resp, opts);\n}\n\n",
		    r->c_name, r->in_type, r->out_type, r->c_name);
		fprintf(c, "cruddur_status\ncruddur_%s_async(cruddur_client *client,\n    const %s *req, cruddur_call_opts *opts,\n    cruddur_call_done done, void *arg)\n{\n"
		           "\treturn cruddur_client_call_async(client, &cruddur_method_%s,\n"
		           "\t    &req->base, opts, done, arg);\n}\n\n",
		    r->c_name, r->in_type, r->c_name);
	}
	fprintf(c, "const cruddur_method *const cruddur_methods[] = {\n");
	for (size_t i = 0; i < n; i++)
		fprintf(c, "\t&cruddur_method_%s,\n", rpcs[i].c_name);
	fprintf(c, "};\nconst size_t cruddur_method_count = %zu;\n", n);
	close_out(c);
}

static void
write_server(const char *dir, const file_set *set, const rpc *rpcs, size_t n)
{
	FILE *h = open_out(dir, "rpc_handlers.h");
	fprintf(h, "/*\n * The server's typed handler table. A handler fills the response that\n"
	           " * the dispatcher gives it (initialized, empty) with memory from the\n"
	           " * request's arena, and returns a status; on an error status it also sets\n"
	           " * ctx's message (rpc_fail). A NULL handler makes its method UNIMPLEMENTED.\n */\n");
	fprintf(h, "#ifndef RPC_HANDLERS_H\n#define RPC_HANDLERS_H\n\n#include \"cruddur/stubs.h\"\n#include \"rpc/rpc_context.h\"\n\n");
	for (size_t i = 0; i < n; i++)
		fprintf(h, "typedef cruddur_status (*rpc_%s_fn)(rpc_context *ctx,\n    const %s *req, %s *resp);\n",
		    rpcs[i].c_name, rpcs[i].in_type, rpcs[i].out_type);
	fprintf(h, "\ntypedef struct rpc_handlers {\n");
	for (size_t i = 0; i < n; i++)
		fprintf(h, "\trpc_%s_fn %s;\n", rpcs[i].c_name, rpcs[i].c_name);
	fprintf(h, "} rpc_handlers;\n\n");
	fprintf(h, "typedef struct rpc_method_entry {\n"
	           "\tconst cruddur_method *method;\n"
	           "\t/* Calls the handler with typed messages; UNIMPLEMENTED when it is NULL. */\n"
	           "\tcruddur_status (*invoke)(const rpc_handlers *h, rpc_context *ctx,\n"
	           "\t    const ProtobufCMessage *req, ProtobufCMessage *resp);\n"
	           "\tbool (*implemented)(const rpc_handlers *h);\n"
	           "} rpc_method_entry;\n\n"
	           "/* Sorted by method->full_name, for bsearch. */\n"
	           "extern const rpc_method_entry rpc_method_table[];\n"
	           "extern const size_t rpc_method_count;\n\n#endif /* RPC_HANDLERS_H */\n");
	close_out(h);

	FILE *c = open_out(dir, "rpc_handlers.c");
	fprintf(c, "#include \"rpc_handlers.h\"\n\n");
	(void)set;
	for (size_t i = 0; i < n; i++) {
		const rpc *r = &rpcs[i];
		fprintf(c, "static cruddur_status\ninvoke_%s(const rpc_handlers *h, rpc_context *ctx,\n"
		           "    const ProtobufCMessage *req, ProtobufCMessage *resp)\n{\n"
		           "\tif (h->%s == NULL)\n\t\treturn rpc_fail(ctx, CRUDDUR_UNIMPLEMENTED,\n"
		           "\t\t    \"method %s is not implemented by this server\");\n"
		           "\treturn h->%s(ctx, (const %s *)req, (%s *)resp);\n}\n\n",
		    r->c_name, r->c_name, r->full_name, r->c_name, r->in_type, r->out_type);
		fprintf(c, "static bool\nimplemented_%s(const rpc_handlers *h)\n{\n\treturn h->%s != NULL;\n}\n\n",
		    r->c_name, r->c_name);
	}
	fprintf(c, "const rpc_method_entry rpc_method_table[] = {\n");
	for (size_t i = 0; i < n; i++)
		fprintf(c, "\t{ &cruddur_method_%s, invoke_%s, implemented_%s },\n",
		    rpcs[i].c_name, rpcs[i].c_name, rpcs[i].c_name);
	fprintf(c, "};\nconst size_t rpc_method_count = %zu;\n", n);
	close_out(c);
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: stubgen DESCRIPTOR_SET OUT_DIR\n");
		return 2;
	}
	file_set *set = read_set(argv[1]);
	rpc      *rpcs = NULL;
	size_t    n = collect_rpcs(set, &rpcs);
	if (n == 0)
		die("%s: no services", argv[1]);
	qsort(rpcs, n, sizeof(*rpcs), by_full_name);
	for (size_t i = 1; i < n; i++)
		if (strcmp(rpcs[i - 1].c_name, rpcs[i].c_name) == 0)
			die("two methods map to the C name %s", rpcs[i].c_name);
	write_client(argv[2], set, rpcs, n);
	write_server(argv[2], set, rpcs, n);
	free(rpcs);
	stubgen__file_descriptor_set__free_unpacked(set, NULL);
	return 0;
}
