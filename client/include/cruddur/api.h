/*
 * cruddur/api.h - how libcruddur's public headers declare what they export.
 *
 * libcruddur.so is built with -fvisibility=hidden: nothing leaves it unless
 * its declaration says CRUDDUR_API, so that its internals (the cruddur_i_
 * functions, docs/ARCHITECTURE.md) are no part of its ABI and cannot clash
 * with a program's own names. The generated stubs (cruddur/stubs.h) say it
 * too; protobuf-c's generated messages (cruddur/v1/NAME.pb-c.h, names
 * cruddur__v1__...) are built with default visibility instead, since
 * protoc-c writes no such macro. The attribute is harmless where the
 * headers are only used, so it is the same on both sides.
 *
 * CRUDDUR_BEGIN_DECLS / CRUDDUR_END_DECLS wrap every public header in
 * extern "C" for C++ callers, as protobuf-c's PROTOBUF_C__BEGIN_DECLS does
 * for the generated ones.
 */
#ifndef CRUDDUR_API_H
#define CRUDDUR_API_H

#if defined(__GNUC__) || defined(__clang__)
#define CRUDDUR_API __attribute__((visibility("default")))
#else
#define CRUDDUR_API
#endif

#ifdef __cplusplus
#define CRUDDUR_BEGIN_DECLS extern "C" {
#define CRUDDUR_END_DECLS   }
#else
#define CRUDDUR_BEGIN_DECLS
#define CRUDDUR_END_DECLS
#endif

#endif /* CRUDDUR_API_H */
