/*
 * status.c - names of the status codes, and the check that they are the
 * wire enum's numbers.
 */
#include <assert.h>

#include "cruddur/status.h"
#include "cruddur/v1/rpc.pb-c.h"

static_assert((int)CRUDDUR_OK == (int)CRUDDUR__V1__STATUS_CODE__OK, "status numbers");
static_assert((int)CRUDDUR_INVALID_ARGUMENT == (int)CRUDDUR__V1__STATUS_CODE__INVALID_ARGUMENT, "status numbers");
static_assert((int)CRUDDUR_RESOURCE_EXHAUSTED == (int)CRUDDUR__V1__STATUS_CODE__RESOURCE_EXHAUSTED, "status numbers");
static_assert((int)CRUDDUR_UNIMPLEMENTED == (int)CRUDDUR__V1__STATUS_CODE__UNIMPLEMENTED, "status numbers");
static_assert((int)CRUDDUR_UNAUTHENTICATED == (int)CRUDDUR__V1__STATUS_CODE__UNAUTHENTICATED, "status numbers");

static const char *const status_names[] = {
	[CRUDDUR_OK]                  = "OK",
	[CRUDDUR_CANCELLED]           = "CANCELLED",
	[CRUDDUR_UNKNOWN]             = "UNKNOWN",
	[CRUDDUR_INVALID_ARGUMENT]    = "INVALID_ARGUMENT",
	[CRUDDUR_DEADLINE_EXCEEDED]   = "DEADLINE_EXCEEDED",
	[CRUDDUR_NOT_FOUND]           = "NOT_FOUND",
	[CRUDDUR_ALREADY_EXISTS]      = "ALREADY_EXISTS",
	[CRUDDUR_PERMISSION_DENIED]   = "PERMISSION_DENIED",
	[CRUDDUR_RESOURCE_EXHAUSTED]  = "RESOURCE_EXHAUSTED",
	[CRUDDUR_FAILED_PRECONDITION] = "FAILED_PRECONDITION",
	[CRUDDUR_ABORTED]             = "ABORTED",
	[CRUDDUR_OUT_OF_RANGE]        = "OUT_OF_RANGE",
	[CRUDDUR_UNIMPLEMENTED]       = "UNIMPLEMENTED",
	[CRUDDUR_INTERNAL]            = "INTERNAL",
	[CRUDDUR_UNAVAILABLE]         = "UNAVAILABLE",
	[CRUDDUR_DATA_LOSS]           = "DATA_LOSS",
	[CRUDDUR_UNAUTHENTICATED]     = "UNAUTHENTICATED",
};

const char *
cruddur_status_name(cruddur_status status)
{
	if ((unsigned)status >= sizeof(status_names) / sizeof(status_names[0]))
		return "UNKNOWN";
	return status_names[status];
}
