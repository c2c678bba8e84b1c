// SPDX-License-Identifier: GPL-2.0
/*
 * The kdio data pattern in kdio_xfer.ko. kbuild lets an object belong to
 * one module only, so each module that needs the pattern builds its own
 * copy of common/pattern.c; kdio_dio.ko links common/pattern.o.
 */
#include "common/pattern.c"
