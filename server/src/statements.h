/*
 * statements.h - the prepared statements that run on pooled connections.
 *
 * Their SQL is in the files of sql/queries, compiled in (tools/embed_sql.cmake).
 * Each has a fixed id below 64, the bit the pool uses to remember that a
 * connection has prepared it.
 */
#ifndef CRUDDUR_STATEMENTS_H
#define CRUDDUR_STATEMENTS_H

#include "pool.h"

extern const db_statement stmt_home_feed;
extern const db_statement stmt_user_by_handle;
extern const db_statement stmt_ping;

#endif /* CRUDDUR_STATEMENTS_H */
