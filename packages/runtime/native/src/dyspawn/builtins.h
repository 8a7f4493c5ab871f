/* dyspawn's builtins: kernel calls the engine would otherwise start a tool (mount, umount, unshare, ip) for. */
#ifndef DYSPAWN_BUILTINS_H
#define DYSPAWN_BUILTINS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

struct veth_plan {
  const char *host, *bridge, *netns, *ifname;
  unsigned char mac[6];
  struct in_addr ip;
  int prefix_len;
  bool has_gateway;
  struct in_addr gateway;
};

/* Each returns 0 or -errno. */
int nl_link_del(const char *name);
int nl_veth_create(const struct veth_plan *p);
int nl_veth_attach(const struct veth_plan *p);
int nl_veth_spare(const char *host, const char *netns);
int remember_home_netns(void);
void leave_netns(void);

/* Runs builtin argv[0] ("@name"); writes its answer (if any) to `out` and an error message to `err`, each at
 * most `len` bytes. Returns the exit status: 0, 1 on failure, 2 for a usage error, 3 for "nothing mounted there"
 * (umount). */
int run_builtin(char **argv, char *out, char *err, size_t len);

void die(const char *what) __attribute__((noreturn));

#endif
