/* cgroup v1 (and hybrid hosts): one directory per mounted controller hierarchy. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dyrt.h"

struct hierarchy {
  char *mountpoint;
  char *options; /* super options, e.g. "rw,memory" or "rw,name=systemd" */
  bool unified;
};

static struct hierarchy hier[24];
static int n_hier = -1;

static void load_hierarchies(void)
{
  if (n_hier >= 0)
    return;
  n_hier = 0;
  char *mi = dy_read_file("/proc/self/mountinfo", NULL);
  if (!mi)
    dy_die_errno("read mountinfo");
  for (char *save = NULL, *line = strtok_r(mi, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
    char *sep = strstr(line, " - ");
    if (!sep)
      continue;
    char fstype[32], source[256], super[512], mountpoint[1024], root[1024];
    if (sscanf(sep + 3, "%31s %255s %511s", fstype, source, super) != 3)
      continue;
    bool unified = strcmp(fstype, "cgroup2") == 0;
    if (!unified && strcmp(fstype, "cgroup") != 0)
      continue;
    if (sscanf(line, "%*s %*s %*s %1023s %1023s", root, mountpoint) != 2 || strcmp(root, "/") != 0)
      continue;
    if (n_hier >= (int) (sizeof hier / sizeof hier[0]))
      break;
    hier[n_hier].mountpoint = dy_xstrdup(mountpoint);
    hier[n_hier].options = dy_xstrdup(super);
    hier[n_hier].unified = unified;
    n_hier++;
  }
  free(mi);
}

static bool has_opt(const char *opts, const char *name)
{
  size_t n = strlen(name);
  for (const char *p = opts; (p = strstr(p, name)); p += n)
    if ((p == opts || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
      return true;
  return false;
}

/* Directory of the container's cgroup in the hierarchy holding ctrl, or NULL. */
static char *dir_for(const char *ctrl, const char *rel)
{
  load_hierarchies();
  for (int i = 0; i < n_hier; i++)
    if (!hier[i].unified && has_opt(hier[i].options, ctrl))
      return dy_xasprintf("%s%s", hier[i].mountpoint, rel);
  return NULL;
}

/* A new cpuset cgroup starts empty: copy cpus/mems down from the parent. */
static void cpuset_init(const char *dir)
{
  char *parent = dy_xstrdup(dir);
  char *slash = strrchr(parent, '/');
  if (slash)
    *slash = '\0';
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  for (int i = 0; i < 2; i++) {
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, files[i]);
    char *cur = dy_read_file(p, NULL);
    if (cur && cur[0] != '\n' && cur[0] != '\0') {
      free(cur);
      continue;
    }
    free(cur);
    snprintf(p, sizeof p, "%s/%s", parent, files[i]);
    char *val = dy_read_file(p, NULL);
    if (val && cgroup_write(dir, files[i], val) < 0)
      dy_die_errno("init %s of %s", files[i], dir);
    free(val);
  }
  free(parent);
}

static void mkdir_cgroup(const struct hierarchy *h, const char *rel)
{
  char path[4096];
  bool cpuset = !h->unified && has_opt(h->options, "cpuset");
  size_t base = (size_t) snprintf(path, sizeof path, "%s", h->mountpoint);
  snprintf(path + base, sizeof path - base, "%s", rel);
  if (!cpuset) {
    if (dy_mkdir_p(path, 0755) < 0)
      dy_die_errno("create cgroup %s", path);
    return;
  }
  for (char *p = path + base + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char saved = *p;
      *p = '\0';
      if (mkdir(path, 0755) == 0)
        cpuset_init(path);
      else if (errno != EEXIST)
        dy_die_errno("create cgroup %s", path);
      *p = saved;
      if (!saved)
        break;
    }
  }
}

static void v1_create(const char *rel)
{
  load_hierarchies();
  for (int i = 0; i < n_hier; i++)
    mkdir_cgroup(&hier[i], rel);
}

static void write_or_die(const char *dir, const char *file, const char *value)
{
  if (cgroup_write(dir, file, value) < 0)
    dy_die_errno("write %s/%s=%s", dir, file, value);
}

static bool json_num(json_t *obj, const char *key, long long *out)
{
  json_t *v = json_object_get(obj, key);
  if (!json_is_integer(v))
    return false;
  *out = json_integer_value(v);
  return true;
}

static void apply_memory(const char *rel, json_t *mem)
{
  char *dir = dir_for("memory", rel);
  if (!dir || !json_is_object(mem))
    goto out;
  long long limit, swap, reservation;
  char buf[32];
  bool has_limit = json_num(mem, "limit", &limit), has_swap = json_num(mem, "swap", &swap);
  char memsw[4200];
  snprintf(memsw, sizeof memsw, "%s/memory.memsw.limit_in_bytes", dir);
  bool swap_accounting = access(memsw, F_OK) == 0;
  if (has_swap && swap_accounting) {
    /* memsw must stay >= limit: raise it first, set limit, then the exact value. */
    cgroup_write(dir, "memory.memsw.limit_in_bytes", "-1");
  }
  if (has_limit) {
    snprintf(buf, sizeof buf, "%lld", limit);
    write_or_die(dir, "memory.limit_in_bytes", buf);
  }
  if (has_swap && swap_accounting) {
    snprintf(buf, sizeof buf, "%lld", swap);
    write_or_die(dir, "memory.memsw.limit_in_bytes", buf);
  } else if (has_limit && swap_accounting && !has_swap) {
    /* Like runc: no swap given means swap = limit (no extra swap). */
    snprintf(buf, sizeof buf, "%lld", limit);
    cgroup_write(dir, "memory.memsw.limit_in_bytes", buf);
  }
  if (json_num(mem, "reservation", &reservation)) {
    snprintf(buf, sizeof buf, "%lld", reservation);
    write_or_die(dir, "memory.soft_limit_in_bytes", buf);
  }
out:
  free(dir);
}

static void apply_cpu(const char *rel, json_t *cpu)
{
  if (!json_is_object(cpu))
    return;
  long long v;
  char buf[64];
  char *dir = dir_for("cpu", rel);
  if (dir) {
    if (json_num(cpu, "shares", &v) && v) {
      snprintf(buf, sizeof buf, "%lld", v);
      write_or_die(dir, "cpu.shares", buf);
    }
    if (json_num(cpu, "period", &v) && v) {
      snprintf(buf, sizeof buf, "%lld", v);
      write_or_die(dir, "cpu.cfs_period_us", buf);
    }
    if (json_num(cpu, "quota", &v) && v) {
      snprintf(buf, sizeof buf, "%lld", v);
      write_or_die(dir, "cpu.cfs_quota_us", buf);
    }
  }
  free(dir);
  dir = dir_for("cpuset", rel);
  const char *s;
  if (dir && (s = spec_str(cpu, "cpus", NULL)) && *s)
    write_or_die(dir, "cpuset.cpus", s);
  if (dir && (s = spec_str(cpu, "mems", NULL)) && *s)
    write_or_die(dir, "cpuset.mems", s);
  free(dir);
}

static void apply_devices(const char *rel, json_t *devices)
{
  if (!json_is_array(devices))
    return;
  char *dir = dir_for("devices", rel);
  if (!dir)
    return;
  size_t i;
  json_t *d;
  json_array_foreach(devices, i, d)
  {
    char rule[128], maj[24] = "*", min[24] = "*";
    long long v;
    if (json_num(d, "major", &v))
      snprintf(maj, sizeof maj, "%lld", v);
    if (json_num(d, "minor", &v))
      snprintf(min, sizeof min, "%lld", v);
    const char *type = spec_str(d, "type", "a");
    if (type[0] == 'a')
      snprintf(rule, sizeof rule, "a");
    else
      snprintf(rule, sizeof rule, "%c %s:%s %s", type[0], maj, min, spec_str(d, "access", "rwm"));
    cgroup_write(dir, spec_bool(d, "allow", false) ? "devices.allow" : "devices.deny", rule);
  }
  /* The devices every container needs (as runc allows by default). */
  static const char *const defaults[] = { "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
                                          "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm" };
  for (size_t k = 0; k < sizeof defaults / sizeof defaults[0]; k++)
    cgroup_write(dir, "devices.allow", defaults[k]);
  free(dir);
}

static void v1_apply(const char *rel, json_t *res)
{
  if (!json_is_object(res))
    return;
  apply_memory(rel, json_object_get(res, "memory"));
  apply_cpu(rel, json_object_get(res, "cpu"));
  long long v;
  char buf[32];
  json_t *pids = json_object_get(res, "pids");
  if (json_num(pids, "limit", &v)) {
    char *dir = dir_for("pids", rel);
    snprintf(buf, sizeof buf, "%lld", v);
    if (dir)
      write_or_die(dir, "pids.max", v > 0 ? buf : "max");
    free(dir);
  }
  json_t *blkio = json_object_get(res, "blockIO");
  if (json_num(blkio, "weight", &v) && v) {
    char *dir = dir_for("blkio", rel);
    snprintf(buf, sizeof buf, "%lld", v);
    if (dir && cgroup_write(dir, "blkio.weight", buf) < 0 && errno != ENOENT)
      dy_die_errno("write blkio.weight");
    free(dir);
  }
  apply_devices(rel, json_object_get(res, "devices"));
}

static void v1_enter(const char *rel, pid_t pid)
{
  load_hierarchies();
  char buf[32], dir[4096];
  snprintf(buf, sizeof buf, "%d", (int) pid);
  for (int i = 0; i < n_hier; i++) {
    snprintf(dir, sizeof dir, "%s%s", hier[i].mountpoint, rel);
    write_or_die(dir, "cgroup.procs", buf);
  }
}

static void v1_enter_exec(const char *rel, pid_t pid, pid_t init_pid)
{
  (void) init_pid; /* v1 has no "no internal processes" rule */
  v1_enter(rel, pid);
}

static int v1_destroy(const char *rel)
{
  load_hierarchies();
  int rc = 0;
  char dir[4096];
  for (int i = 0; i < n_hier; i++) {
    snprintf(dir, sizeof dir, "%s%s", hier[i].mountpoint, rel);
    if (cgroup_rmdir(dir) < 0)
      rc = -1;
  }
  return rc;
}


static pid_t *v1_pids(const char *rel, size_t *n)
{
  char *dir = dir_for("pids", rel);
  if (!dir)
    dir = dir_for("memory", rel);
  if (!dir)
    dir = dir_for("freezer", rel);
  if (!dir) {
    *n = 0;
    return NULL;
  }
  pid_t *r = cgroup_read_procs(dir, n);
  free(dir);
  return r;
}

static int v1_is_frozen(const char *rel)
{
  char *dir = dir_for("freezer", rel);
  if (!dir)
    return 0;
  char path[4200];
  snprintf(path, sizeof path, "%s/freezer.state", dir);
  free(dir);
  char *s = dy_read_file(path, NULL);
  int r = s && strncmp(s, "FROZEN", 6) == 0;
  free(s);
  return r;
}

static int v1_freeze(const char *rel, bool freeze)
{
  char *dir = dir_for("freezer", rel);
  if (!dir)
    dy_die("the freezer controller is not mounted");
  for (int tries = 0; tries < 1000; tries++) {
    if (cgroup_write(dir, "freezer.state", freeze ? "FROZEN" : "THAWED") < 0)
      dy_die_errno("write freezer.state");
    if (v1_is_frozen(rel) == freeze)
      break;
    struct timespec ts = { 0, 1000 * 1000 };
    nanosleep(&ts, NULL);
  }
  free(dir);
  return 0;
}

static void v1_mount_in_container(int rootfd, const char *dest, const char *rel, unsigned long flags, bool cgroupns)
{
  char tp[64];
  int target_fd = open_in_root(rootfd, dest, false, false);
  if (target_fd < 0)
    dy_die_errno("open %s", dest);
  snprintf(tp, sizeof tp, "/proc/self/fd/%d", target_fd);
  bool ro = flags & MS_RDONLY;
  if (mount("tmpfs", tp, "tmpfs", flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC), "mode=755") < 0)
    dy_die_errno("mount tmpfs for cgroups");
  close(target_fd);
  /* Re-resolve so the fd points at the new tmpfs, not the covered directory. */
  int dirfd = open_in_root(rootfd, dest, false, false);
  if (dirfd < 0)
    dy_die_errno("open cgroup tmpfs");
  load_hierarchies();
  for (int i = 0; i < n_hier; i++) {
    if (hier[i].unified)
      continue;
    const char *name = strrchr(hier[i].mountpoint, '/') + 1;
    if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
      dy_die_errno("mkdir cgroup mount %s", name);
    char target[128];
    snprintf(target, sizeof target, "/proc/self/fd/%d/%s", dirfd, name);
    if (cgroupns) {
      /* Mount options: the controllers of this hierarchy, without rw/ro. */
      char opts[512];
      size_t o = 0;
      opts[0] = '\0';
      char *copy = dy_xstrdup(hier[i].options);
      for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (strcmp(t, "rw") && strcmp(t, "ro"))
          o += (size_t) snprintf(opts + o, sizeof opts - o, "%s%s", o ? "," : "", t);
      free(copy);
      if (mount("cgroup", target, "cgroup", flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME), opts) < 0)
        dy_die_errno("mount cgroup %s", name);
      if (ro && mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        dy_die_errno("remount cgroup %s read-only", name);
    } else {
      char src[4096];
      snprintf(src, sizeof src, "%s%s", hier[i].mountpoint, rel);
      if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
        dy_die_errno("bind cgroup %s", src);
      if (ro && mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        dy_die_errno("remount cgroup %s read-only", src);
    }
  }
  close(dirfd);
}

const struct cgroup_ops cgroup_v1_ops = {
  .create = v1_create,
  .apply = v1_apply,
  .enter = v1_enter,
  .enter_exec = v1_enter_exec,
  .destroy = v1_destroy,
  .pids = v1_pids,
  .freeze = v1_freeze,
  .is_frozen = v1_is_frozen,
  .mount_in_container = v1_mount_in_container,
};
