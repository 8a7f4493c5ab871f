/* Builtins run inside dyspawn itself: one request instead of a tool's start (several ms each on a container's
 * start and exit path). Arguments come from the engine, but are still checked before they reach the kernel. */
#define _GNU_SOURCE
#include "builtins.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATUS_FAILED 1
#define STATUS_USAGE 2
#define STATUS_NOT_MOUNTED 3

struct out {
  char *out, *err;
  size_t len;
};

static int fail(struct out *o, int status, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(o->err, o->len, fmt, ap);
  va_end(ap);
  return status;
}

static size_t count(char **argv)
{
  size_t n = 0;
  while (argv[n])
    n++;
  return n;
}

static bool parse_mac(const char *s, unsigned char mac[6])
{
  unsigned v[6];
  char end;
  if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &end) != 6)
    return false;
  for (int i = 0; i < 6; i++)
    mac[i] = (unsigned char) v[i];
  return true;
}

static bool parse_cidr(const char *s, struct in_addr *ip, int *prefix_len)
{
  char addr[INET_ADDRSTRLEN];
  const char *slash = strchr(s, '/');
  if (!slash || (size_t) (slash - s) >= sizeof addr)
    return false;
  memcpy(addr, s, (size_t) (slash - s));
  addr[slash - s] = '\0';
  char *end;
  long len = strtol(slash + 1, &end, 10);
  if (*end || end == slash + 1 || len < 0 || len > 32)
    return false;
  *prefix_len = (int) len;
  return inet_pton(AF_INET, addr, ip) == 1;
}

/* host bridge netns ifname mac cidr gateway|- */
static int veth(char **argv, struct out *o, int (*op)(const struct veth_plan *))
{
  if (count(argv) != 8)
    return fail(o, STATUS_USAGE, "%s: want host bridge netns ifname mac cidr gateway|-", argv[0]);
  struct veth_plan p = {.host = argv[1], .bridge = argv[2], .netns = argv[3], .ifname = argv[4]};
  if (!parse_mac(argv[5], p.mac))
    return fail(o, STATUS_USAGE, "%s: bad MAC address %s", argv[0], argv[5]);
  if (!parse_cidr(argv[6], &p.ip, &p.prefix_len))
    return fail(o, STATUS_USAGE, "%s: bad address %s", argv[0], argv[6]);
  p.has_gateway = strcmp(argv[7], "-") != 0;
  if (p.has_gateway && inet_pton(AF_INET, argv[7], &p.gateway) != 1)
    return fail(o, STATUS_USAGE, "%s: bad gateway %s", argv[0], argv[7]);
  int rc = op(&p);
  if (rc < 0)
    return fail(o, STATUS_FAILED, "%s %s (peer %s in %s): %s", argv[0], p.host, p.ifname, p.netns, strerror(-rc));
  return 0;
}

/* `unshare --net=<file> true` without the process: a new namespace held by a bind mount on `file`. */
static int netns_new(const char *file)
{
  int rc = remember_home_netns();
  if (rc < 0)
    return rc;
  if (unshare(CLONE_NEWNET) < 0)
    return -errno;
  rc = mount("/proc/self/ns/net", file, NULL, MS_BIND, NULL) < 0 ? -errno : 0;
  leave_netns();
  return rc;
}

/* What `dyrt start` does for a container without poststart hooks: read the byte its init writes to the exec
 * fifo once a reader appears (the init then execs the process), and drop the fifo, which marks it started. */
static int exec_fifo_start(const char *fifo, const char *pid_text, struct out *o)
{
  char *end;
  long pid = strtol(pid_text, &end, 10);
  if (*end || pid <= 0)
    return fail(o, STATUS_USAGE, "@exec-fifo-start: bad pid %s", pid_text);
  int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return fail(o, STATUS_FAILED, "open %s: %s", fifo, strerror(errno));
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, 100);
    if (r < 0 && errno != EINTR) {
      close(fd);
      return fail(o, STATUS_FAILED, "poll %s: %s", fifo, strerror(errno));
    }
    if (r > 0) {
      char c;
      ssize_t n = read(fd, &c, 1);
      if (n == 1)
        break;
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        close(fd);
        return fail(o, STATUS_FAILED, "container init exited before start");
      }
    }
    if (kill((pid_t) pid, 0) < 0 && errno == ESRCH) {
      close(fd);
      return fail(o, STATUS_FAILED, "container init exited before start");
    }
  }
  close(fd);
  unlink(fifo);
  return 0;
}

