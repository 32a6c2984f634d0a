/*
 * print.h - how the cruddur CLI shows a response.
 *
 * --json prints any response message as JSON with its proto field names,
 * walking the protobuf-c descriptors, so a new RPC needs no printer of its
 * own. Without --json each command prints its own human-readable form.
 */
#ifndef CRUDDUR_CLI_PRINT_H
#define CRUDDUR_CLI_PRINT_H

#include <stdint.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

/* Writes m as one JSON object and a newline. Every field is written, also
 * when it holds its default; enums by name, 64-bit integers as numbers,
 * bytes as base64. */
void print_json(FILE *f, const ProtobufCMessage *m);

/* Writes a JSON string literal, escaped. */
void print_json_string(FILE *f, const char *s);

/* Formats microseconds since the epoch as "2026-11-25 13:04:05 UTC";
 * "-" for 0. */
const char *print_time(int64_t us, char *buf, size_t len);

#endif /* CRUDDUR_CLI_PRINT_H */
