/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>

#include "commands.h"
#include "config.h"
#include "util.h"

struct command {
	const char *name;
	int min_args, max_args; /* -1: unbounded */
	command_fn fn;
	unsigned options; /* OPT_* accepted */
	const char *args;
	const char *summary;
};

static const struct command commands[] = {
	{ "status", 0, -1, cmd_status, OPT_JSON | OPT_VERBOSE, "[TARGET...]",
	  "show IOMMU groups, drivers, DMA owners and what blocks VFIO" },
	{ "bind", 2, -1, cmd_bind,
	  OPT_JSON | OPT_VERBOSE | OPT_GROUP | OPT_DRY_RUN | OPT_FORCE | OPT_TIMEOUT | OPT_OWNER,
	  "TARGET... DRIVER", "bind devices (or whole groups) to DRIVER, e.g. vfio" },
	{ "unbind", 1, -1, cmd_unbind,
	  OPT_JSON | OPT_VERBOSE | OPT_GROUP | OPT_DRY_RUN | OPT_FORCE | OPT_TIMEOUT, "TARGET...",
	  "detach devices and keep them unbound until restored" },
	{ "restore", 0, -1, cmd_restore, OPT_JSON | OPT_VERBOSE | OPT_DRY_RUN | OPT_TIMEOUT,
	  "[TARGET...]", "give devices back the driver and override they had before devown" },
	{ "apply", 0, -1, cmd_apply,
	  OPT_JSON | OPT_VERBOSE | OPT_DRY_RUN | OPT_FORCE | OPT_TIMEOUT | OPT_DEVICE | OPT_OWNER |
		  OPT_ORIGIN,
	  "[FILE...]", "bring devices to the state the configuration names" },
	{ "export", 0, 0, cmd_export, OPT_JSON, "",
	  "print the devices devown manages as configuration for apply" },
	{ "run", 2, -1, cmd_run,
	  OPT_JSON | OPT_VERBOSE | OPT_GROUP | OPT_DRY_RUN | OPT_FORCE | OPT_TIMEOUT | OPT_OWNER,
	  "TARGET... DRIVER -- COMMAND...",
	  "bind, run COMMAND, and restore when it ends, however it ends" },
	{ "sriov", 2, 2, cmd_sriov,
	  OPT_JSON | OPT_VERBOSE | OPT_DRY_RUN | OPT_FORCE | OPT_TIMEOUT | OPT_DRIVER, "PF COUNT",
	  "create COUNT virtual functions on PF (0 removes them), e.g. --driver vfio" },
};

struct option_doc {
	const char *name;
	int val;
	int has_arg;
	unsigned flag;
	const char *arg, *help;
};

enum {
	ARG_TIMEOUT = 0x100,
	ARG_VERSION,
	ARG_NO_COLOR,
	ARG_DEVICE,
	ARG_OWNER,
	ARG_DRIVER,
	ARG_ORIGIN
};

static const struct option_doc option_docs[] = {
	{ "json", 'j', no_argument, OPT_JSON, NULL, "print JSON (schema 1) instead of text" },
	{ "verbose", 'v', no_argument, OPT_VERBOSE, NULL, "show every attribute of each device" },
	{ "group", 'g', no_argument, OPT_GROUP, NULL,
	  "act on every non-bridge member of each target's IOMMU group" },
	{ "dry-run", 'n', no_argument, OPT_DRY_RUN, NULL,
	  "print the plan and whether it would go ahead; change nothing" },
	{ "force", 'f', no_argument, OPT_FORCE, NULL,
	  "take devices the host is using, give up the VFs of an SR-IOV PF, or bind a driver that "
	  "does not claim the device (never overrides a held group)" },
	{ "timeout", ARG_TIMEOUT, required_argument, OPT_TIMEOUT, "SEC",
	  "bound for blocking writes, waits and the lock (default 10)" },
	{ "device", ARG_DEVICE, required_argument, OPT_DEVICE, "ADDR",
	  "apply: only the entries that concern this device (for udev)" },
	{ "owner", ARG_OWNER, required_argument, OPT_OWNER, "USER[:GROUP]",
	  "give the VFIO device nodes to USER (and GROUP) until restore" },
	{ "driver", ARG_DRIVER, required_argument, OPT_DRIVER, "DRIVER",
	  "sriov: bind the VFs to DRIVER (vfio: the VFIO driver) before any host VF driver" },
	{ "origin", ARG_ORIGIN, required_argument, OPT_ORIGIN, "WHERE",
	  "apply: who runs it, for the journal (initramfs, unit, udev or command)" },
	{ "no-color", ARG_NO_COLOR, no_argument, 0, NULL, "never colour the text output" },
	{ "help", 'h', no_argument, 0, NULL, "show this help" },
	{ "version", ARG_VERSION, no_argument, 0, NULL, "show the version" },
};

static void help(void)
{
	printf("Usage: devown [OPTIONS] COMMAND [ARGS...]\n\n"
	       "Hand PCI devices between host drivers and user space (VFIO, DPDK, SPDK) safely.\n\n"
	       "Commands:\n");
	for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
		char left[64];
		snprintf(left, sizeof(left), "%s %s", commands[i].name, commands[i].args);
		printf("  %-34s %s\n", left, commands[i].summary);
	}
	printf("\nOptions:\n");
	for (size_t i = 0; i < ELEMENTSOF(option_docs); i++) {
		char left[64];
		const struct option_doc *o = &option_docs[i];
		if (o->val < 0x100)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->val, o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		printf("  %-34s %s\n", left, o->help);
	}
	printf("\nTARGET is a PCI address (0000:03:00.0, or 03:00.0 for domain 0000) or an IOMMU\n"
	       "group number. Exit status: 0 success, 1 operation failed, 2 usage error or "
	       "unknown\n"
	       "target, 3 refused by a safety check, 4 failed and could not be fully undone.\n"
	       "See devown(8).\n");
}

