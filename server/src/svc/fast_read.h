/*
 * fast_read.h - a method that the read reactor can serve without a worker.
 *
 * A method qualifies when it is one prepared statement whose result makes
 * the whole response (HomeFeed). Its handler is then split in two halves
 * that run on no worker: query checks the request and says which
 * statement to run with which parameters (and, for coalescing, which
 * requests may share it), in the nng callback; fill builds the response
 * from the result, on the reactor thread. Neither may block. The method's
 * ordinary handler should be made of the same two halves, so that both
 * paths answer alike (svc_activities.c).
 */
#ifndef CRUDDUR_FAST_READ_H
#define CRUDDUR_FAST_READ_H

#include <libpq-fe.h>
#include <protobuf-c/protobuf-c.h>

#include "reads/read_reactor.h"
#include "rpc/rpc_context.h"

typedef struct fast_read {
	/* Fills q; what q points to must live in ctx's arena (or be static).
	 * A failure is the request's status (rpc_fail). */
	cruddur_status (*query)(rpc_context *ctx, const ProtobufCMessage *req, read_query *q);
	/* Fills resp (initialized, from ctx's arena) from res. */
	cruddur_status (*fill)(rpc_context *ctx, const ProtobufCMessage *req, const PGresult *res,
	    ProtobufCMessage *resp);
} fast_read;

#endif /* CRUDDUR_FAST_READ_H */
