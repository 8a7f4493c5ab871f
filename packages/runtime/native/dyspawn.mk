# dyspawn: starts short host tools for the engine daemon without forking its large heap, and runs a few kernel
# calls (mounts, network namespaces, veth setup over rtnetlink) itself. Included by the top Makefile.
DYSPAWN_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -D_FORTIFY_SOURCE=2
DYSPAWN_SRCS := $(wildcard src/dyspawn/*.c)

.PHONY: dyspawn
dyspawn: bin/dyspawn

bin/dyspawn: $(DYSPAWN_SRCS) src/dyspawn/builtins.h
	@mkdir -p $(dir $@)
	$(CC) $(DYSPAWN_CFLAGS) -o $@ $(DYSPAWN_SRCS)
