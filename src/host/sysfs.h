/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Everything devown reads or writes under /sys, /proc, /dev and /run goes through the host
 * layer: this file (PCI devices, drivers, modules, sysfs writes, devown's files under /run),
 * procfs.h (/proc, other parts of /sys, rtnetlink), sysfs-ident.h, vfio.h, lock.h and
 * files.h. tests/layout/check_layout.py fails when code outside src/host/ builds such a path.
 *
 * DEVOWN_ROOT (a testing aid, documented in devown(8)) prefixes all of these paths so that the
 * fixture tests can run the real binary against a generated tree. */

/* "" normally, or the value of DEVOWN_ROOT without a trailing slash. */
const char *root_prefix(void);
bool root_is_fake(void);
/* Returns root_prefix() + abs (abs starts with '/'); caller frees. */
char *root_path(const char *abs);

/* Reads a sysfs attribute relative to dirfd (AT_FDCWD with an absolute, already prefixed path
 * works too) in one read(), strips trailing whitespace. Caller frees *ret. Returns 0 or
 * -errno. */
int read_text_at(int dirfd, const char *name, char **ret);
/* Same for a small file under the root ("/proc/sys/kernel/osrelease"), read to its end. */
int read_root_text(const char *abs, char **ret);
/* Reads what is left of fd to its end, at most max bytes (0: no limit; -EFBIG beyond), and
 * NUL-terminates it; *ret_len (may be NULL) gets the length. Returns 0 or -errno. The one
 * whole-file reader of devown. */
int read_fd_all(int fd, size_t max, char **ret, size_t *ret_len);
/* Reads a whole file under the root (procfs files outgrow read_text_at's page), as it is. A
 * file absent from a fake root reads as empty: fixture trees hold only what a test needs. */
int read_root_file(const char *abs, char **ret);
/* Reads a whole file relative to dirfd, however long (mountinfo, maps, fdinfo), without
 * blocking on a FIFO; nothing stripped. Caller frees *ret. Returns 0 or -errno. */
int read_whole_at(int dirfd, const char *name, char **ret);
/* Reads an attribute that holds a number (hex with 0x, or decimal). */
int read_uint_at(int dirfd, const char *name, unsigned *ret);
int read_int_at(int dirfd, const char *name, int *ret);
/* Basename of a symlink's target ("driver" -> "e1000e"). Caller frees. -ENOENT if absent. */
int read_link_base_at(int dirfd, const char *name, char **ret);
/* Sorted names in a directory (no dot entries); caller frees with strv_free. */
int list_dir_at(int dirfd, const char *name, char ***ret);

/* Threads that read many devices: sysfs_reader_begin() gives the calling thread a file table
 * of its own (unshare(CLONE_FILES)), after which the read_*_at() functions leave what they open
 * open; sysfs_reader_release(dirfd), when a device is done, closes its directory and all of
 * them with one close_range() once some devices' worth have gathered (a few dozen files, never
 * more than a quarter of RLIMIT_NOFILE), and sysfs_reader_end() closes what is left: a system call
 * for several devices instead of one per attribute. Returns false, changing nothing, when the
 * kernel refuses. On other threads sysfs_reader_release(fd) is close(fd). */
bool sysfs_reader_begin(void);
void sysfs_reader_release(int fd);
void sysfs_reader_end(void);

/* PCI devices. */
int sysfs_pci_devices(char ***ret);		      /* sorted addresses */
int sysfs_open_device(const char *addr, int *ret_fd); /* O_DIRECTORY fd of the device */
int sysfs_iommu_groups(int **ret, size_t *ret_n);     /* sorted group numbers */
bool sysfs_pci_present(void);			      /* /sys/bus/pci/devices exists */
bool sysfs_device_present(const char *addr);
bool sysfs_group_present(int group);
int sysfs_group_type(int group, char **ret);
int sysfs_iommu_units(char ***ret);		  /* /sys/class/iommu entries */
bool sysfs_driver_registered(const char *driver); /* /sys/bus/pci/drivers/X exists */
int sysfs_pci_drivers(char ***ret);
/* Name of the module that provides a registered driver, from drivers/X/module. */
int sysfs_driver_module(const char *driver, char **ret);

/* ---- writes ----
 * Every write to sysfs goes through sysfs_write(): it opens the attribute with
 * O_WRONLY|O_CLOEXEC|O_NOFOLLOW, checks write() and close(), and runs in a child process bounded
 * by a timeout, because some writes block uninterruptibly in the kernel (docs/kernel.md,
 * "Writing to sysfs": an unbind of a VFIO device that user space has open). -ETIMEDOUT means
 * the child is still stuck in the kernel and the write may yet take effect.
 *
 * Testing aids, documented in devown(8): DEVOWN_FAIL_WRITE=N makes the Nth write of this run
 * fail with EIO without writing; DEVOWN_KILL_AFTER_WRITE=N kills devown with SIGKILL right
 * after its Nth write; DEVOWN_PAUSE_BEFORE_WRITE=N[:MS] sleeps MS milliseconds (3000) before the
 * Nth write and says so on stderr, so that a test can act in between. */
void sysfs_set_write_timeout(int timeout_ms);
int sysfs_write(const char *abs, const char *value);

/* A device's driver_override, or NULL when it is unset (it reads "(null)", or nothing) or
 * cannot be read. Caller frees. */
char *sysfs_read_override(int dirfd);
int sysfs_set_override(const char *addr, const char *value); /* NULL clears it */
int sysfs_unbind(const char *addr, const char *driver);
int sysfs_bind(const char *addr, const char *driver);
/* Asks the kernel to find a driver for the device (drivers_probe); hides most errors. */
int sysfs_probe(const char *addr);

/* Kernel modules as sysfs shows them. */
bool sysfs_module_loaded(const char *module);
/* PCI drivers a loaded module registers (from /sys/module/M/drivers/pci:NAME). */
int sysfs_module_pci_drivers(const char *module, char ***ret);
/* The /dev path of a VFIO group node under the root. Caller frees. */
char *vfio_group_node(int group);

/* ---- devown's own files under DEVOWN_RUNDIR (/run/devown, under the root) ---- */
char *run_file_path(const char *name); /* caller frees */
/* Whether the run directory is root's alone (file_trust_check; a missing one is fine, it is
 * created 0755): the journal, the lock and the caches live there. Returns 0 or -EPERM with
 * *ret_why (may be NULL; caller frees). run_file_read and run_file_replace refuse (-EPERM) in
 * an untrusted directory, and run_file_read a file others could have written. */
int run_dir_check(char **ret_why);
/* Reads the file whole. Returns 0 or -errno (-ENOENT when absent). Caller frees. */
int run_file_read(const char *name, char **ret);
/* Whether the file exists (access F_OK): 0 or -errno. */
int run_file_access(const char *name);
/* Removes the file: 0 or -errno (-ENOENT when absent). */
int run_file_remove(const char *name);
/* Replaces the file with text: written to a temporary file that is then renamed over it, so
 * that a reader sees the old or the new file whole; with durable, fsync'd (file, then
 * directory) first. Creates the directory (0755) when needed. Returns 0 or -errno. */
int run_file_replace(const char *name, const char *text, bool durable);

/* ---- SR-IOV of a physical function ---- */
/* sriov_numvfs and sriov_drivers_autoprobe (0 or 1) of a PF, read fresh. 0 or -errno. */
int sysfs_sriov_read(const char *pf, int *ret_numvfs, int *ret_autoprobe);
/* Writes sriov_numvfs (the kernel refuses a change between two counts that are not 0 with
 * EBUSY: write 0 first) and sriov_drivers_autoprobe, through sysfs_write(). */
int sysfs_sriov_set_numvfs(const char *pf, int n);
int sysfs_sriov_set_autoprobe(const char *pf, bool on);
/* The addresses of the PF's VFs from its virtfn0..virtfnN-1 links, in that order, counting
 * only those whose device directory exists. Caller frees with strv_free. 0 or -errno. */
int sysfs_sriov_vfs(const char *pf, char ***ret);
