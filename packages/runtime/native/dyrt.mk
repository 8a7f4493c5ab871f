# dyrt: the OCI runtime. Included by the top Makefile.
DYRT_SRCS := $(wildcard src/dyrt/*.c) src/common/util.c
DYRT_OBJS := $(patsubst src/%.c,obj/%.o,$(DYRT_SRCS))
# Fully static: the same binary also runs where its libraries are absent (bind-mounted into a lab box), and
# every create execs it twice (the second time from its sealed copy), which is cheaper without a dynamic loader.
DYRT_LIBS := -static $(shell pkg-config --libs libseccomp jansson)
DYRT_CFLAGS := $(shell pkg-config --cflags libseccomp jansson)

dyrt: bin/dyrt

bin/dyrt: $(DYRT_OBJS) | bin
	$(CC) $(LDFLAGS) -o $@ $(DYRT_OBJS) $(DYRT_LIBS)

obj/dyrt/%.o: src/dyrt/%.c src/dyrt/dyrt.h src/dyrt/sync.h src/common/util.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DYRT_CFLAGS) -c -o $@ $<

obj/common/%.o: src/common/%.c src/common/util.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Test helper: receives a PTY master over a unix socket (SCM_RIGHTS).
DYRT_TEST_FIXTURES := ../test/conformance/fixtures
dyrt-test-fixtures: $(DYRT_TEST_FIXTURES)/recvtty

$(DYRT_TEST_FIXTURES)/recvtty: $(DYRT_TEST_FIXTURES)/recvtty.c
	$(CC) $(CFLAGS) -o $@ $<

.PHONY: dyrt dyrt-test-fixtures
