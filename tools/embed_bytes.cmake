# embed_bytes.cmake - a file built at build time, compiled into a program as
# a byte array, so that the program never looks for it at run time.
#
#   cmake -DIN=build/gen/cruddur.desc -DNAME=reflection_descriptor_set \
#         -DOUT=build/gen/reflection_descriptor_set -P embed_bytes.cmake
#
# writes OUT.h and OUT.c with
#   extern const uint8_t NAME[];    the bytes of IN
#   extern const size_t  NAME_len;  how many (IN may not be empty)
# cruddurd serves the descriptor set of proto/ this way (svc/svc_reflection.c).
cmake_minimum_required(VERSION 3.25) # policies, when run as a script

foreach(v IN ITEMS IN NAME OUT)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "embed_bytes.cmake: -D${v}= is missing")
  endif()
endforeach()
if(NOT NAME MATCHES "^[a-z_][a-z0-9_]*$")
  message(FATAL_ERROR "embed_bytes.cmake: NAME ${NAME} is not a C identifier in lower case")
endif()
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" digits)
if(digits EQUAL 0)
  message(FATAL_ERROR "embed_bytes.cmake: ${IN} is empty")
endif()
math(EXPR len "${digits} / 2")
# 16 bytes a line: "0x0a, 0x17, ...".
string(REPEAT "[0-9a-f][0-9a-f]" 16 line)
string(REGEX REPLACE "(${line})" "\\1\n" hex "${hex}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1, " hex "${hex}")
string(STRIP "${hex}" hex)
string(REPLACE " \n" "\n\t" hex "${hex}")

get_filename_component(base ${OUT} NAME)
set(head "/* Generated from ${IN} by tools/embed_bytes.cmake. Do not edit. */\n")
string(TOUPPER "${NAME}" guard)
string(CONCAT h "${head}#ifndef ${guard}_H\n#define ${guard}_H\n\n#include <stddef.h>\n#include <stdint.h>\n\n"
  "extern const uint8_t ${NAME}[];\nextern const size_t  ${NAME}_len;\n\n#endif\n")
string(CONCAT c "${head}#include \"${base}.h\"\n\nconst uint8_t ${NAME}[] = {\n\t${hex}\n};\n"
  "const size_t ${NAME}_len = sizeof(${NAME});\n_Static_assert(sizeof(${NAME}) == ${len}, \"${IN}\");\n")
# Written every time (as embed_sql.cmake does): the outputs must be newer
# than IN, else the build would run this again and again. IN changes only
# when what it is built from does.
file(WRITE ${OUT}.h "${h}")
file(WRITE ${OUT}.c "${c}")
