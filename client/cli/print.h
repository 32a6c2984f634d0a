/*
 * print.h - how the cruddur CLI shows a response.
 *
 * --json prints any response message as protobuf's canonical proto3 JSON
 * (cruddur/json.h: proto field names, every field, enums by name, 64-bit
 * integers as strings), from the descriptors, so a new RPC needs no printer
 * of its own. Without --json each command prints its own human-readable
 * form.
 */
#ifndef CRUDDUR_CLI_PRINT_H
#define CRUDDUR_CLI_PRINT_H

#include <stdint.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

/* Writes m as one JSON object on one line, and a newline. */
void print_json(FILE *f, const ProtobufCMessage *m);

/* The same, indented, one field a line (CRUDDUR_JSON_PRETTY). */
void print_json_pretty(FILE *f, const ProtobufCMessage *m);

/* Formats microseconds since the epoch as "2026-11-25 13:04:05 UTC";
 * "-" for 0. */
const char *print_time(int64_t us, char *buf, size_t len);

#endif /* CRUDDUR_CLI_PRINT_H */
