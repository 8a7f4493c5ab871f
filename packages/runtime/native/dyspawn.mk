# dyspawn: starts short host tools for the engine daemon without forking its large heap. Included by the top Makefile.
DYSPAWN_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -D_FORTIFY_SOURCE=2

.PHONY: dyspawn
dyspawn: bin/dyspawn

bin/dyspawn: src/dyspawn/main.c
	@mkdir -p $(dir $@)
	$(CC) $(DYSPAWN_CFLAGS) -o $@ $<
