# dyidmap: idmapped bind mounts for sharing image layers between lab boxes. Included by the top Makefile.
DYIDMAP_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -D_FORTIFY_SOURCE=2

.PHONY: dyidmap
dyidmap: bin/dyidmap

bin/dyidmap: src/dyidmap/main.c
	@mkdir -p $(dir $@)
	$(CC) $(DYIDMAP_CFLAGS) -o $@ $<
