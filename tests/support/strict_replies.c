/*
 * strict_replies.c - recording replies and decoding them again with
 * python3-protobuf; see strict_replies.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envelope.h"
#include "strict_replies.h"
#include "test_support.h"

static FILE  *replies;
static char   replies_path[64];
static size_t recorded;

static void
put_u32(FILE *f, size_t n)
{
	uint8_t b[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
	fwrite(b, 1, 4, f);
}

void
ts_strict_record(const char *body_type, const void *reply, size_t len)
{
	if (replies == NULL) {
		snprintf(replies_path, sizeof(replies_path), "/tmp/cruddur-replies-XXXXXX");
		int fd = mkstemp(replies_path);
		if (fd < 0 || (replies = fdopen(fd, "wb")) == NULL) {
			ts_fail(__FILE__, __LINE__, "cannot make a file for the replies");
			return;
		}
	}
	const char *name = body_type != NULL ? body_type : "";
	put_u32(replies, strlen(name));
	fwrite(name, 1, strlen(name), replies);
	put_u32(replies, len);
	fwrite(reply, 1, len, replies);
	recorded++;
}

/* Sends req, waits for the reply; records and decodes it. */
static int
exchange(nng_socket s, nng_msg *req, const cruddur_method *m, ProtobufCMessage **resp, char *msg,
    size_t msglen)
{
	nng_msg *rep;
	int      status = -1;

	if (msg != NULL && msglen > 0)
		msg[0] = '\0';
	if (nng_sendmsg(s, req, 0) != 0) {
		nng_msg_free(req);
		ts_fail(__FILE__, __LINE__, "cannot send a request");
		return -1;
	}
	if (nng_recvmsg(s, &rep, 0) != 0) {
		ts_fail(__FILE__, __LINE__, "no reply");
		return -1;
	}
	ts_strict_record(m != NULL ? m->output->name : NULL, nng_msg_body(rep), nng_msg_len(rep));
	Cruddur__V1__ResponseEnvelope *env =
	    cruddur__v1__response_envelope__unpack(NULL, nng_msg_len(rep), nng_msg_body(rep));
	status = env != NULL ? (int)env->status : -2;
	if (env != NULL && msg != NULL && msglen > 0)
		snprintf(msg, msglen, "%s", env->message);
	if (env != NULL && status == CRUDDUR_OK && resp != NULL && m != NULL)
		*resp = protobuf_c_message_unpack(m->output, NULL, env->body.len, env->body.data);
	cruddur__v1__response_envelope__free_unpacked(env, NULL);
	nng_msg_free(rep);
	return status;
}

int
ts_raw_call(nng_socket s, const cruddur_method *m, const char *token, const ProtobufCMessage *req,
    ProtobufCMessage **resp, char *msg, size_t msglen)
{
	Cruddur__V1__RequestEnvelope env = CRUDDUR__V1__REQUEST_ENVELOPE__INIT;
	Cruddur__V1__MetadataEntry   auth = CRUDDUR__V1__METADATA_ENTRY__INIT;
	Cruddur__V1__MetadataEntry  *md[1] = { &auth };
	nng_msg                     *out = NULL;

	if (resp != NULL)
		*resp = NULL;
	env.method = (char *)m->full_name;
	env.deadline_ms = 30000;
	if (token != NULL) {
		auth.key = "authorization";
		auth.value = (char *)token;
		env.metadata = md;
		env.n_metadata = 1;
	}
	if (req != NULL)
		env.body.data = cruddur_i_envelope_pack_alloc(req, &env.body.len);
	int rv = cruddur_i_envelope_to_msg(&env.base, &out);
	free(env.body.data);
	if (rv != 0) {
		ts_fail(__FILE__, __LINE__, "cannot pack a request");
		return -1;
	}
	return exchange(s, out, m, resp, msg, msglen);
}

int
ts_raw_send(nng_socket s, const void *data, size_t len, char *msg, size_t msglen)
{
	nng_msg *out;

	if (nng_msg_alloc(&out, 0) != 0 || nng_msg_append(out, data, len) != 0) {
		ts_fail(__FILE__, __LINE__, "out of memory");
		return -1;
	}
	return exchange(s, out, NULL, NULL, msg, msglen);
}

/* strict_decode.py with one of python3-protobuf's implementations. */
static int
run_decoder(const char *implementation)
{
	const char *python = getenv("CRUDDUR_PYTHON3"), *desc = getenv("CRUDDUR_PROTO_DESC");
	const char *src = getenv("CRUDDUR_SOURCE_DIR");
	char        script[1024];
	int         status;

	if (python == NULL || desc == NULL || src == NULL) {
		ts_fail(__FILE__, __LINE__, "CRUDDUR_PYTHON3, CRUDDUR_PROTO_DESC or CRUDDUR_SOURCE_DIR unset: run through ctest");
		return -1;
	}
	snprintf(script, sizeof(script), "%s/tests/support/strict_decode.py", src);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		setenv("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", implementation, 1);
		execl(python, python, script, desc, replies_path, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void
ts_strict_check(void)
{
	if (replies == NULL) {
		ts_fail(__FILE__, __LINE__, "no replies were recorded");
		return;
	}
	fclose(replies);
	replies = NULL;
	printf("strict decoding %zu replies with python3-protobuf\n", recorded);
	double t0 = ts_now();
	int    cpp = run_decoder("cpp");
	double t1 = ts_now();
	int    py = run_decoder("python");
	printf("strict decoding took %.2f s (cpp), %.2f s (python)\n", t1 - t0, ts_now() - t1);
	if (cpp != 0 || py != 0)
		ts_fail(__FILE__, __LINE__, "a strict decoder refused replies (exit %d with cpp, %d with python; "
		    "127: no python3-protobuf: install it, see deploy/lib/common.sh)", cpp, py);
	unlink(replies_path);
	recorded = 0;
}
