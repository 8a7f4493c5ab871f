/* Root filesystem: propagation, bind of the rootfs, mounts from config, /dev,
 * pivot_root and detaching the old root, masked and readonly paths. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dyrt.h"

struct mount_opt {
  const char *name;
  bool clear;
  unsigned long flag;
};

static const struct mount_opt mount_opts[] = {
  { "defaults", false, 0 },
  { "ro", false, MS_RDONLY },
  { "rw", true, MS_RDONLY },
  { "nosuid", false, MS_NOSUID },
  { "suid", true, MS_NOSUID },
  { "nodev", false, MS_NODEV },
  { "dev", true, MS_NODEV },
  { "noexec", false, MS_NOEXEC },
  { "exec", true, MS_NOEXEC },
  { "sync", false, MS_SYNCHRONOUS },
  { "async", true, MS_SYNCHRONOUS },
  { "dirsync", false, MS_DIRSYNC },
  { "remount", false, MS_REMOUNT },
  { "mand", false, MS_MANDLOCK },
  { "nomand", true, MS_MANDLOCK },
  { "atime", true, MS_NOATIME },
  { "noatime", false, MS_NOATIME },
  { "diratime", true, MS_NODIRATIME },
  { "nodiratime", false, MS_NODIRATIME },
  { "relatime", false, MS_RELATIME },
  { "norelatime", true, MS_RELATIME },
  { "strictatime", false, MS_STRICTATIME },
  { "nostrictatime", true, MS_STRICTATIME },
  { "bind", false, MS_BIND },
  { "rbind", false, MS_BIND | MS_REC },
};

static const struct mount_opt propagation_opts[] = {
  { "private", false, MS_PRIVATE },         { "rprivate", false, MS_PRIVATE | MS_REC },
  { "shared", false, MS_SHARED },           { "rshared", false, MS_SHARED | MS_REC },
  { "slave", false, MS_SLAVE },             { "rslave", false, MS_SLAVE | MS_REC },
  { "unbindable", false, MS_UNBINDABLE },   { "runbindable", false, MS_UNBINDABLE | MS_REC },
};

struct parsed_opts {
  unsigned long flags;
  unsigned long propagation;
  char data[1024];
};

static void parse_mount_options(json_t *options, struct parsed_opts *p)
{
  memset(p, 0, sizeof *p);
  size_t i;
  json_t *o;
  json_array_foreach(options, i, o)
  {
    const char *s = json_string_value(o);
    if (!s)
      continue;
    bool found = false;
    for (size_t k = 0; k < sizeof mount_opts / sizeof mount_opts[0]; k++)
      if (strcmp(s, mount_opts[k].name) == 0) {
        if (mount_opts[k].clear)
          p->flags &= ~mount_opts[k].flag;
        else
          p->flags |= mount_opts[k].flag;
        found = true;
        break;
      }
    for (size_t k = 0; !found && k < sizeof propagation_opts / sizeof propagation_opts[0]; k++)
      if (strcmp(s, propagation_opts[k].name) == 0) {
        p->propagation = propagation_opts[k].flag;
        found = true;
      }
    if (found || strcmp(s, "tmpcopyup") == 0 || strncmp(s, "idmap", 5) == 0)
      continue;
    size_t len = strlen(p->data);
    snprintf(p->data + len, sizeof p->data - len, "%s%s", len ? "," : "", s);
  }
}

/* Resolve path inside the container root (symlinks can't escape), creating
 * missing components (a file when make_file). Returns an O_PATH fd. */
static int open_in_root_depth(int rootfd, const char *path, bool create, bool make_file, int depth);

int open_in_root(int rootfd, const char *path, bool create, bool make_file)
{
  return open_in_root_depth(rootfd, path, create, make_file, 0);
}

