/*
 * svc_reflection.c - the Reflection service: the descriptors of every
 * .proto file the server was built from, so that tools (cruddur describe,
 * a client in another language) need no local copy of them.
 *
 * The set is the one `protoc-c -o --include_imports` writes at build time
 * (build/gen/cruddur.desc), compiled in by tools/embed_bytes.cmake: it is
 * exactly what the method table and the message code were generated from,
 * and there is no file to find at run time. The reply points at the
 * static bytes (nothing is copied or allocated), so the handler never
 * blocks and runs without a worker.
 */
#include "reflection_descriptor_set.h"
#include "rpc/dispatch.h"
#include "svc/registry.h"

static cruddur_status
get_file_descriptor_set(rpc_context *ctx, const Cruddur__V1__GetFileDescriptorSetRequest *req,
    Cruddur__V1__GetFileDescriptorSetResponse *resp)
{
	(void)ctx;
	(void)req;
	/* Packed into the reply before the call ends, and never written. */
	resp->file_descriptor_set.data = (uint8_t *)reflection_descriptor_set;
	resp->file_descriptor_set.len = reflection_descriptor_set_len;
	return CRUDDUR_OK;
}

void
svc_reflection_register(svc_registration *r)
{
	r->handlers.reflection_get_file_descriptor_set = get_file_descriptor_set;
	dispatch_mark_nonblocking(&r->nonblocking, &cruddur_method_reflection_get_file_descriptor_set);
}
