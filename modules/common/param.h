/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one shape of every kdio test-only knob: an unsigned int module
 * parameter, 0644, that takes min..max and refuses anything else with
 * -EINVAL (param_set_uint_minmax), leaving its value as it was, so that a
 * test never measures another setting than the one it asked for.
 */
#ifndef _KDIO_PARAM_H
#define _KDIO_PARAM_H

#include <linux/moduleparam.h>

#define KDIO_UINT_PARAM_RANGE(name, min, max, desc)			\
	static unsigned int name;					\
	static int kdio_param_set_##name(const char *val,		\
					 const struct kernel_param *kp)	\
	{								\
		return param_set_uint_minmax(val, kp, min, max);	\
	}								\
	static const struct kernel_param_ops kdio_param_ops_##name = {	\
		.set	= kdio_param_set_##name,			\
		.get	= param_get_uint,				\
	};								\
	module_param_cb(name, &kdio_param_ops_##name, &name, 0644);	\
	MODULE_PARM_DESC(name, desc)

#endif /* _KDIO_PARAM_H */
