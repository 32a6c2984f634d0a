/*
 * rpc_context.c - failing a call with a message, and the request arena.
 */
#include <stdarg.h>
#include <stdio.h>

#include "base/clock.h"
#include "rpc/rpc_context.h"
#include "base/text.h"

cruddur_status
rpc_fail(rpc_context *ctx, cruddur_status st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(ctx->message, sizeof(ctx->message), fmt, ap);
	va_end(ap);
	/* A message cut at its size may end inside a character. */
	if (n >= (int)sizeof(ctx->message))
		text_utf8_trim(ctx->message);
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

cruddur_status
rpc_check_text(rpc_context *ctx, const char *field, const char *s, long min, long max)
{
	long n = text_utf8_length(s);

	if (n < 0)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "%s is not valid UTF-8", field);
	if (n < min && min == 1)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT, "%s is required", field);
	if (n < min || n > max)
		return rpc_fail(ctx, CRUDDUR_INVALID_ARGUMENT,
		    "%s must be %ld to %ld characters, not %ld", field, min, max, n);
	return CRUDDUR_OK;
}
