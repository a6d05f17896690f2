/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration of `devown apply` as the files under the root hold it. */
#include <fcntl.h>

#include "config-load.h"
#include "files.h"
#include "ident.h"
#include "sysfs.h"
#include "util.h"

int config_load(char *const *files, size_t n, struct config *ret, char **ret_error)
{
	struct config c = { 0 };
	_cleanup_strv_free_ char **found = NULL;
	int r;

	*ret_error = NULL;
	if (n == 0) {
		_cleanup_free_ char *dir = config_dir();
		_cleanup_strv_free_ char **names = NULL;
		r = config_dir_list(dir, &names);
		if (r == -ENOENT)
			names = xcalloc(1, sizeof(char *));
		else if (r < 0) {
			*ret_error =
				xasprintf("%s: cannot read the directory: %s", dir, strerror(-r));
			return r;
		}
		/* list_dir_at sorts with strcmp (bytes, not the locale) and skips dot files. */
		for (char **s = names; *s; s++)
			if (endswith(*s, ".conf") && strlen(*s) > strlen(".conf"))
				strv_push(&found, xasprintf("%s/%s", dir, *s));
		files = found;
		n = strv_length(found);
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *text = NULL;
		r = config_file_read(files[i], &text, ret_error);
		if (r >= 0)
			r = config_parse_text(&c, files[i], text, ret_error);
		if (r < 0) {
			config_done(&c);
			memset(ret, 0, sizeof(*ret));
			return r;
		}
		strv_push(&c.files, xstrdup(files[i]));
	}
	*ret = c;
	return 0;
}

/* A PF whose VF count is not its entry's vfs=: what apply would change (status shows it with
 * the other mismatches; apply itself just brings the count there). */
static void add_vf_mismatches(const struct config *c, struct host *h,
			      const struct device_ident *ids, struct config_mismatch **v, size_t *n)
{
	struct config_result res = { 0 };
	_cleanup_free_ char *err = NULL;

	if (config_resolve(c, h, ids, NULL, &res, &err) < 0)
		return;
	for (size_t i = 0; i < res.n_picks; i++) {
		const struct config_pick *p = &res.picks[i];
		const struct config_entry *e = p->entry;
		int now = p->dev->sriov_numvfs > 0 ? p->dev->sriov_numvfs : 0;
		struct config_mismatch *m;
		if (!config_entry_has(e, KEY_VFS) || !p->explicit_target || now == e->vfs)
			continue;
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		m = &(*v)[(*n)++];
		memset(m, 0, sizeof(*m));
		m->entry = xstrdup(e->name);
		m->file = xstrdup(e->file);
		m->line = e->key_line[KEY_VFS];
		snprintf(m->address, sizeof(m->address), "%s", p->dev->addr);
		m->expected = xasprintf("vfs=%d", e->vfs);
		m->found = xasprintf("sriov_numvfs=%d", now);
	}
	config_result_done(&res);
}

int config_mismatches(struct host *h, struct config_mismatch **ret, size_t *ret_n, char **ret_error)
{
	struct config c;
	struct device_ident *ids;
	int r;

	*ret = NULL;
	*ret_n = 0;
	r = config_load(NULL, 0, &c, ret_error);
	if (r < 0)
		return r;
	ids = config_idents(&c, h);
	config_find_mismatches(&c, h, ids, ret, ret_n);
	add_vf_mismatches(&c, h, ids, ret, ret_n);
	config_idents_free(ids, h->n_devices);
	config_done(&c);
	return 0;
}
