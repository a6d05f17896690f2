/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

/* Who owns a device's DMA, as far as the kernel's DMA ownership accounting goes. */
enum dma_role {
	DMA_NONE,    /* no driver bound */
	DMA_KERNEL,  /* bound to a driver that uses the group's default domain */
	DMA_MANAGED, /* bound to a driver that manages DMA itself (VFIO, pci-stub, pcieport) */
};

/* One way the host is using a device: {kind, name, detail}. Kinds: "net", "mount", "swap",
 * "holder", "display", "devnode" (see inuse.h). name is the object below the device (an
 * interface, a block device, a device node; "boot_vga" or a framebuffer for display). The
 * kind-specific fields are zero/NULL where they do not apply; inuse_done() frees them all. */
struct in_use {
	char *kind;
	char *name;
	char *detail;
	bool own_connection; /* the administrator's own SSH connection runs over it */
	/* net */
	char **addresses; /* "ADDR/PREFIX" of the interface and its upper devices (strv) */
	char **routes;	  /* destinations routed through them: "0.0.0.0/0", "fd00::/64" (strv) */
	char **uppers;	  /* upper devices (master, VLANs, ...), nearest first (strv) */
	char *master;	  /* the bond, bridge or team it is enslaved to */
	bool up;	  /* IFF_UP of the interface itself */
	bool default_route;
	/* mount, swap, holder */
	char *source;	    /* as /proc/self/mountinfo or /proc/swaps shows it ("/dev/vda1") */
	char *mountpoint;   /* the main mount point ("/" when among them) */
	char **mountpoints; /* every mount point (strv) */
	char *fstype;
	bool root;    /* the root filesystem */
	bool swap;    /* holder: the chain ends in swap space */
	char **chain; /* holder: the holding block devices, "dm-0", "dm-1" (strv) */
	/* devnode */
	int pid; /* 0 when not a process */
	char *command;
	char *path;	 /* "/dev/dri/card0" */
	char *subsystem; /* "drm", "sound", "block", ... */
};

/* A device node below a PCI device in sysfs, or held through it (dm/md holders). */
struct devnode {
	char *name;	 /* sysfs name: "nvme0n1", "card0", "dm-0" */
	char *path;	 /* "/dev/" + DEVNAME from uevent */
	char *subsystem; /* "block", "drm", "sound", "nvme", ... */
	char *via;	 /* for holders: the device's own block device it holds, else NULL */
	unsigned major, minor;
	bool block;
};

struct device {
	char addr[PCI_ADDR_MAX];
	unsigned vendor_id, device_id, subsys_vendor_id, subsys_device_id, class_id, revision;
	bool ids_known;			    /* vendor/device attributes were readable */
	bool revision_known;		    /* the revision attribute was readable */
	char *vendor, *device, *class_name; /* names from pci.ids, or NULL */
	char *driver;			    /* bound driver or NULL */
	char *driver_override;		    /* NULL when unset ("(null)") */
	char *modalias;
	char **modules;	     /* modules matching modalias (NULL-terminated, may be NULL) */
	bool modules_known;  /* false when no module index could be loaded */
	char *driver_module; /* module providing the bound driver, if known */
	int group;	     /* IOMMU group number, -1 without one */
	bool bridge; /* PCI class 0x0604 (PCI bridge) or 0x0600-0x06ff bridges with secondary bus */
	bool boot_vga;
	int numa_node;			  /* -1 when unknown */
	char *reset_method;		  /* space separated, NULL when not exposed */
	char *physfn;			  /* address of the PF when this is a VF */
	int sriov_numvfs, sriov_totalvfs; /* -1 when not SR-IOV capable */
	int sriov_autoprobe;		  /* sriov_drivers_autoprobe: 0, 1, -1 when unknown */
	char **sriov_vfs;    /* a PF's VFs present (devices whose physfn it is), sorted (strv) */
	bool vfio_dev;	     /* has a vfio-dev/ child (bound to a VFIO driver) */
	char *vfio_dev_name; /* "vfio3" for /dev/vfio/devices/vfio3 */
	enum dma_role dma;
	struct in_use *in_use;
	size_t n_in_use;
	char **in_use_unknown; /* what could not be checked, one reason each (strv, may be NULL) */
	struct devnode *devnodes; /* filled by inuse_scan, used by the /proc pass */
	size_t n_devnodes;
};

/* A process that holds a VFIO group open from user space, found by the identity (device
 * number) of what its descriptors refer to, never by the path /proc shows, which depends on
 * the holder's and the reader's mounts (docs/kernel.md, "Who holds a group"). */
