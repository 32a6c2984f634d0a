/*
 * cruddur/method.h - what client and server know about one RPC method.
 *
 * stubgen (tools/stubgen) writes one cruddur_method per method of every
 * service in proto/, from the protobuf descriptors; nothing here is written
 * by hand per method.
 */
#ifndef CRUDDUR_METHOD_H
#define CRUDDUR_METHOD_H

#include <stdbool.h>
#include <protobuf-c/protobuf-c.h>

#include "cruddur/api.h"

CRUDDUR_BEGIN_DECLS

typedef struct cruddur_method {
	const char *full_name; /* "cruddur.v1.Activities/HomeFeed": on the wire */
	const char *service;   /* "cruddur.v1.Activities" */
	const char *name;      /* "HomeFeed" */
	const ProtobufCMessageDescriptor *input;
	const ProtobufCMessageDescriptor *output;
	/* The method may be repeated safely (idempotency_level NO_SIDE_EFFECTS
	 * or IDEMPOTENT in the .proto): the client may retry it. */
	bool idempotent;
} cruddur_method;

/* The method of that full name ("cruddur.v1.Users/GetUser", or grpcurl's
 * "cruddur.v1.Users.GetUser") among the generated ones (cruddur/stubs.h),
 * or NULL. For tools that call any method by name (cruddur call,
 * cruddur-bench --method). */
CRUDDUR_API const cruddur_method *cruddur_method_find(const char *full_name);

CRUDDUR_END_DECLS

#endif /* CRUDDUR_METHOD_H */
