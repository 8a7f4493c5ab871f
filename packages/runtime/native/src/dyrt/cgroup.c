/* Cgroups: pick the v1 (incl. hybrid) or v2 driver by the filesystem at /sys/fs/cgroup. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "dyrt.h"

const struct cgroup_ops *cgroup_get(void)
{
  static const struct cgroup_ops *ops;
  if (ops)
    return ops;
  struct statfs sf;
  if (statfs("/sys/fs/cgroup", &sf) < 0)
    dy_die_errno("statfs /sys/fs/cgroup");
  ops = sf.f_type == CGROUP2_SUPER_MAGIC ? &cgroup_v2_ops : &cgroup_v1_ops;
  return ops;
}

char *cgroup_path_for(json_t *config, const char *id)
{
  const char *p = spec_str(json_object_get(config, "linux"), "cgroupsPath", NULL);
  /* Like runc: a cgroup named after the container at the top, so delete leaves no parent behind. */
  if (!p || !*p)
    return dy_xasprintf("/%s", id);
  if (strchr(p, ':') && p[0] != '/') {
    /* systemd style "slice:prefix:name": map onto a cgroupfs path. */
    char a[256], b[256], c[256];
    if (sscanf(p, "%255[^:]:%255[^:]:%255s", a, b, c) == 3)
      return dy_xasprintf("/%s/%s-%s.scope", a, b, c);
  }
  return p[0] == '/' ? dy_xstrdup(p) : dy_xasprintf("/%s", p);
}

int cgroup_write(const char *dir, const char *file, const char *value)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  return dy_write_file_str(path, value);
}

/* Removes a cgroup directory once the tasks still exiting from it are gone. A killed task leaves its cgroups
 * only late in exit (after its namespaces and mounts are torn down), which on a loaded host can take seconds. */
int cgroup_rmdir(const char *dir)
{
  long waited_ms = 0;
  for (long step_ms = 1; waited_ms < 15000; waited_ms += step_ms, step_ms = step_ms < 50 ? step_ms * 2 : 50) {
    if (rmdir(dir) == 0 || errno == ENOENT)
      return 0;
    if (errno != EBUSY)
      return -1;
    struct timespec ts = { 0, step_ms * 1000 * 1000 };
    nanosleep(&ts, NULL);
  }
  errno = EBUSY;
  return -1;
}

pid_t *cgroup_read_procs(const char *dir, size_t *n)
{
  char *path = dy_xasprintf("%s/cgroup.procs", dir);
  char *s = dy_read_file(path, NULL);
  free(path);
  *n = 0;
  if (!s)
    return NULL;
  size_t cap = 16;
  pid_t *out = dy_xmalloc(cap * sizeof(pid_t));
  for (char *save = NULL, *t = strtok_r(s, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
    if (*n == cap) {
      cap *= 2;
      pid_t *r = realloc(out, cap * sizeof(pid_t));
      if (!r)
        dy_die("out of memory");
      out = r;
    }
    out[(*n)++] = (pid_t) atoi(t);
  }
  free(s);
  return out;
}
