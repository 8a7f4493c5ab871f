/* cgroup v2 (unified hierarchy at /sys/fs/cgroup). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dyrt.h"

#define V2_ROOT "/sys/fs/cgroup"

static char *dir_of(const char *rel)
{
  return dy_xasprintf(V2_ROOT "%s", rel);
}

/* Delegate each available controller to the children of dir. One write per
 * controller: a single failing one (e.g. busy, or not delegated to us inside a
 * nested cgroup namespace) must not keep the others off. */
static void enable_controllers(const char *dir, const char *avail)
{
  char *copy = dy_xstrdup(avail);
  for (char *save = NULL, *t = strtok_r(copy, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
    char buf[64];
    snprintf(buf, sizeof buf, "+%s", t);
    cgroup_write(dir, "cgroup.subtree_control", buf);
  }
  free(copy);
}

static void v2_create(const char *rel)
{
  char *avail = dy_read_file(V2_ROOT "/cgroup.controllers", NULL);
  if (!avail)
    avail = dy_xstrdup("");
  char path[4096];
  size_t base = (size_t) snprintf(path, sizeof path, V2_ROOT);
  snprintf(path + base, sizeof path - base, "%s", rel);
  /* Skip controllers already enabled in the root (the common case) to save writes. */
  char *enabled = dy_read_file(V2_ROOT "/cgroup.subtree_control", NULL);
  if (!enabled || strcmp(enabled, avail) != 0)
    enable_controllers(V2_ROOT, avail);
  free(enabled);
  for (char *p = path + base + 1;; p++) {
    if (*p != '/' && *p != '\0')
      continue;
    char saved = *p;
    *p = '\0';
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
      dy_die_errno("create cgroup %s", path);
    if (saved) /* an ancestor of the leaf: delegate controllers down */
      enable_controllers(path, avail);
    *p = saved;
    if (!saved)
      break;
  }
  free(avail);
}

static bool json_num(json_t *obj, const char *key, long long *out)
{
  json_t *v = json_object_get(obj, key);
  if (!json_is_integer(v))
    return false;
  *out = json_integer_value(v);
  return true;
}

static void write_or_die(const char *dir, const char *file, const char *value)
{
  if (cgroup_write(dir, file, value) < 0)
    dy_die_errno("write %s/%s=%s", dir, file, value);
}

static void v2_apply(const char *rel, json_t *res)
{
  if (!json_is_object(res))
    return;
  char *dir = dir_of(rel);
  char buf[64];
  long long v, limit = 0;
  json_t *mem = json_object_get(res, "memory");
  bool has_limit = json_num(mem, "limit", &limit);
  if (has_limit) {
    if (limit > 0)
      snprintf(buf, sizeof buf, "%lld", limit);
    write_or_die(dir, "memory.max", limit > 0 ? buf : "max");
  }
  if (json_num(mem, "swap", &v)) {
    /* OCI swap is memory+swap; v2 counts swap alone. */
    if (v > 0 && has_limit && limit > 0)
      snprintf(buf, sizeof buf, "%lld", v - limit > 0 ? v - limit : 0);
    write_or_die(dir, "memory.swap.max", v > 0 && has_limit && limit > 0 ? buf : "max");
  }
  if (json_num(mem, "reservation", &v)) {
    snprintf(buf, sizeof buf, "%lld", v);
    write_or_die(dir, "memory.low", buf);
  }
  json_t *cpu = json_object_get(res, "cpu");
  if (json_num(cpu, "shares", &v) && v) {
    snprintf(buf, sizeof buf, "%lld", 1 + ((v - 2) * 9999) / 262142);
    write_or_die(dir, "cpu.weight", buf);
  }
  long long quota = 0, period = 0;
  bool hq = json_num(cpu, "quota", &quota), hp = json_num(cpu, "period", &period);
  if (hq || hp) {
    if (!period)
      period = 100000;
    if (quota > 0)
      snprintf(buf, sizeof buf, "%lld %lld", quota, period);
    else
      snprintf(buf, sizeof buf, "max %lld", period);
    write_or_die(dir, "cpu.max", buf);
  }
  const char *s;
  if ((s = spec_str(cpu, "cpus", NULL)) && *s)
    write_or_die(dir, "cpuset.cpus", s);
  if ((s = spec_str(cpu, "mems", NULL)) && *s)
    write_or_die(dir, "cpuset.mems", s);
  if (json_num(json_object_get(res, "pids"), "limit", &v)) {
    snprintf(buf, sizeof buf, "%lld", v);
    write_or_die(dir, "pids.max", v > 0 ? buf : "max");
  }
  if (json_num(json_object_get(res, "blockIO"), "weight", &v) && v) {
    snprintf(buf, sizeof buf, "default %lld", 1 + ((v - 10) * 9999) / 990);
    cgroup_write(dir, "io.weight", buf);
  }
  const char *key;
  json_t *val;
  json_object_foreach(json_object_get(res, "unified"), key, val)
  {
    if (json_is_string(val) && !strchr(key, '/'))
      write_or_die(dir, key, json_string_value(val));
  }
  free(dir);
}

static void v2_enter(const char *rel, pid_t pid)
{
  char *dir = dir_of(rel);
  char buf[32];
  snprintf(buf, sizeof buf, "%d", (int) pid);
  write_or_die(dir, "cgroup.procs", buf);
  free(dir);
}

/* The unified-hierarchy path of a process ("0::/a/b" in /proc/<pid>/cgroup), or NULL. */
static char *v2_path_of(pid_t pid)
{
  char file[64];
  snprintf(file, sizeof file, "/proc/%d/cgroup", (int) pid);
  FILE *f = fopen(file, "re");
  if (!f)
    return NULL;
  char line[4096];
  char *path = NULL;
  while (!path && fgets(line, sizeof line, f)) {
    if (strncmp(line, "0::", 3) == 0) {
      line[strcspn(line, "\n")] = '\0';
      path = dy_xstrdup(line + 3);
    }
  }
  fclose(f);
  return path;
}

/* A container whose init delegated its cgroup (moved itself to a leaf and enabled controllers for the
 * subtree, as lab boxes do) refuses new processes with EBUSY ("no internal processes"): an exec then joins
 * the init's own cgroup, provided that is inside the container's, as runc does. */
static void v2_enter_exec(const char *rel, pid_t pid, pid_t init_pid)
{
  char *dir = dir_of(rel);
  char buf[32];
  snprintf(buf, sizeof buf, "%d", (int) pid);
  if (cgroup_write(dir, "cgroup.procs", buf) == 0) {
    free(dir);
    return;
  }
  int err = errno;
  char *init_rel = err == EBUSY && init_pid > 0 ? v2_path_of(init_pid) : NULL;
  size_t n = strlen(rel);
  while (n > 1 && rel[n - 1] == '/')
    n--;
  if (!init_rel || strncmp(init_rel, rel, n) != 0 || (init_rel[n] != '/' && init_rel[n] != '\0')) {
    errno = err;
    dy_die_errno("write %s/cgroup.procs=%s", dir, buf);
  }
  free(dir);
  dir = dir_of(init_rel);
  write_or_die(dir, "cgroup.procs", buf);
  free(dir);
  free(init_rel);
}

static int v2_destroy(const char *rel)
{
  char *dir = dir_of(rel);
  int rc = cgroup_rmdir(dir);
  free(dir);
  return rc;
}

static pid_t *v2_pids(const char *rel, size_t *n)
{
  char *dir = dir_of(rel);
  pid_t *out = cgroup_read_procs(dir, n);
  free(dir);
  return out;
}

static int v2_is_frozen(const char *rel)
{
  char *path = dy_xasprintf(V2_ROOT "%s/cgroup.events", rel);
  char *s = dy_read_file(path, NULL);
  free(path);
  int r = s && strstr(s, "frozen 1") != NULL;
  free(s);
  return r;
}

static int v2_freeze(const char *rel, bool freeze)
{
  char *dir = dir_of(rel);
  write_or_die(dir, "cgroup.freeze", freeze ? "1" : "0");
  for (int tries = 0; tries < 1000 && v2_is_frozen(rel) != freeze; tries++) {
    struct timespec ts = { 0, 1000 * 1000 };
    nanosleep(&ts, NULL);
  }
  free(dir);
  return 0;
}

static void v2_mount_in_container(int rootfd, const char *dest, const char *rel, unsigned long flags, bool cgroupns)
{
  char tp[64];
  int target_fd = open_in_root(rootfd, dest, false, false);
  if (target_fd < 0)
    dy_die_errno("open %s", dest);
  snprintf(tp, sizeof tp, "/proc/self/fd/%d", target_fd);
  if (cgroupns) {
    if (mount("cgroup2", tp, "cgroup2", flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME), NULL) < 0)
      dy_die_errno("mount cgroup2");
    close(target_fd);
    return;
  }
  char *src = dir_of(rel);
  if (mount(src, tp, NULL, MS_BIND | MS_REC, NULL) < 0)
    dy_die_errno("bind cgroup %s", src);
  free(src);
  close(target_fd);
}

const struct cgroup_ops cgroup_v2_ops = {
  .create = v2_create,
  .apply = v2_apply,
  .enter = v2_enter,
  .enter_exec = v2_enter_exec,
  .destroy = v2_destroy,
  .pids = v2_pids,
  .freeze = v2_freeze,
  .is_frozen = v2_is_frozen,
  .mount_in_container = v2_mount_in_container,
};
