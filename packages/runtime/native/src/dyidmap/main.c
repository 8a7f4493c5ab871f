/*
 * dyidmap: make an idmapped bind mount, so one on-disk copy of image layers can be shared by every lab box,
 * each seeing the files owned by its own subordinate uid/gid range (no per-box chown).
 *
 *   dyidmap [--recursive] [--readonly] --map INSIDE:OUTSIDE:COUNT [--gid-map INSIDE:OUTSIDE:COUNT] SOURCE TARGET
 *
 * The mapping is that of a user namespace: a file owned by INSIDE+n on disk shows up owned by OUTSIDE+n through
 * TARGET. Uses open_tree(OPEN_TREE_CLONE) + mount_setattr(MOUNT_ATTR_IDMAP) + move_mount (Linux >= 5.12).
 * Unmount with umount(8) as usual.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

struct idmap {
  unsigned long inside, outside, count;
};

static void die(const char *what) {
  fprintf(stderr, "dyidmap: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void usage(void) {
  fprintf(stderr,
          "usage: dyidmap [--recursive] [--readonly] --map INSIDE:OUTSIDE:COUNT [--gid-map INSIDE:OUTSIDE:COUNT] "
          "SOURCE TARGET\n");
  exit(2);
}

static int parse_map(const char *text, struct idmap *map) {
  char extra;
  if (sscanf(text, "%lu:%lu:%lu%c", &map->inside, &map->outside, &map->count, &extra) != 3) return -1;
  if (map->count == 0 || map->inside + map->count < map->inside || map->outside + map->count < map->outside)
    return -1;
  return 0;
}

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  ssize_t len = (ssize_t)strlen(text);
  if (write(fd, text, (size_t)len) != len) die(path);
  close(fd);
}

/* A user namespace with the given maps, held by a child that waits until we have opened it. */
static int userns_fd_for(const struct idmap *uid, const struct idmap *gid) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) < 0) die("pipe");
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    close(ready[1]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (unshare(CLONE_NEWUSER) < 0) _exit(1);
    char byte;
    /* Block until the parent has written our maps and opened the namespace. */
    if (read(ready[0], &byte, 1) < 0) _exit(1);
    _exit(0);
  }
  close(ready[0]);
  char path[64], line[96];
  /* Wait for the child's unshare: its user namespace differs from ours once done. */
  char self_ns[64] = "", child_ns[64] = "";
  if (readlink("/proc/self/ns/user", self_ns, sizeof self_ns - 1) < 0) die("readlink /proc/self/ns/user");
  snprintf(path, sizeof path, "/proc/%d/ns/user", child);
  for (int i = 0; i < 10000; i++) {
    memset(child_ns, 0, sizeof child_ns);
    if (readlink(path, child_ns, sizeof child_ns - 1) < 0) die("readlink child userns");
    if (strcmp(self_ns, child_ns) != 0) break;
    usleep(100);
  }
  if (strcmp(self_ns, child_ns) == 0) {
    errno = ETIMEDOUT;
    die("waiting for the user namespace");
  }
  /* Map disk ids (outside the namespace) to what TARGET shows: the kernel maps through the namespace. */
  snprintf(path, sizeof path, "/proc/%d/uid_map", child);
  snprintf(line, sizeof line, "%lu %lu %lu\n", uid->inside, uid->outside, uid->count);
  write_file(path, line);
  snprintf(path, sizeof path, "/proc/%d/setgroups", child);
  write_file(path, "deny");
  snprintf(path, sizeof path, "/proc/%d/gid_map", child);
  snprintf(line, sizeof line, "%lu %lu %lu\n", gid->inside, gid->outside, gid->count);
  write_file(path, line);
  snprintf(path, sizeof path, "/proc/%d/ns/user", child);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  close(ready[1]);
  int status;
  waitpid(child, &status, 0);
  return fd;
}

int main(int argc, char **argv) {
  static const struct option options[] = {
      {"map", required_argument, 0, 'm'},   {"gid-map", required_argument, 0, 'g'},
      {"recursive", no_argument, 0, 'r'},   {"readonly", no_argument, 0, 'o'},
      {"help", no_argument, 0, 'h'},        {0, 0, 0, 0},
  };
  struct idmap uid = {0}, gid = {0};
  int have_uid = 0, have_gid = 0, recursive = 0, readonly = 0, opt;
  while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
    switch (opt) {
    case 'm':
      if (parse_map(optarg, &uid) < 0) usage();
      have_uid = 1;
      break;
    case 'g':
      if (parse_map(optarg, &gid) < 0) usage();
      have_gid = 1;
      break;
    case 'r': recursive = 1; break;
    case 'o': readonly = 1; break;
    default: usage();
    }
  }
  if (!have_uid || argc - optind != 2) usage();
  if (!have_gid) gid = uid;
  const char *source = argv[optind], *target = argv[optind + 1];

  int userns = userns_fd_for(&uid, &gid);
  int tree = (int)syscall(SYS_open_tree, AT_FDCWD, source,
                          OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
  if (tree < 0) die("open_tree");
  struct mount_attr attr = {
      .attr_set = MOUNT_ATTR_IDMAP | (readonly ? MOUNT_ATTR_RDONLY : 0),
      .userns_fd = (uint64_t)userns,
  };
  if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
    die("mount_setattr(MOUNT_ATTR_IDMAP)");
  if (syscall(SYS_move_mount, tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0) die("move_mount");
  close(tree);
  close(userns);
  return 0;
}
