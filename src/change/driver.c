/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which driver a device is to get: DRIVER of `devown bind` and driver= of `devown apply`
 * resolved against the drivers the kernel has registered and the module index. */
#include <sys/utsname.h>

#include "driver.h"
#include "modules.h"
#include "policy.h"
#include "procfs.h"
#include "sysfs.h"
#include "util.h"

/* A registered driver whose name differs from arg only in '-' versus '_', or that a loaded
 * module of that name registers. */
static char *registered_driver(const char *arg)
{
	_cleanup_strv_free_ char **drivers = NULL, **of_module = NULL;

	if (sysfs_driver_registered(arg))
		return xstrdup(arg);
	if (sysfs_pci_drivers(&drivers) >= 0)
		for (char **d = drivers; *d; d++)
			if (driver_name_eq(*d, arg))
				return xstrdup(*d);
	if (sysfs_module_pci_drivers(arg, &of_module) >= 0 && of_module[0])
		return xstrdup(of_module[0]);
	return NULL;
}

static bool device_claims(const struct device *d, const char *driver, const char *module)
{
	if (!d->modules_known)
		return true; /* nothing known against it */
	for (size_t i = 0; d->modules && d->modules[i]; i++)
		if (driver_name_eq(d->modules[i], driver) ||
		    (module && driver_name_eq(d->modules[i], module)))
			return true;
	return false;
}

int bind_resolve_driver(struct host *h, const char *arg, struct device *d,
			struct driver_choice *ret)
{
	_cleanup_free_ char *variant = NULL, *reg = NULL, *mod = NULL;

	memset(ret, 0, sizeof(*ret));
	if (streq(arg, "none")) {
		ret->supports = true; /* driver NULL: unbind and park */
		return 0;
	}
	if (streq(arg, "vfio")) {
		if (d->modalias)
			(void)modctx_vfio_variant(h->mods, d->modalias, &variant);
		if (variant) {
			reg = registered_driver(variant);
			ret->driver = reg ? TAKE_PTR(reg) : xstrdup(variant);
			ret->module =
				sysfs_driver_registered(ret->driver) ? NULL : xstrdup(variant);
		} else {
			ret->driver = xstrdup("vfio-pci");
			ret->module =
				sysfs_driver_registered("vfio-pci") ? NULL : xstrdup("vfio_pci");
		}
		ret->supports = true;
		return 0;
	}

	reg = registered_driver(arg);
	if (reg) {
		char *m = NULL;
		if (sysfs_driver_module(reg, &m) >= 0)
			mod = m;
		ret->driver = TAKE_PTR(reg);
	} else if (modctx_module_exists(h->mods, arg)) {
		char *const *mods = NULL;
		(void)modctx_lookup(h->mods, arg, &mods);
		mod = xstrdup(mods && mods[0] ? mods[0] : arg);
		/* Until it is loaded, the driver is expected under the name asked for; the
		 * transaction takes the name the module really registers. */
		ret->driver = xstrdup(arg);
		ret->module = xstrdup(mod);
	} else
		return -ENOENT;

	ret->supports = driver_is_vfio(ret->driver) || driver_name_eq(ret->driver, "pci_stub") ||
			device_claims(d, ret->driver, mod) || streq_ptr(d->driver, ret->driver);
	return 0;
}

void change_request_vfio(struct change_request *rq, size_t n)
{
	rq->want_vfio = false;
	for (size_t i = 0; i < n; i++)
		if (driver_is_vfio(rq->choices[i].driver))
			rq->want_vfio = true;
	rq->need_type1 = rq->want_vfio && !sysfs_module_loaded("vfio_iommu_type1");
}

char *driver_arg_unknown_error(const char *arg)
{
	return xasprintf("unknown driver '%s': no PCI driver of that name is registered and no "
			 "kernel module provides it (try 'vfio', 'vfio-pci' or 'pci-stub')",
			 arg);
}

int driver_arg_check(const char *arg, char **ret_error)
{
	_cleanup_free_ char *release = NULL, *reg = NULL;
	struct modctx *m;
	bool known;

	*ret_error = NULL;
	if (streq(arg, "vfio") || streq(arg, "none"))
		return 0;
	if (!driver_name_valid(arg)) {
		if (startswith(arg, "pci:"))
			*ret_error =
				xasprintf("'%s' is a modalias, not a driver: name the driver or "
					  "module that is to take the device ('modprobe -R "
					  "%s' names the modules it resolves to), or 'vfio'",
					  arg, arg);
		else
			*ret_error = xasprintf("'%s' is not a driver name (letters, digits, '_' "
					       "and '-'): try 'vfio', 'vfio-pci' or 'pci-stub'",
					       arg);
		return -EINVAL;
	}
	reg = registered_driver(arg);
	if (reg)
		return 0;
	if (proc_read_text("sys/kernel/osrelease", &release) < 0) {
		struct utsname u;
		uname(&u);
		release = xstrdup(u.release);
	}
	m = modctx_new(release);
	known = modctx_module_exists(m, arg);
	modctx_free(m);
	if (known)
		return 0;
	*ret_error = driver_arg_unknown_error(arg);
	return -ENOENT;
}
