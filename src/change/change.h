/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-c/json.h>

#include "commands.h"
#include "journal.h"
#include "model.h"
#include "plan.h"

/* Resolves DRIVER of `devown bind` for one device (cmd-bind.c): "vfio" picks the VFIO variant
 * driver whose vfio_pci: alias matches the device, else vfio-pci; "none" means unbound and
 * parked. Returns 0, or -ENOENT when no registered driver and no module has that name. */
int bind_resolve_driver(struct host *h, const char *arg, struct device *d,
			struct driver_choice *ret);

/* Sets rq->want_vfio and rq->need_type1 from the n driver choices of rq (bind, apply): a VFIO
 * driver anywhere means vfio_iommu_type1 must be loaded first. */
void change_request_vfio(struct change_request *rq, size_t n);

/* The flow shared by every command that changes devices (bind, unbind, restore, apply):
 *   change_begin: root check (unless dry run), the lock, the journal and its interrupted-run
 *                 check, and a full scan of the host;
 *   change_run:   plan, refuse (exit 3), print the plan (dry run), or execute and report;
 *   change_end:   release everything.
 * Both return an exit code; change_begin returns -1 when the caller should go on. */
struct change_ctx {
	enum change_kind kind;
	const struct cli *cli;
	char *command; /* "bind 0000:03:00.0 vfio", for the journal, syslog and messages */
	const char *driver_arg;
	struct host host;
	struct journal journal;
	int lock_fd;
	/* Set by apply after change_begin: the JSON report's "command" (NULL: the change kind),
	 * and a hook that adds the caller's own keys to the report before it is printed. */
	const char *json_command;
	void (*amend_json)(void *userdata, json_object *report);
	void *userdata;
};

int change_begin(struct change_ctx *c, enum change_kind kind, const char *command,
		 const char *driver_arg, const struct cli *cli);
int change_run(struct change_ctx *c, struct change_request *rq, struct device **devs,
	       const bool *explicit_target, size_t n);
void change_end(struct change_ctx *c);

/* bind, unbind and restore: parse targets, then the three steps above. */
int change_main(enum change_kind kind, int argc, char **argv, const char *driver_arg,
		const struct cli *cli);
