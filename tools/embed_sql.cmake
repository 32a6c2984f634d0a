# embed_sql.cmake - compiles sql/queries into cruddurd, and numbers its
# prepared statements, so that neither the SQL nor an id is written by hand.
#
#   cmake -DQUERY_DIR=sql/queries -DGEN_DIR=build/gen -P embed_sql.cmake
#
# The queries live in .sql files so that they can be read, run in psql and
# EXPLAINed as they are; the server carries them compiled in, so it never
# depends on finding them at run time. Each file NAME.sql is one of:
#
#   a prepared statement (the default): `const db_statement stmt_NAME` in
#     GEN_DIR/sql_statements.h and .c, prepared on each pooled connection as
#     "NAME" (the name PostgreSQL's log and the tests see). Its id is its
#     index among the prepared files sorted by name: the bit (db/pool.h) by
#     which a connection remembers having prepared it, so there are at most
#     64; adding a file renumbers the ones after it, which is harmless, as an
#     id lives only in the memory of one process. nparams is the highest $N
#     of the SQL, outside comments and quotes, and $1..$N must all be used.
#   not prepared (`-- @prepared: no`): only its text, `SQL_NAME` in
#     GEN_DIR/sql_queries.h, for the callers that run it unprepared
#     (pool_conn_query): DbAdmin's and the migration runner's bookkeeping.
#     They run once in a while, some on the maintenance database or before
#     the table they name exists, so preparing them would spend ids and
#     leave on every pooled connection statements that its reads never use.
#
# A marker is a comment line `-- @key: value`, so the file stays runnable in
# psql. The keys:
#   @results: binary   the statement's results come in binary (pg_binary.h)
#   @results: text     in text, as without the marker
#   @prepared: no      not a prepared statement (above)
# A marker not in this list, a malformed or repeated one, more than 64
# prepared statements, a gap in the $N or a file name that is not a C
# identifier fail the build.
#
# Limits of the $N scan, met by no query: a `--` inside a quoted string is
# taken for a comment, and a $N inside a dollar-quoted body is counted.
cmake_minimum_required(VERSION 3.25) # policies, when run as a script
set(max_statements 64) # POOL_MAX_STATEMENTS; sql_statements.c asserts it

# Text as the body of a C string literal, one source line per SQL line.
function(c_string text out)
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REPLACE "\"" "\\\"" text "${text}")
  string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
  string(REGEX REPLACE "\"\n    \"$" "" text "${text}") # no "" after the last line
  set(${out} "\"${text}\"" PARENT_SCOPE)
endfunction()

# The markers of file q: sets prepared (ON/OFF) and binary (true/false).
function(read_markers q sql)
  set(p ON)
  set(r "")
  string(REGEX MATCHALL "(^|\n)--[ \t]*@[^\n]*" lines "${sql}")
  foreach(line ${lines})
    string(STRIP "${line}" line)
    if(NOT line MATCHES "^-- @([a-z]+): ([a-z]+)$")
      message(FATAL_ERROR "${q}: bad marker `${line}`: write `-- @key: value`")
    endif()
    set(key ${CMAKE_MATCH_1})
    set(value ${CMAKE_MATCH_2})
    if(key STREQUAL "results" AND value MATCHES "^(binary|text)$" AND r STREQUAL "")
      set(r ${value})
    elseif(key STREQUAL "prepared" AND value STREQUAL "no" AND p)
      set(p OFF)
    else()
      message(FATAL_ERROR "${q}: unknown or repeated marker `${line}` "
        "(known: `-- @results: binary`, `-- @results: text`, `-- @prepared: no`)")
    endif()
  endforeach()
  if(NOT p AND NOT r STREQUAL "")
    message(FATAL_ERROR "${q}: @results is for prepared statements, and this one is not")
  endif()
  set(prepared ${p} PARENT_SCOPE)
  if(r STREQUAL "binary")
    set(binary true PARENT_SCOPE)
  else()
    set(binary false PARENT_SCOPE)
  endif()
endfunction()

