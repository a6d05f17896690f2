/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "strmap.h"
#include "util.h"

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct strmap_slot *slot_of(const struct strmap *m, const char *key)
{
	size_t mask = m->size - 1;

	for (size_t i = hash_str(key) & mask;; i = (i + 1) & mask)
		if (!m->slots[i].key || streq(m->slots[i].key, key))
			return &m->slots[i];
}

void **strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_slot *s;

	if (!m->size)
		return NULL;
	s = slot_of(m, key);
	return s->key ? &s->value : NULL;
}

static void grow(struct strmap *m)
{
	struct strmap_slot *old = m->slots;
	size_t old_size = m->size;

	m->size = old_size ? old_size * 2 : 64;
	m->slots = xcalloc(m->size, sizeof(*m->slots));
	for (size_t i = 0; i < old_size; i++)
		if (old[i].key)
			*slot_of(m, old[i].key) = old[i];
	free(old);
}

void **strmap_put(struct strmap *m, const char *key, bool *added)
{
	struct strmap_slot *s;

	/* At most half full, so that probes stay short and always end. */
	if ((m->used + 1) * 2 > m->size)
		grow(m);
	s = slot_of(m, key);
	*added = !s->key;
	if (!s->key) {
		s->key = xstrdup(key);
		s->value = NULL;
		m->used++;
	}
	return &s->value;
}

void strmap_free(struct strmap *m, void (*free_value)(void *))
{
	for (size_t i = 0; i < m->size; i++)
		if (m->slots[i].key) {
			free(m->slots[i].key);
			if (free_value)
				free_value(m->slots[i].value);
		}
	free(m->slots);
	*m = (struct strmap){ 0 };
}
