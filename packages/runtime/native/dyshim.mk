# dyshim: the per-container shim. Included by the top Makefile.
DYSHIM_SRCS := $(wildcard src/dyshim/*.c)
DYSHIM_OBJS := $(patsubst src/dyshim/%.c,obj/dyshim/%.o,$(DYSHIM_SRCS))
DYSHIM_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -D_FORTIFY_SOURCE=2 -MMD -MP
# Static: one shim runs per container and per terminal, and a static binary
# keeps each one's resident memory small (no shared-library pages touched).
DYSHIM_LDFLAGS := -static

.PHONY: dyshim
dyshim: bin/dyshim

bin/dyshim: $(DYSHIM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(DYSHIM_LDFLAGS) -o $@ $^

obj/dyshim/%.o: src/dyshim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(DYSHIM_CFLAGS) -c -o $@ $<

-include $(DYSHIM_OBJS:.o=.d)
