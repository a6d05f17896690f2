/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Prints config_mismatches() of the host under DEVOWN_ROOT as JSON: the function `devown
 * status` is to call, run the way status would (after a scan). Exit 1 when it fails, with its
 * error on stderr. */
#include "config-load.h"
#include "config-text.h"
#include "json.h"
#include "scan.h"
#include "util.h"

int main(void)
{
	struct scan_options so = { 0 };
	struct config_mismatch *m = NULL;
	struct host h;
	size_t n = 0;
	char *err = NULL;
	json_object *a;
	int r;

	if (host_scan(&h, &so, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return 1;
	}
	r = config_mismatches(&h, &m, &n, &err);
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		host_done(&h);
		return 1;
	}
	a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = config_mismatch_to_json(&m[i]);
		char *text = config_mismatch_describe(&m[i]);
		json_object_object_add(o, "text", json_object_new_string(text));
		free(text);
		json_object_array_add(a, o);
	}
	json_print(a);
	json_object_put(a);
	config_mismatches_free(m, n);
	host_done(&h);
	return 0;
}
