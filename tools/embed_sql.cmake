# Writes OUT, a C header with one string constant per sql/queries/*.sql file:
# sql/queries/home_feed.sql becomes `static const char SQL_HOME_FEED[]`.
# The queries live in .sql files so that they can be read, run in psql and
# EXPLAINed as they are; the server carries them compiled in, so it never
# depends on finding them at run time.
#   cmake -DQUERY_DIR=... -DOUT=... -P embed_sql.cmake
file(GLOB queries ${QUERY_DIR}/*.sql)
list(SORT queries)
set(text "/* Generated from sql/queries by tools/embed_sql.cmake. Do not edit. */\n")
string(APPEND text "#ifndef CRUDDUR_SQL_QUERIES_H\n#define CRUDDUR_SQL_QUERIES_H\n\n")
foreach(q ${queries})
  get_filename_component(name ${q} NAME_WE)
  string(TOUPPER ${name} upper)
  file(READ ${q} sql)
  string(REPLACE "\\" "\\\\" sql "${sql}")
  string(REPLACE "\"" "\\\"" sql "${sql}")
  string(REPLACE "\n" "\\n\"\n    \"" sql "${sql}")
  string(APPEND text "static const char SQL_${upper}[] =\n    \"${sql}\";\n\n")
endforeach()
string(APPEND text "#endif\n")
file(WRITE ${OUT}.tmp "${text}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
