/*
 * statements.c - ids, names and SQL of the prepared statements.
 */
#include "sql_queries.h"
#include "statements.h"

const db_statement stmt_home_feed = { 0, "home_feed", SQL_HOME_FEED, 1 };
const db_statement stmt_user_by_handle = { 1, "user_by_handle", SQL_USER_BY_HANDLE, 1 };
const db_statement stmt_ping = { 2, "ping", SQL_PING, 0 };
