/*
 * statements.c - ids, names and SQL of the prepared statements.
 */
#include "sql_queries.h"
#include "db/statements.h"

const db_statement stmt_ping = { 2, "ping", SQL_PING, 0, false };
const db_statement stmt_writable = { 3, "writable", SQL_WRITABLE, 0, false };