static int open_in_root_depth(int rootfd, const char *path, bool create, bool make_file, int depth)
{
  struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
  while (*path == '/')
    path++;
  if (*path == '\0')
    return (int) fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
  int fd = (int) syscall(SYS_openat2, rootfd, path, &how, sizeof how);
  if (fd >= 0 || errno != ENOENT || !create)
    return fd;
  if (depth > 40) {
    errno = ELOOP;
    return -1;
  }
  /* Walk prefix by prefix, each resolved from the root (so symlinks in the
   * middle, like /var/run -> /run, are followed inside the root), creating
   * what is missing in the already-resolved parent. */
  char prefix[4096];
  size_t plen = 0;
  prefix[0] = '\0';
  int dirfd = (int) fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
  const char *p = path;
  while (*p) {
    const char *end = strchrnul(p, '/');
    const char *rest = end;
    while (*rest == '/')
      rest++;
    bool last = *rest == '\0';
    char comp[256];
    size_t clen = (size_t) (end - p);
    if (clen >= sizeof comp || plen + clen + 2 >= sizeof prefix) {
      close(dirfd);
      errno = ENAMETOOLONG;
      return -1;
    }
    memcpy(comp, p, clen);
    comp[clen] = '\0';
    size_t parent_len = plen;
    plen += (size_t) snprintf(prefix + plen, sizeof prefix - plen, "%s%s", plen ? "/" : "", comp);
    int child = (int) syscall(SYS_openat2, rootfd, prefix, &how, sizeof how);
    if (child < 0 && errno == ENOENT) {
      char target[4096];
      ssize_t tl = readlinkat(dirfd, comp, target, sizeof target - 1);
      if (tl > 0) {
        /* A dangling symlink: create its target (inside the root) instead. */
        target[tl] = '\0';
        char next[8192];
        prefix[parent_len] = '\0';
        if (target[0] == '/')
          snprintf(next, sizeof next, "%s%s%s", target, *rest ? "/" : "", rest);
        else
          snprintf(next, sizeof next, "%s/%s%s%s", prefix, target, *rest ? "/" : "", rest);
        close(dirfd);
        return open_in_root_depth(rootfd, next, create, make_file, depth + 1);
      }
      if (last && make_file) {
        int f = openat(dirfd, comp, O_CREAT | O_WRONLY | O_CLOEXEC | O_EXCL | O_NOFOLLOW, 0644);
        if (f < 0 && errno != EEXIST) {
          close(dirfd);
          return -1;
        }
        if (f >= 0)
          close(f);
      } else if (mkdirat(dirfd, comp, 0755) < 0 && errno != EEXIST) {
        close(dirfd);
        return -1;
      }
      child = (int) syscall(SYS_openat2, rootfd, prefix, &how, sizeof how);
    }
    close(dirfd);
    if (child < 0)
      return -1;
    dirfd = child;
    p = rest;
  }
  return dirfd;
}

static char *fd_path(int fd, char *buf, size_t len)
{
  snprintf(buf, len, "/proc/self/fd/%d", fd);
  return buf;
}

/* Flags a remount must keep (the kernel refuses to drop locked ones in a userns). */
static unsigned long locked_flags(const char *path)
{
  struct statvfs sv;
  if (statvfs(path, &sv) < 0)
    return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOSUID)
    f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV)
    f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME)
    f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME)
    f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME)
    f |= MS_RELATIME;
  return f;
}

static void remount_bind(const char *target, unsigned long flags)
{
  unsigned long f = MS_REMOUNT | MS_BIND | (flags & ~(MS_BIND | MS_REC | MS_REMOUNT)) | locked_flags(target);
  if (mount(NULL, target, NULL, f, NULL) < 0)
    dy_die_errno("remount %s", target);
}

