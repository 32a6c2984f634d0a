/*
 * http_routes_internal.h - what the two halves of http_routes.h share: the shapes that
 * http_route_plan (http_routes.c) chooses and http_route_render (http_routes_render.c)
 * writes. Private to those two files and their tests.
 */
#ifndef CRUDDUR_HTTP_ROUTES_INTERNAL_H
#define CRUDDUR_HTTP_ROUTES_INTERNAL_H

/* http_route.shape: which backend-flask JSON a route answers with (docs/HTTP.md). */
enum http_route_shape {
	HTTP_SHAPE_NONE = 0,
	HTTP_SHAPE_HOME,            /* HomeFeed: [row, ...] */
	HTTP_SHAPE_NEW_ACTIVITY,    /* CreateActivity: row */
	HTTP_SHAPE_SHOW,            /* ShowActivity: {"activity": row, "replies": [row, ...]} */
	HTTP_SHAPE_NEW_REPLY,       /* CreateReply: row */
	HTTP_SHAPE_USER_ACTIVITIES, /* UserActivities: {"profile": {...}, "activities": [...]} */
	HTTP_SHAPE_SHORT_USER,      /* ShortUser: {"uuid", "handle", "display_name"} */
	HTTP_SHAPE_PROFILE,         /* UpdateProfile: {"uuid", "handle", "display_name"} */
};

/* The longest cursor a route passes on or sends back in a header: the server's cursors
 * are far shorter (svc/cursor.c), and a header value must stay small and plain. */
#define HTTP_ROUTE_CURSOR_MAX 128

#endif /* CRUDDUR_HTTP_ROUTES_INTERNAL_H */
