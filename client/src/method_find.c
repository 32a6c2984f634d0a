/*
 * method_find.c - a generated method by its full name; see cruddur/method.h.
 *
 * A linear search of the generated table (a few dozen entries), once per
 * tool invocation: no index is worth keeping. No state, no locks.
 */
#include <stdio.h>
#include <string.h>

#include "cruddur/method.h"
#include "cruddur/stubs.h"

const cruddur_method *
cruddur_method_find(const char *name)
{
	char        slashed[256];
	const char *dot = strrchr(name, '.');

	if (strchr(name, '/') == NULL && dot != NULL && strlen(name) < sizeof(slashed)) {
		snprintf(slashed, sizeof(slashed), "%.*s/%s", (int)(dot - name), name, dot + 1);
		name = slashed;
	}
	for (size_t i = 0; i < cruddur_method_count; i++)
		if (strcmp(cruddur_methods[i]->full_name, name) == 0)
			return cruddur_methods[i];
	return NULL;
}
