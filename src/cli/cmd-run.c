/* SPDX-License-Identifier: GPL-2.0-or-later */
/* devown run: bind as bind does, run COMMAND, and restore what the bind changed when COMMAND
 * ends, however it ends. The change lock is held only while devices change, never while
 * COMMAND runs. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "commands.h"
#include "json.h"
#include "report.h"
#include "util.h"

static volatile sig_atomic_t child_pid;
static volatile sig_atomic_t pending_signal;

/* SIGINT, SIGTERM and SIGHUP are for COMMAND: devown passes them on and keeps waiting, so that
 * it can restore once COMMAND has ended. A signal the kernel sent (a terminal's ^C reaches the
 * whole foreground process group, COMMAND too) is not sent twice. */
static void forward(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (si && si->si_code == SI_KERNEL)
		return;
	if (child_pid > 0)
		(void)kill((pid_t)child_pid, sig);
	else
		pending_signal = sig;
}

/* COMMAND as a shell would take it back: words with blanks or quotes in single quotes. */
static char *join_argv(int n, char **argv)
{
	char *s = NULL;

	for (int i = 0; i < n; i++) {
		const char *w = argv[i];
		if (*w && !w[strcspn(w, " \t\n'\"\\$`;&|<>()*?[]#~")]) {
			strextendf(&s, "%s%s", i ? " " : "", w);
			continue;
		}
		strextendf(&s, "%s'", i ? " " : "");
		for (; *w; w++)
			if (*w == '\'')
				strextendf(&s, "'\\''");
			else
				strextendf(&s, "%c", *w);
		strextendf(&s, "'");
	}
	return s ? s : xstrdup("");
}

static char *join_strv(char **v)
{
	char *s = NULL;

	for (size_t i = 0; v && v[i]; i++)
		strextendf(&s, "%s%s", i ? " " : "", v[i]);
	return s ? s : xstrdup("");
}

struct child {
	pid_t pid;
	int status; /* waitpid()'s, when ran */
	bool ran;
	int exec_errno; /* the exec failed (COMMAND never ran) */
	int code;	/* the status devown reports for it: exit status, 128+signal, 126/127 */
};

/* Forks and execs COMMAND (PATH lookup) with DEVOWN_DEVICES and DEVOWN_GROUPS in its
 * environment, and waits for it, forwarding signals. */
