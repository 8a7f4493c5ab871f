/* Cgroups: pick the v1 (incl. hybrid) or v2 driver by the filesystem at /sys/fs/cgroup. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
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
  if (!p || !*p)
    return dy_xasprintf("/dockyard/%s", id);
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
