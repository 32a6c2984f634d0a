/*
 * replica_lsn_test.c - consistency tokens: PostgreSQL's pg_lsn text both
 * ways (db/replica_set.h), and what is not one.
 */
#include <string.h>

#include "db/replica_set.h"
#include "test_support.h"

int
main(void)
{
	uint64_t v = 0;
	char     buf[REPLICA_LSN_TEXT];

	CHECK(replica_lsn_parse("16/B374D848", &v) && v == ((UINT64_C(0x16) << 32) | 0xB374D848));
	CHECK(replica_lsn_parse("0/0", &v) && v == 0);
	CHECK(replica_lsn_parse("FFFFFFFF/FFFFFFFF", &v) && v == UINT64_MAX);
	CHECK(replica_lsn_parse("0/3000148", &v) && v == 0x3000148);
	CHECK(replica_lsn_parse("a/b", &v) && v == ((UINT64_C(0xa) << 32) | 0xb)); /* pg_lsn_in takes it */
	/* Not a WAL position: nothing PostgreSQL would print, nothing past 64 bits. */
	const char *bad[] = { "", "/", "1/", "/1", "1/2/3", " 1/2", "1/2 ", "+1/2", "-1/2", "0x1/2",
		"1/0x2", "100000000/0", "0/100000000", "1:2", "12", "g/1", "1/2\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (replica_lsn_parse(bad[i], &v))
			ts_fail(__FILE__, __LINE__, "\"%s\" parsed as a position", bad[i]);
	CHECK(!replica_lsn_parse(NULL, &v));
	/* Formatted as PostgreSQL does, and back. */
	replica_lsn_format((UINT64_C(0x16) << 32) | 0xB374D848, buf);
	CHECK_STREQ(buf, "16/B374D848");
	replica_lsn_format(0, buf);
	CHECK_STREQ(buf, "0/0");
	replica_lsn_format(UINT64_MAX, buf);
	CHECK_STREQ(buf, "FFFFFFFF/FFFFFFFF");
	CHECK(replica_lsn_parse(buf, &v) && v == UINT64_MAX);
	return ts_finish("replica_lsn_test");
}