static int run_child(char **argv, const struct change_run *run, struct child *ch)
{
	_cleanup_free_ char *devices = join_strv(run->devices), *groups = join_strv(run->groups);
	struct sigaction sa = { .sa_sigaction = forward, .sa_flags = SA_SIGINFO };
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	int pipefd[2], err = 0;
	ssize_t n;

	memset(ch, 0, sizeof(*ch));
	if (setenv("DEVOWN_DEVICES", devices, 1) < 0 || setenv("DEVOWN_GROUPS", groups, 1) < 0)
		return -errno;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
		(void)sigaction(sigs[i], &sa, NULL);
	fflush(stdout);
	fflush(stderr);

	ch->pid = fork();
	if (ch->pid < 0) {
		err = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (ch->pid == 0) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		sigemptyset(&dfl.sa_mask);
		for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
			(void)sigaction(sigs[i], &dfl, NULL);
		close(pipefd[0]);
		execvp(argv[0], argv);
		err = errno;
		(void)!write(pipefd[1], &err, sizeof(err));
		_exit(err == ENOENT || err == ENOTDIR ? 127 : 126);
	}
	child_pid = ch->pid;
	if (pending_signal)
		(void)kill(ch->pid, pending_signal);
	close(pipefd[1]);
	do
		n = read(pipefd[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == (ssize_t)sizeof(err))
		ch->exec_errno = err;

	while (waitpid(ch->pid, &ch->status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	child_pid = 0;
	ch->ran = !ch->exec_errno;
	if (ch->exec_errno)
		ch->code = ch->exec_errno == ENOENT || ch->exec_errno == ENOTDIR ? 127 : 126;
	else if (WIFEXITED(ch->status))
		ch->code = WEXITSTATUS(ch->status);
	else if (WIFSIGNALED(ch->status))
		ch->code = 128 + WTERMSIG(ch->status);
	else
		ch->code = EXIT_FAILED;
	return 0;
}

static const char *signal_name(int sig)
{
	static char buf[16];
	const char *abbrev = sigabbrev_np(sig);

	if (!abbrev)
		return NULL;
	snprintf(buf, sizeof(buf), "SIG%s", abbrev);
	return buf;
}

/* The run's one JSON document: the bind report with command "run", what became of COMMAND and
 * the restore's report. */
static void print_json(struct change_run *bind, int argc, char **argv, const struct child *ch,
		       json_object *restore, const char *restore_error, int code)
{
	json_object *j = bind->report ? json_object_get(bind->report) : json_object_new_object();
	json_object *r = json_object_new_object(), *a = json_object_new_array();

	json_object_object_add(j, "command", json_object_new_string("run"));
	for (int i = 0; i < argc; i++)
		json_object_array_add(a, json_object_new_string(argv[i]));
	json_object_object_add(r, "argv", a);
	json_object_object_add(r, "pid", ch && ch->pid > 0 ? json_object_new_int(ch->pid) : NULL);
	json_object_object_add(r, "exit_status",
			       ch && ch->ran && WIFEXITED(ch->status)
				       ? json_object_new_int(WEXITSTATUS(ch->status))
				       : NULL);
	json_object_object_add(r, "signal",
			       ch && ch->ran && WIFSIGNALED(ch->status) &&
					       signal_name(WTERMSIG(ch->status))
				       ? json_object_new_string(signal_name(WTERMSIG(ch->status)))
				       : NULL);
	json_object_object_add(
		r, "exec_error",
		ch && ch->exec_errno ? json_object_new_string(strerror(ch->exec_errno)) : NULL);
	json_object_object_add(j, "run", r);
	json_object_object_add(j, "restore", restore ? json_object_get(restore) : NULL);
	json_object_object_add(j, "restore_error",
			       restore_error ? json_object_new_string(restore_error) : NULL);
	json_object_object_add(j, "exit_code", json_object_new_int(code));
	json_print(j);
	json_object_put(j);
}

int cmd_run(int argc, char **argv, const struct cli *cli)
{
	struct change_options o = cli_change_options(cli);
	_cleanup_free_ char *command = NULL, *restore_error = NULL;
	struct change_run bind = { 0 }, restore = { 0 };
	struct child ch = { 0 };
	const char *driver = argv[argc - 1], *then;
	int code, rcode, r;

	if (!cli->has_command)
		return log_error("run needs '--' and the COMMAND to run after the DRIVER, e.g. "
				 "'devown run 0000:03:00.0 vfio -- dpdk-testpmd -- -i'"),
		       EXIT_USAGE;
	if (cli->n_command == 0)
		return log_error("no COMMAND after '--': name the program to run with the devices"),
		       EXIT_USAGE;
	if (cli->owner) {
		_cleanup_free_ char *err = NULL;
		if (change_resolve_owner(cli->owner, &o, &err) < 0) {
			log_error("--owner: %s", err);
			return EXIT_USAGE;
		}
	}

	command = join_argv(cli->n_command, cli->command);
	bind.pid = (int)getpid();
	bind.command = command;
	if (!cli->dry_run && (r = change_self_start(&bind.start)) < 0) {
		log_error("cannot read the start time of devown itself (/proc/self/stat): %s",
			  strerror(-r));
		return EXIT_FAILED;
	}
	o.run = &bind;
	code = change_main(CHANGE_BIND, argc - 1, argv, driver, &o);
	if (code != EXIT_OK || cli->dry_run) {
		/* Refused, failed or a dry run: COMMAND does not run. */
		if (cli->dry_run && code == EXIT_OK && !cli->out.json)
			report_print_would_run(command);
		/* Usage errors print no JSON, as for bind. */
		if (cli->out.json && bind.report)
			print_json(&bind, cli->n_command, cli->command, NULL, NULL, NULL, code);
		change_run_done(&bind);
		return code;
	}

	r = run_child(cli->command, &bind, &ch);
	then = bind.changed ? "; restoring the devices" : "";
	if (r < 0) {
		log_error("cannot start %s: %s%s", cli->command[0], strerror(-r), then);
		ch.code = EXIT_FAILED;
	} else if (ch.exec_errno)
		log_error("cannot run %s: %s%s", cli->command[0], strerror(ch.exec_errno), then);
	else if (WIFSIGNALED(ch.status))
		log_notice("%s was killed by %s%s", cli->command[0],
			   signal_name(WTERMSIG(ch.status)) ? signal_name(WTERMSIG(ch.status))
							    : "a signal",
			   then);

	if (!bind.changed) {
		/* Everything was already as asked: nothing of this run to give back. */
		if (cli->out.json)
			print_json(&bind, cli->n_command, cli->command, &ch, NULL, NULL, ch.code);
		change_run_done(&bind);
		return ch.code;
	}

	/* A grandchild may still hold a group: give it --timeout to let go, never hang. */
	if (change_wait_released(bind.groups, cli->timeout_ms, &restore_error) < 0) {
		_cleanup_free_ char *list = join_strv(bind.changed);
		log_error("%s %d s after %s ended; the restore is refused (the journal keeps it): "
			  "stop that process, then run 'devown restore %s'",
			  restore_error, (cli->timeout_ms + 999) / 1000, cli->command[0], list);
		if (cli->out.json)
			print_json(&bind, cli->n_command, cli->command, &ch, NULL, restore_error,
				   EXIT_REFUSED);
		change_run_done(&bind);
		return EXIT_REFUSED;
	}

	restore.pid = bind.pid;
	restore.restoring = true;
	o.run = &restore;
	o.owner = NULL;
	{
		_cleanup_strv_free_ char **targets = NULL;
		for (size_t i = 0; bind.changed[i]; i++)
			strv_push(&targets, xstrdup(bind.changed[i]));
		rcode = change_main(CHANGE_RESTORE, (int)strv_length(targets), targets, NULL, &o);
	}
	if (rcode == EXIT_REFUSED)
		code = EXIT_REFUSED;
	else if (rcode != EXIT_OK) {
		log_error("restoring after %s failed; %s %s %d (devown exits %d instead)",
			  cli->command[0], cli->command[0],
			  ch.ran && WIFSIGNALED(ch.status) ? "was killed by signal" : "exited with",
			  ch.ran && WIFSIGNALED(ch.status) ? WTERMSIG(ch.status) : ch.code,
			  EXIT_UNDO_FAILED);
		code = EXIT_UNDO_FAILED;
	} else
		code = ch.code;
	if (cli->out.json)
		print_json(&bind, cli->n_command, cli->command, &ch, restore.report, NULL, code);
	change_run_done(&bind);
	change_run_done(&restore);
	return code;
}
