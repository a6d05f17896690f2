/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <libkmod.h>

#include "modules.h"
#include "policy.h"
#include "strmap.h"
#include "sysfs.h"
#include "util.h"

struct modctx {
	struct kmod_ctx *ctx;
	bool usable;
	struct strmap cache; /* modalias or name -> strv of module names */
};

static void kmod_log_cb(void *data, int priority, const char *file, int line, const char *fn,
			const char *format, va_list args)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), format, args);
	buf[strcspn(buf, "\n")] = '\0';
	/* libkmod reports missing indexes and modules loudly; devown says what matters itself. */
	log_debug("libkmod: %s", buf);
}

struct modctx *modctx_new(const char *release)
{
	struct modctx *m = xcalloc(1, sizeof(*m));
	_cleanup_free_ char *dir = NULL, *conf = NULL;

	if (root_is_fake()) {
		const char *paths[2];
		dir = xasprintf("%s/lib/modules/%s", root_prefix(), release);
		conf = root_path("/etc/modprobe.d");
		paths[0] = conf;
		paths[1] = NULL;
		m->ctx = kmod_new(dir, paths);
	} else
		m->ctx = kmod_new(NULL, NULL);
	if (!m->ctx)
		return m;
	kmod_set_log_fn(m->ctx, kmod_log_cb, NULL);
	m->usable = kmod_load_resources(m->ctx) >= 0;
	return m;
}

static void free_strv(void *v)
{
	strv_free(v);
}

void modctx_free(struct modctx *m)
{
	if (!m)
		return;
	strmap_free(&m->cache, free_strv);
	if (m->ctx)
		kmod_unref(m->ctx);
	free(m);
}

static char **lookup_uncached(struct modctx *m, const char *alias)
{
	struct kmod_list *list = NULL, *l;
	char **v = xcalloc(1, sizeof(char *));

	if (kmod_module_new_from_lookup(m->ctx, alias, &list) < 0)
		return v;
	kmod_list_foreach (l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		const char *name = kmod_module_get_name(mod);
		if (name && !strv_contains(v, name))
			strv_push(&v, xstrdup(name));
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return v;
}

static int lookup_cached(struct modctx *m, const char *alias, char *const **ret)
{
	void **v;
	bool added;

	if (!m || !m->usable)
		return -ENOENT;
	/* Identical devices (VFs, ports of one card) share a modalias: look each up once. */
	v = strmap_put(&m->cache, alias, &added);
	if (added)
		*v = lookup_uncached(m, alias);
	*ret = *v;
	return 0;
}

int modctx_lookup(struct modctx *m, const char *modalias, char *const **ret)
{
	return lookup_cached(m, modalias, ret);
}

/* Whether modprobe.d blacklists the module ("blacklist NAME"): the administrator has said that
 * aliases must not load it, and "vfio" picks by alias. */
static bool module_blacklisted(struct modctx *m, const char *name)
{
	struct kmod_config_iter *it = kmod_config_get_blacklists(m->ctx);
	bool listed = false;

	while (it && !listed && kmod_config_iter_next(it))
		listed = driver_name_eq(kmod_config_iter_get_key(it), name);
	kmod_config_iter_free_iter(it);
	return listed;
}

int modctx_vfio_variant(struct modctx *m, const char *modalias, char **ret)
{
	_cleanup_free_ char *alias = NULL;
	char *const *mods;
	int r;

	*ret = NULL;
	if (!startswith(modalias, "pci:"))
		return -EINVAL;
	alias = xasprintf("vfio_%s", modalias);
	r = lookup_cached(m, alias, &mods);
	if (r < 0)
		return r;
	for (size_t i = 0; mods[i]; i++)
		if (!streq(mods[i], "vfio_pci") && !module_blacklisted(m, mods[i])) {
			*ret = xstrdup(mods[i]);
			break;
		}
	return 0;
}

bool modctx_module_exists(struct modctx *m, const char *name)
{
	char *const *mods;

	if (lookup_cached(m, name, &mods) < 0)
		return false;
	return mods[0] != NULL;
}

int modctx_load(struct modctx *m, const char *name)
{
	struct kmod_list *list = NULL, *l;
	int r = -ENOENT;

	if (!m || !m->ctx)
		return -ENOENT;
	if (root_is_fake()) {
		/* A fixture tree: never insert the host's modules for it. */
		log_debug("DEVOWN_ROOT: not loading module %s", name);
		return 0;
	}
	r = kmod_module_new_from_lookup(m->ctx, name, &list);
	if (r < 0)
		return r;
	if (!list)
		return -ENOENT;
	kmod_list_foreach (l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		r = kmod_module_probe_insert_module(mod, 0, NULL, NULL, NULL, NULL);
		kmod_module_unref(mod);
		if (r >= 0)
			break;
	}
	kmod_module_unref_list(list);
	return r < 0 ? r : 0;
}