/* A sealed in-memory copy of an executable, kept open by this process for as long as it lives; the answer is the
 * path others exec it by. dyrt run from such a copy skips copying itself on every create and exec (its guard
 * against a container overwriting the runtime on the host through /proc/<pid>/exe, CVE-2019-5736). */
static int seal_copy(const char *path, struct out *o)
{
  int src = open(path, O_RDONLY | O_CLOEXEC);
  if (src < 0)
    return fail(o, STATUS_FAILED, "open %s: %s", path, strerror(errno));
  struct stat st;
  int mfd = -1;
  if (fstat(src, &st) < 0 || (mfd = memfd_create("dyspawn-sealed", MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0) {
    int e = errno;
    close(src);
    return fail(o, STATUS_FAILED, "copying %s: %s", path, strerror(e));
  }
  off_t off = 0;
  while (off < st.st_size) {
    if (sendfile(mfd, src, &off, (size_t) (st.st_size - off)) <= 0) {
      int e = errno;
      close(src);
      close(mfd);
      return fail(o, STATUS_FAILED, "copying %s: %s", path, strerror(e));
    }
  }
  close(src);
  if (fchmod(mfd, 0555) < 0 ||
      fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
    int e = errno;
    close(mfd);
    return fail(o, STATUS_FAILED, "sealing the copy of %s: %s", path, strerror(e));
  }
  snprintf(o->out, o->len, "/proc/%d/fd/%d\n", (int) getpid(), mfd);
  return 0;
}

int run_builtin(char **argv, char *out, char *err, size_t len)
{
  struct out o = {out, err, len};
  const char *name = argv[0];
  size_t argc = count(argv);
  int rc;
  if (strcmp(name, "@mount-overlay") == 0 && argc == 3) {
    if (mount("overlay", argv[1], "overlay", 0, argv[2]) < 0)
      return fail(&o, STATUS_FAILED, "mount overlay on %s: %s", argv[1], strerror(errno));
    return 0;
  }
  if (strcmp(name, "@umount") == 0 && (argc == 2 || (argc == 3 && strcmp(argv[2], "lazy") == 0))) {
    if (umount2(argv[1], argc == 3 ? MNT_DETACH : 0) == 0)
      return 0;
    if (errno == EINVAL || errno == ENOENT)
      return fail(&o, STATUS_NOT_MOUNTED, "umount %s: not mounted", argv[1]);
    return fail(&o, STATUS_FAILED, "umount %s: %s", argv[1], strerror(errno));
  }
  if (strcmp(name, "@netns-new") == 0 && argc == 2) {
    if ((rc = netns_new(argv[1])) < 0)
      return fail(&o, STATUS_FAILED, "creating a network namespace at %s: %s", argv[1], strerror(-rc));
    return 0;
  }
  if (strcmp(name, "@link-del") == 0 && argc == 2) {
    if ((rc = nl_link_del(argv[1])) < 0)
      return fail(&o, STATUS_FAILED, "deleting link %s: %s", argv[1], strerror(-rc));
    return 0;
  }
  if (strcmp(name, "@veth-spare") == 0 && argc == 3) {
    if ((rc = nl_veth_spare(argv[1], argv[2])) < 0)
      return fail(&o, STATUS_FAILED, "veth %s (eth0 in %s): %s", argv[1], argv[2], strerror(-rc));
    return 0;
  }
  if (strcmp(name, "@seal-copy") == 0 && argc == 2)
    return seal_copy(argv[1], &o);
  if (strcmp(name, "@exec-fifo-start") == 0 && argc == 3)
    return exec_fifo_start(argv[1], argv[2], &o);
  if (strcmp(name, "@veth-create") == 0)
    return veth(argv, &o, nl_veth_create);
  if (strcmp(name, "@veth-attach") == 0)
    return veth(argv, &o, nl_veth_attach);
  return fail(&o, STATUS_USAGE, "unknown builtin or wrong arguments: %s", name);
}