static int usage_error(const char *fmt, ...) _printf_(1, 2);
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("devown: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'devown --help'.\n", stderr);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct option longopts[ELEMENTSOF(option_docs) + 1];
	struct cli cli = { .timeout_ms = 10000 };
	bool no_color = false;
	const struct command *cmd = NULL;
	int c, nargs;

	setlocale(LC_CTYPE, "");
	for (size_t i = 0; i < ELEMENTSOF(option_docs); i++)
		longopts[i] = (struct option){ option_docs[i].name, option_docs[i].has_arg, NULL,
					       option_docs[i].val };
	longopts[ELEMENTSOF(option_docs)] = (struct option){ 0 };

	/* What follows the first "--" is not devown's: run's COMMAND, which getopt must neither
	 * parse nor move. For the other commands those words stay arguments, as before. */
	for (int i = 1; i < argc; i++)
		if (streq(argv[i], "--")) {
			cli.has_command = true;
			cli.command = argv + i + 1;
			cli.n_command = argc - i - 1;
			argc = i;
			break;
		}

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jvgnfh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			cli.given |= OPT_JSON;
			cli.out.json = true;
			break;
		case 'v':
			cli.given |= OPT_VERBOSE;
			cli.out.verbose = true;
			break;
		case 'g':
			cli.given |= OPT_GROUP;
			cli.group = true;
			break;
		case 'n':
			cli.given |= OPT_DRY_RUN;
			cli.dry_run = true;
			break;
		case 'f':
			cli.given |= OPT_FORCE;
			cli.force = true;
			break;
		case ARG_TIMEOUT: {
			char *end;
			double s;
			errno = 0;
			s = strtod(optarg, &end);
			/* Below a millisecond it would be 0 ms: no wait at all (issue 17). */
			if (errno || end == optarg || *end || !(s >= 0.001) || s > 3600)
				return usage_error("invalid --timeout '%s': give seconds, at least "
						   "0.001 and at most 3600",
						   optarg);
			cli.given |= OPT_TIMEOUT;
			cli.timeout_ms = (int)(s * 1000);
			break;
		}
		case ARG_DEVICE:
			cli.given |= OPT_DEVICE;
			cli.device = optarg;
			break;
		case ARG_OWNER:
			cli.given |= OPT_OWNER;
			cli.owner = optarg;
			break;
		case ARG_DRIVER:
			cli.given |= OPT_DRIVER;
			cli.driver = optarg;
			break;
		case ARG_ORIGIN:
			/* Checked once the command is known: "does not apply" comes first. */
			cli.given |= OPT_ORIGIN;
			cli.origin = optarg;
			break;
		case ARG_NO_COLOR:
			no_color = true;
			break;
		case 'h':
			help();
			return EXIT_OK;
		case ARG_VERSION:
			printf("devown %s%s\n", DEVOWN_VERSION,
			       test_hooks_built() ? " (test build: honours the testing aids)" : "");
			return EXIT_OK;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		case '?':
		default: {
			/* getopt_long reports "--json=1" by its short option: name the long one. */
			const char *a = optind > 0 ? argv[optind - 1] : "";
			const char *eq = startswith(a, "--") ? strchr(a, '=') : NULL;
			if (eq)
				for (size_t i = 0; i < ELEMENTSOF(option_docs); i++)
					if (option_docs[i].has_arg == no_argument &&
					    strlen(option_docs[i].name) == (size_t)(eq - a - 2) &&
					    strncmp(a + 2, option_docs[i].name, eq - a - 2) == 0)
						return usage_error(
							"option '--%s' takes no argument",
							option_docs[i].name);
			if (optopt && optopt < 0x100) {
				char s[3] = { '-', (char)optopt, 0 };
				return usage_error("unknown option '%s'", s);
			}
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no command given");
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		if (streq(commands[i].name, argv[optind]))
			cmd = &commands[i];
	if (!cmd)
		return usage_error("unknown command '%s'", argv[optind]);

	for (size_t i = 0; i < ELEMENTSOF(option_docs); i++)
		if ((cli.given & option_docs[i].flag) && !(cmd->options & option_docs[i].flag)) {
			fprintf(stderr, "devown: option --%s does not apply to '%s'\n",
				option_docs[i].name, cmd->name);
			fputs("Try 'devown --help'.\n", stderr);
			return EXIT_USAGE;
		}
	if (cli.has_command && cmd->fn != cmd_run) {
		/* argv[argc] is the "--": the words after it join the arguments. */
		memmove(argv + argc, argv + argc + 1, (size_t)cli.n_command * sizeof(char *));
		argc += cli.n_command;
		argv[argc] = NULL;
		cli.has_command = false;
		cli.command = NULL;
		cli.n_command = 0;
	}
	if (cli.origin && !journal_origin_valid(cli.origin))
		return usage_error("invalid --origin '%s': give initramfs, unit, udev or command",
				   cli.origin);
	nargs = argc - optind - 1;
	if (nargs < cmd->min_args)
		return usage_error("too few arguments for '%s'", cmd->name);
	if (cmd->max_args >= 0 && nargs > cmd->max_args)
		return usage_error("too many arguments for '%s'", cmd->name);

	cli.out.color = !no_color && !(getenv("NO_COLOR") && *getenv("NO_COLOR")) &&
			isatty(STDOUT_FILENO) && !streq_ptr(getenv("TERM"), "dumb");
	if (getenv("DEVOWN_DEBUG"))
		log_max_level = LOG_LEVEL_DEBUG;
	return cmd->fn(nargs, argv + optind + 1, &cli);
}