static bool is_dir(const char *p)
{
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void mount_cgroup(struct rootfs_ctx *ctx, int rootfd, const char *dest, struct parsed_opts *p)
{
  cgroup_get()->mount_in_container(rootfd, dest, ctx->cgroup_rel, p->flags, ctx->new_cgroupns);
  if (p->flags & MS_RDONLY) {
    char tp[64];
    int fd = open_in_root(rootfd, dest, false, false);
    if (fd < 0)
      dy_die_errno("reopen %s", dest);
    remount_bind(fd_path(fd, tp, sizeof tp), MS_RDONLY | (p->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)));
    close(fd);
  }
}

static void do_mount(struct rootfs_ctx *ctx, int rootfd, json_t *m, bool *dev_is_tmpfs)
{
  const char *dest = spec_str(m, "destination", NULL);
  const char *type = spec_str(m, "type", "");
  const char *src = spec_str(m, "source", "");
  if (!dest)
    dy_die("mount without destination");
  struct parsed_opts p;
  parse_mount_options(json_object_get(m, "options"), &p);
  bool bind = (p.flags & MS_BIND) || strcmp(type, "bind") == 0;
  if (strcmp(dest, "/dev") == 0 || strcmp(dest, "/dev/") == 0)
    *dev_is_tmpfs = !bind;

  char srcbuf[4096];
  if (bind && src[0] != '/') {
    /* Relative bind sources are relative to the bundle (the cwd during create). */
    if (!realpath(src, srcbuf))
      dy_die_errno("bind source %s", src);
    src = srcbuf;
  }
  bool make_file = bind && !is_dir(src);
  int fd = open_in_root(rootfd, dest, true, make_file);
  if (fd < 0)
    dy_die_errno("create mount point %s", dest);
  char tp[64];
  fd_path(fd, tp, sizeof tp);

  if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0) {
    mount_cgroup(ctx, rootfd, dest, &p);
  } else if (bind) {
    if (mount(src, tp, NULL, MS_BIND | (p.flags & MS_REC), NULL) < 0)
      dy_die_errno("bind mount %s on %s", src, dest);
    if (p.flags & ~(MS_BIND | MS_REC)) {
      /* Re-resolve: the fd still points at the covered directory. */
      close(fd);
      fd = open_in_root(rootfd, dest, false, false);
      if (fd < 0)
        dy_die_errno("reopen %s", dest);
      remount_bind(fd_path(fd, tp, sizeof tp), p.flags);
    }
  } else {
    /* Read-only goes on the mount, never the superblock: a superblock may be
     * shared with the host (sysfs of the host netns, cgroup2), and MS_RDONLY on
     * a new mount of it would make the host's copy read-only too. */
    int r = mount(src, tp, type, p.flags & ~MS_RDONLY, p.data[0] ? p.data : NULL);
    if (r == 0 && (p.flags & MS_RDONLY)) {
      close(fd);
      fd = open_in_root(rootfd, dest, false, false);
      if (fd < 0)
        dy_die_errno("reopen %s", dest);
      remount_bind(fd_path(fd, tp, sizeof tp), p.flags);
    }
    if (r < 0 && errno == EPERM && strcmp(type, "sysfs") == 0) {
      /* sysfs needs a netns owned by the userns; fall back to binding the host's. */
      r = mount("/sys", tp, NULL, MS_BIND | MS_REC, NULL);
      if (r == 0 && (p.flags & MS_RDONLY)) {
        close(fd);
        fd = open_in_root(rootfd, dest, false, false);
        remount_bind(fd_path(fd, tp, sizeof tp), MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
      }
    }
    if (r < 0)
      dy_die_errno("mount %s (%s) on %s", src, type, dest);
  }
  if (p.propagation) {
    close(fd);
    fd = open_in_root(rootfd, dest, false, false);
    if (mount(NULL, fd_path(fd, tp, sizeof tp), NULL, p.propagation, NULL) < 0)
      dy_die_errno("set propagation of %s", dest);
  }
  close(fd);
}

