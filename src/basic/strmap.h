/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A map from strings to pointers (open addressing, power-of-two size): the memo tables of
 * lookups that many devices share. Zero-initialise; free with strmap_free(). */
struct strmap_slot {
	char *key; /* NULL: empty slot */
	void *value;
};

struct strmap {
	struct strmap_slot *slots;
	size_t size, used;
};

/* The value slot of key, or NULL when key is absent. */
void **strmap_get(const struct strmap *m, const char *key);
/* The value slot of key, added (holding NULL, *added set) when absent; key is copied. */
void **strmap_put(struct strmap *m, const char *key, bool *added);
/* Frees the keys, each value with free_value (unless NULL), and the table. */
void strmap_free(struct strmap *m, void (*free_value)(void *));

#define STRMAP_FOREACH(slot, m)                                                                    \
	for (struct strmap_slot *slot = (m)->slots; slot && slot < (m)->slots + (m)->size; slot++) \
		if (slot->key)
