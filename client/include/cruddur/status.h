/*
 * cruddur/status.h - the status codes every cruddur call returns.
 *
 * The values are the gRPC status codes, so that a cruddur status means the
 * same thing to every service that speaks gRPC. They travel on the wire as
 * cruddur.v1.StatusCode (proto/cruddur/v1/rpc.proto); the numbers must stay
 * equal to that enum (checked at compile time in client/src/status.c).
 */
#ifndef CRUDDUR_STATUS_H
#define CRUDDUR_STATUS_H

#include "cruddur/api.h"

CRUDDUR_BEGIN_DECLS

typedef enum cruddur_status {
	CRUDDUR_OK                  = 0,
	CRUDDUR_CANCELLED           = 1,
	CRUDDUR_UNKNOWN             = 2,
	CRUDDUR_INVALID_ARGUMENT    = 3,
	CRUDDUR_DEADLINE_EXCEEDED   = 4,
	CRUDDUR_NOT_FOUND           = 5,
	CRUDDUR_ALREADY_EXISTS      = 6,
	CRUDDUR_PERMISSION_DENIED   = 7,
	CRUDDUR_RESOURCE_EXHAUSTED  = 8,
	CRUDDUR_FAILED_PRECONDITION = 9,
	CRUDDUR_ABORTED             = 10,
	CRUDDUR_OUT_OF_RANGE        = 11,
	CRUDDUR_UNIMPLEMENTED       = 12,
	CRUDDUR_INTERNAL            = 13,
	CRUDDUR_UNAVAILABLE         = 14,
	CRUDDUR_DATA_LOSS           = 15,
	CRUDDUR_UNAUTHENTICATED     = 16,
} cruddur_status;

/* The canonical upper-case name ("INVALID_ARGUMENT"); "UNKNOWN" for values
 * outside the enum. The string is static. */
CRUDDUR_API const char *cruddur_status_name(cruddur_status status);

CRUDDUR_END_DECLS

#endif /* CRUDDUR_STATUS_H */
