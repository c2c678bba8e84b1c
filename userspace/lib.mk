# SPDX-License-Identifier: GPL-2.0
#
# Included by each tool folder's Makefile, after it sets PROGS: each tool
# is built from <tool>.c in that folder and linked with lib/ and the
# module sources the tools share (the pattern, the latency bins). A tool
# that needs more names the objects as prerequisites after the include:
#
#   $(BUILD)/kdio-xfer: $(OBJ)/xfer/msg.o

US	:= $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
MOD	:= $(abspath $(US)/../modules)
BUILD	?= $(abspath $(US)/../build/userspace)
OBJ	:= $(BUILD)/obj
CC	= gcc
CFLAGS	?= -O2
# Static: under TCG the dynamic linker took ~0.1 s of every tool start
# (libc's relocations), more than many samples' own work.
LDFLAGS	?= -static
CFLAGS	+= -Wall -Wextra -Werror -MMD -MP -I$(US)/lib -I$(MOD)/include/uapi -I$(MOD)
LIB	:= $(addprefix $(OBJ)/lib/,common.o jsonl.o ktap.o sha256.o) \
	   $(OBJ)/modules/common/pattern.o $(OBJ)/modules/dio/clat.o
HERE	:= $(notdir $(CURDIR))

.PHONY: all clean
# keep the objects: they are in BUILD, not in the way
.SECONDARY:

all: $(addprefix $(BUILD)/,$(PROGS))

$(BUILD)/%: $(OBJ)/$(HERE)/%.o $(LIB) $(US)/lib.mk
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^)

$(OBJ)/modules/%.o: $(MOD)/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(OBJ)/%.o: $(US)/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

clean:
	rm -rf $(addprefix $(BUILD)/,$(PROGS)) $(OBJ)/$(HERE)

-include $(wildcard $(OBJ)/*/*.d $(OBJ)/*/*/*.d $(OBJ)/modules/*/*.d)
