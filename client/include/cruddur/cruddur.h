/*
 * cruddur/cruddur.h - everything a user of libcruddur includes.
 *
 * It declares nothing itself: each header it includes has its own
 * extern "C" guard (cruddur/api.h), so C++ may include any of them alone.
 */
#ifndef CRUDDUR_CRUDDUR_H
#define CRUDDUR_CRUDDUR_H

#include "cruddur/client.h"
#include "cruddur/json.h"
#include "cruddur/status.h"
#include "cruddur/stubs.h"
#include "cruddur/version.h"

#endif /* CRUDDUR_CRUDDUR_H */
