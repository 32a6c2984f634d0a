/*
 * http_link.h - the next page's URL as a Link header value (RFC 8288), for
 * the HTTP gateway's paging routes.
 */
#ifndef CRUDDUR_HTTP_LINK_H
#define CRUDDUR_HTTP_LINK_H

/* "<path?query'>; rel=\"next\"": the request's path and query (NULL: none)
 * with cursor=<next, percent-encoded> in place of any cursor parameter.
 * malloc'd (the caller frees); NULL when out of memory or when path or query
 * hold bytes a header should not carry (anything but letters, digits and
 * RFC 3986's unreserved, sub-delims, ':', '@', '/' and '%'). */
char *http_next_link(const char *path, const char *query, const char *next);

#endif /* CRUDDUR_HTTP_LINK_H */