struct holder {
	int pid;
	char *command;	 /* comm */
	char *path;	 /* the descriptor's target as /proc/PID/fd shows it to devown */
	const char *via; /* "group" (/dev/vfio/N), "device" (a VFIO device cdev or descriptor),
			    "mapping" (an mmap of a device region, no descriptor) */
	char *device;	 /* with "device" and "mapping": the PCI address, when known */
	char *unit;	 /* systemd unit from /proc/PID/cgroup, or NULL */
	char *domain;	 /* libvirt domain, or NULL */
	char *container; /* "docker ID12" etc., or NULL */
};

struct group {
	int number;
	char *type;		 /* DMA, DMA-FQ, identity, blocked, or NULL */
	struct device **devices; /* pointers into host->devices, sorted by address */
	size_t n_devices;
	bool viable;		  /* no member counts as a kernel DMA user */
	bool vfio_bound;	  /* some member is bound to a VFIO driver */
	struct device **blockers; /* members that keep the group from VFIO */
	size_t n_blockers;
	struct holder *holders;
	size_t n_holders;
	bool held_unseen; /* opening /dev/vfio/N said EBUSY, but no visible process holds it */
	/* "known": holders scanned fully; "unknown": could not look (reason in holders_note);
	 * "not-checked": no VFIO driver bound, so nobody can hold it. */
	const char *holders_state;
	char *holders_note;
	/* /dev/vfio/N, when it exists (node_known): its owner (names, or numbers as text) and
	 * permission bits; and that owner's locked-memory limit when devown can know it from a
	 * running process of the owner (node_memlock_pid > 0; UINT64_MAX: unlimited). Root's
	 * limit is not looked up. */
	bool node_known;
	char *node_path; /* "/dev/vfio/14", as the host names it */
	unsigned node_uid, node_gid, node_mode;
	char *node_user, *node_group;
	unsigned long long node_memlock;
	int node_memlock_pid;
};

struct kernel_info {
	char *release;
	bool iommu;    /* /sys/class/iommu has entries or groups exist */
	char **iommus; /* names under /sys/class/iommu */
	bool dma_ownership_checks;
	const char *checks_source; /* "kallsyms" (perhaps remembered for this boot) or "version" */
	/* Without an IOMMU: the kernel parameter that turns it on for this CPU's vendor,
	 * "intel_iommu=on" or "amd_iommu=on" (static string); NULL with one. */
	const char *iommu_parameter;
};

struct names;
struct modctx;

struct host {
	struct kernel_info kernel;
	struct names *names;	/* pci.ids, owned */
	struct modctx *mods;	/* module index, owned */
	struct device *devices; /* every PCI device, sorted by address */
	size_t n_devices;
	struct group *groups; /* sorted by number */
	size_t n_groups;
	bool holders_scanned;
	/* VFIO users that cannot be tied to one group: a VFIO device descriptor of a kernel that
	 * does not name its device in fdinfo, or a mapping of one, in a process that holds no
	 * group of its own. Every change that unbinds a VFIO driver asks the kernel (the EBUSY
	 * probe) while any of these exist. */
	struct holder *unattributed;
	size_t n_unattributed;
	/* What the scan could not read and went on without, one line each, for the command to
	 * say as warnings (strv, may be NULL). */
	char **warnings;
};

/* Makes every string of the model that other users can choose (process names, descriptor
 * paths, cgroup-derived names, mount points and sources, interface names, what a finding says)
 * display-safe (str_make_display_safe): the scan calls it last, once every comparison is done,
 * so that the text view, the JSON and every message built from the model carry no escape
 * sequence and only valid UTF-8. */
void host_make_display_safe(struct host *h);

/* The device or group of that address or number in the sorted arrays of h, or NULL. */
struct device *host_find_device(struct host *h, const char *addr);
struct group *host_find_group(struct host *h, int number);

/* Appends a finding to a device; takes copies of the strings. Returns the finding so that the
 * caller can fill the kind-specific fields (owned by the finding, freed by inuse_done()). */
struct in_use *inuse_add(struct device *d, const char *kind, const char *name, const char *detail);

/* Records that something could not be checked for a device ("cannot read ..."); duplicates
 * are dropped. */
void inuse_note_unknown(struct device *d, const char *reason);

/* Frees a device's findings, notes and device nodes (device_done() calls this). */
void inuse_done(struct device *d);

/* Frees a device's strings and findings and zeroes it. */
void device_done(struct device *d);
