/*
 * rpc_context.c - failing a call with a message, and the request arena.
 */
#include <stdarg.h>
#include <stdio.h>

#include "clock.h"
#include "rpc_context.h"

cruddur_status
rpc_fail(rpc_context *ctx, cruddur_status st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->message, sizeof(ctx->message), fmt, ap);
	va_end(ap);
	return st;
}

void *
rpc_alloc(rpc_context *ctx, size_t n)
{
	return arena_alloc(ctx->arena, n);
}

char *
rpc_strdup(rpc_context *ctx, const char *s)
{
	char *p = arena_strdup(ctx->arena, s != NULL ? s : "");
	return p != NULL ? p : (char *)"";
}

int64_t
rpc_remaining_us(const rpc_context *ctx)
{
	if (ctx->deadline_us == 0)
		return INT64_MAX;
	return ctx->deadline_us - clock_mono_us();
}
