/*
 * statements.h - the prepared statements that run on pooled connections.
 *
 * Their SQL is in the files of sql/queries, compiled in (tools/embed_sql.cmake).
 * Each has a fixed id below 64, the bit the pool uses to remember that a
 * connection has prepared it. The ones shared by several files are here; a
 * service's own statements are private to its files (svc_activities.c and
 * svc_activities_write.c: ids 25..44), so ids are unique across the server.
 */
#ifndef CRUDDUR_STATEMENTS_H
#define CRUDDUR_STATEMENTS_H

#include "db/pool.h"

extern const db_statement stmt_ping;
extern const db_statement stmt_writable;

#endif /* CRUDDUR_STATEMENTS_H */