# The number of parameters of file q: sets nparams.
function(count_params q sql)
  string(REGEX REPLACE "--[^\n]*" "" code "${sql}")
  string(REGEX REPLACE "/\\*([^*]|\\*+[^*/])*\\*+/" "" code "${code}")
  string(REGEX REPLACE "'[^']*'" "" code "${code}")
  string(REGEX REPLACE "\"[^\"]*\"" "" code "${code}")
  string(REGEX MATCHALL "\\$[0-9]+" refs "${code}")
  set(n 0)
  set(used "")
  foreach(ref ${refs})
    string(SUBSTRING "${ref}" 1 -1 digits)
    math(EXPR i "${digits}")
    if(i EQUAL 0)
      message(FATAL_ERROR "${q}: $0 is not a parameter")
    endif()
    list(APPEND used ${i})
    if(i GREATER n)
      set(n ${i})
    endif()
  endforeach()
  if(n GREATER 0)
    foreach(i RANGE 1 ${n})
      if(NOT i IN_LIST used)
        message(FATAL_ERROR "${q}: uses $${n} but not $${i}")
      endif()
    endforeach()
  endif()
  set(nparams ${n} PARENT_SCOPE)
endfunction()

set(head "/* Generated from sql/queries by tools/embed_sql.cmake. Do not edit. */\n")
set(queries_h "${head}#ifndef CRUDDUR_SQL_QUERIES_H\n#define CRUDDUR_SQL_QUERIES_H\n\n")
string(APPEND queries_h "/* The queries that are not prepared statements (-- @prepared: no). */\n\n")
set(decls "")
set(defs "")
set(id 0)

file(GLOB queries ${QUERY_DIR}/*.sql)
list(SORT queries)
foreach(q ${queries})
  get_filename_component(name ${q} NAME_WE)
  if(NOT name MATCHES "^[a-z][a-z0-9_]*$")
    message(FATAL_ERROR "${q}: the name must be a C identifier in lower case")
  endif()
  file(READ ${q} sql)
  read_markers(${q} "${sql}")
  c_string("${sql}" literal)
  if(NOT prepared)
    string(TOUPPER ${name} upper)
    string(APPEND queries_h "static const char SQL_${upper}[] =\n    ${literal};\n\n")
    continue()
  endif()
  if(id EQUAL max_statements)
    message(FATAL_ERROR "${q}: more than ${max_statements} prepared statements in "
      "${QUERY_DIR}, the most a pooled connection keeps track of")
  endif()
  count_params(${q} "${sql}")
  string(APPEND decls "extern const db_statement stmt_${name};\n")
  string(APPEND defs "const db_statement stmt_${name} = {\n"
    "  .id = ${id},\n  .name = \"${name}\",\n  .sql =\n    ${literal},\n"
    "  .nparams = ${nparams},\n  .binary_results = ${binary},\n};\n\n")
  math(EXPR id "${id} + 1")
endforeach()
string(APPEND queries_h "#endif\n")

set(statements_h "${head}#ifndef CRUDDUR_SQL_STATEMENTS_H\n#define CRUDDUR_SQL_STATEMENTS_H\n\n")
string(APPEND statements_h "#include \"db/pool.h\"\n\n"
  "/* The prepared statements of sql/queries, stmt_<file name>, with ids\n"
  " * 0..SQL_STATEMENT_COUNT-1. */\n"
  "#define SQL_STATEMENT_COUNT ${id}\n\n${decls}\n#endif\n")
set(statements_c "${head}#include \"sql_statements.h\"\n\n")
string(APPEND statements_c "_Static_assert(SQL_STATEMENT_COUNT <= POOL_MAX_STATEMENTS,\n"
  "    \"more prepared statements than a pooled connection keeps track of\");\n\n${defs}")

# Written every time, not only when changed: make would otherwise find the
# outputs older than the .sql file just edited and run this again at every
# build. A change of sql/queries recompiles the few files that include them.
file(WRITE ${GEN_DIR}/sql_queries.h "${queries_h}")
file(WRITE ${GEN_DIR}/sql_statements.h "${statements_h}")
file(WRITE ${GEN_DIR}/sql_statements.c "${statements_c}")
