/*
 * svc_activities.h - what the two files of the Activities service share.
 *
 * svc_activities.c serves the reads (HomeFeed, ShowActivity) and registers
 * the service; svc_activities_write.c serves the writes (CreateActivity,
 * CreateReply).
 */
#ifndef CRUDDUR_SVC_ACTIVITIES_H
#define CRUDDUR_SVC_ACTIVITIES_H

#include "rpc_handlers.h"

/* Sets the CreateActivity and CreateReply handlers. */
void svc_activities_write_register(rpc_handlers *h);

#endif /* CRUDDUR_SVC_ACTIVITIES_H */
