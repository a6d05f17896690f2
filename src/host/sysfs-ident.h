/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Reads of /sys that tell which physical device a PCI function is, beyond its IDs: where it
 * sits (physical slot, position below the host bridge) and its serial number, for the
 * configuration of `devown apply` (probe/ident.c). They use sysfs.c's root_prefix() and
 * helpers, so DEVOWN_ROOT applies to them too. */

/* The position of a device below its host bridge: the address of the function on the root bus
 * that leads to it, then DEV.FN at each level below, e.g. "0000:00:1c.4/00.0". Bus numbers
 * below a bridge are handed out by enumeration and change when a card is added elsewhere;
 * device and function numbers are wired, so this survives renumbering. From the link
 * /sys/bus/pci/devices/ADDR -> ../../../devices/pci0000:00/0000:00:1c.4/0000:03:00.0.
 * Caller frees. -ENOENT when the link does not lead into sys/devices. */
int sysfs_device_path(const char *addr, char **ret);

/* Physical slots: parallel vectors of slot names (directories of /sys/bus/pci/slots) and their
 * addresses ("0000:03:00", or "0000:03" when the slot number is unknown). Empty when the
 * directory does not exist. Caller frees both with strv_free. */
int sysfs_pci_slots(char ***ret_names, char ***ret_addresses);

/* The PCI Express Device Serial Number (extended capability 0003h) in lspci's notation,
 * "00-1b-21-ff-ff-6b-8e-5c", from the device's config file. -ENOENT when the device has no
 * such capability (or no extended config space); -EACCES when the kernel returned less of
 * config space than exists (unprivileged readers get the first 64 bytes only). */
int sysfs_device_serial(const char *addr, char **ret);

/* Addresses of the members of an IOMMU group (/sys/kernel/iommu_groups/N/devices), sorted.
 * Caller frees with strv_free. */
int sysfs_group_devices(int group, char ***ret);