static const struct {
  const char *name;
  unsigned maj, min;
} default_devices[] = {
  { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static void make_device(int rootfd, const char *path, mode_t type, unsigned maj, unsigned min, mode_t perm,
                        uid_t uid, gid_t gid, bool in_userns)
{
  char host[4096];
  if (in_userns) {
  bind_host_node:
    /* mknod is not allowed in a userns (ours, or the one dyrt itself runs in,
     * e.g. a nested engine in a lab box): bind the host's node instead. */
    snprintf(host, sizeof host, "/dev/%s", path + (strncmp(path, "/dev/", 5) == 0 ? 5 : 0));
    int fd = open_in_root(rootfd, path, true, true);
    if (fd < 0)
      dy_die_errno("create %s", path);
    char tp[64];
    if (mount(host, fd_path(fd, tp, sizeof tp), NULL, MS_BIND, NULL) < 0)
      dy_die_errno("bind device %s", path);
    close(fd);
    return;
  }
  char parent[4096];
  snprintf(parent, sizeof parent, "%s", path);
  char *slash = strrchr(parent, '/');
  const char *base = slash ? slash + 1 : parent;
  if (slash)
    *slash = '\0';
  int dfd = open_in_root(rootfd, slash ? parent : "/", true, false);
  if (dfd < 0)
    dy_die_errno("open parent of %s", path);
  /* The O_PATH parent fd is fine for mknodat. */
  unlinkat(dfd, base, 0);
  if (mknodat(dfd, base, type | perm, makedev(maj, min)) < 0) {
    if (errno == EPERM && type == S_IFCHR) {
      close(dfd);
      goto bind_host_node;
    }
    dy_die_errno("mknod %s", path);
  }
  char tp[64];
  fd_path(dfd, tp, sizeof tp);
  char full[4200];
  snprintf(full, sizeof full, "%s/%s", tp, base);
  if (chmod(full, perm) < 0 || chown(full, uid, gid) < 0)
    dy_die_errno("chmod/chown %s", path);
  close(dfd);
}

static void setup_devices(struct rootfs_ctx *ctx, int rootfd, bool dev_is_tmpfs)
{
  if (dev_is_tmpfs)
    for (size_t i = 0; i < sizeof default_devices / sizeof default_devices[0]; i++) {
      char p[64];
      snprintf(p, sizeof p, "/dev/%s", default_devices[i].name);
      make_device(rootfd, p, S_IFCHR, default_devices[i].maj, default_devices[i].min, 0666, 0, 0, ctx->in_userns);
    }
  size_t i;
  json_t *d;
  json_array_foreach(spec_path(ctx->config, "linux.devices"), i, d)
  {
    const char *path = spec_str(d, "path", NULL);
    const char *type = spec_str(d, "type", "c");
    if (!path)
      continue;
    mode_t t = type[0] == 'b' ? S_IFBLK : type[0] == 'p' ? S_IFIFO : S_IFCHR;
    json_t *fm = json_object_get(d, "fileMode");
    mode_t perm = json_is_integer(fm) ? (mode_t) json_integer_value(fm) & 07777 : 0666;
    make_device(rootfd, path, t, (unsigned) json_integer_value(json_object_get(d, "major")),
                (unsigned) json_integer_value(json_object_get(d, "minor")), perm,
                (uid_t) json_integer_value(json_object_get(d, "uid")),
                (gid_t) json_integer_value(json_object_get(d, "gid")), ctx->in_userns);
  }
  if (!dev_is_tmpfs)
    return;
  int devfd = open_in_root(rootfd, "/dev", false, false);
  if (devfd < 0)
    return;
  static const char *const links[][2] = {
    { "/proc/self/fd", "fd" },         { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
    { "/proc/self/fd/2", "stderr" },   { "pts/ptmx", "ptmx" },
  };
  for (size_t k = 0; k < sizeof links / sizeof links[0]; k++) {
    if (strcmp(links[k][1], "ptmx") == 0)
      unlinkat(devfd, "ptmx", 0);
    if (symlinkat(links[k][0], devfd, links[k][1]) < 0 && errno != EEXIST)
      dy_die_errno("symlink /dev/%s", links[k][1]);
  }
  close(devfd);
}

static unsigned long root_propagation(json_t *config)
{
  const char *p = spec_str(json_object_get(config, "linux"), "rootfsPropagation", NULL);
  if (p)
    for (size_t k = 0; k < sizeof propagation_opts / sizeof propagation_opts[0]; k++)
      if (strcmp(p, propagation_opts[k].name) == 0)
        return propagation_opts[k].flag;
  return MS_PRIVATE | MS_REC;
}

static void do_pivot_root(const char *rootfs)
{
  int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    dy_die_errno("open /");
  if (chdir(rootfs) < 0)
    dy_die_errno("chdir %s", rootfs);
  /* pivot_root(".", ".") stacks the old root on top of the new one; then detach it. */
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    dy_die_errno("pivot_root");
  if (fchdir(oldroot) < 0)
    dy_die_errno("fchdir old root");
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    dy_die_errno("make old root rslave");
  if (umount2(".", MNT_DETACH) < 0)
    dy_die_errno("detach old root");
  close(oldroot);
  if (chdir("/") < 0)
    dy_die_errno("chdir /");
}

static void do_move_root(const char *rootfs)
{
  if (chdir(rootfs) < 0)
    dy_die_errno("chdir %s", rootfs);
  if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
    dy_die_errno("move root");
  if (chroot(".") < 0)
    dy_die_errno("chroot");
  if (chdir("/") < 0)
    dy_die_errno("chdir /");
}

void rootfs_setup(struct rootfs_ctx *ctx)
{
  unsigned long prop = root_propagation(ctx->config);
  if (mount(NULL, "/", NULL, MS_REC | (prop & MS_SHARED ? MS_SLAVE : prop & ~MS_REC), NULL) < 0)
    dy_die_errno("make / %s", prop & MS_SHARED ? "rslave" : "private");
  if (mount(ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    dy_die_errno("bind rootfs %s", ctx->rootfs);
  int rootfd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    dy_die_errno("open rootfs");

  bool dev_is_tmpfs = false;
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(ctx->config, "mounts"), i, m) do_mount(ctx, rootfd, m, &dev_is_tmpfs);
  setup_devices(ctx, rootfd, dev_is_tmpfs);
  close(rootfd);

  if (ctx->before_pivot && ctx->before_pivot(ctx->before_pivot_arg) < 0)
    dy_die("hooks before pivot_root failed");

  if (ctx->no_pivot)
    do_move_root(ctx->rootfs);
  else
    do_pivot_root(ctx->rootfs);
  if (prop & MS_SHARED)
    if (mount(NULL, "/", NULL, prop, NULL) < 0)
      dy_die_errno("set root propagation");
}

static void mask_path(const char *path)
{
  struct stat st;
  if (lstat(path, &st) < 0) {
    if (errno == ENOENT)
      return;
    dy_die_errno("stat masked path %s", path);
  }
  if (S_ISDIR(st.st_mode)) {
    if (mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL) < 0)
      dy_die_errno("mask %s", path);
  } else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
    dy_die_errno("mask %s", path);
  }
}

static void readonly_path(const char *path)
{
  if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
    if (errno == ENOENT)
      return;
    dy_die_errno("bind readonly path %s", path);
  }
  remount_bind(path, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

void rootfs_finalize(json_t *config)
{
  size_t i;
  json_t *p;
  json_array_foreach(spec_path(config, "linux.readonlyPaths"), i, p)
  {
    if (json_is_string(p))
      readonly_path(json_string_value(p));
  }
  json_array_foreach(spec_path(config, "linux.maskedPaths"), i, p)
  {
    if (json_is_string(p))
      mask_path(json_string_value(p));
  }
  if (spec_bool(json_object_get(config, "root"), "readonly", false))
    remount_bind("/", MS_RDONLY);
}
