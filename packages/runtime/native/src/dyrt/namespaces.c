/* Namespaces: which to create, which to join by path, and uid/gid maps. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dyrt.h"

static const struct {
  const char *name;
  const char *proc;
  int flag;
} ns_table[] = {
  { "user", "user", CLONE_NEWUSER },   { "ipc", "ipc", CLONE_NEWIPC },     { "uts", "uts", CLONE_NEWUTS },
  { "network", "net", CLONE_NEWNET },  { "pid", "pid", CLONE_NEWPID },     { "cgroup", "cgroup", CLONE_NEWCGROUP },
  { "mount", "mnt", CLONE_NEWNS },
};

int ns_flag_from_name(const char *name)
{
  for (size_t i = 0; i < sizeof ns_table / sizeof ns_table[0]; i++)
    if (strcmp(ns_table[i].name, name) == 0)
      return ns_table[i].flag;
  return 0;
}

const char *ns_proc_name(int flag)
{
  for (size_t i = 0; i < sizeof ns_table / sizeof ns_table[0]; i++)
    if (ns_table[i].flag == flag)
      return ns_table[i].proc;
  return NULL;
}

void ns_parse(json_t *config, struct ns_spec *out)
{
  memset(out, 0, sizeof *out);
  json_t *list = spec_path(config, "linux.namespaces");
  size_t i;
  json_t *ns;
  /* Joins are ordered as ns_table: user first (so the others are reachable), mount last. */
  int join_flags[8];
  const char *join_paths[8];
  int nj = 0;
  json_array_foreach(list, i, ns)
  {
    const char *type = spec_str(ns, "type", "");
    int flag = ns_flag_from_name(type);
    if (!flag) {
      if (strcmp(type, "time") == 0)
        continue;
      dy_die("unknown namespace type %s", type);
    }
    const char *path = spec_str(ns, "path", NULL);
    if (path && *path) {
      if (nj >= 8)
        dy_die("too many namespaces");
      join_flags[nj] = flag;
      join_paths[nj++] = path;
    } else {
      out->flags_new |= flag;
    }
    if (flag == CLONE_NEWPID)
      out->has_pid = true;
    if (flag == CLONE_NEWNS)
      out->has_mount = true;
    if (flag == CLONE_NEWUTS)
      out->has_uts = true;
    if (flag == CLONE_NEWUSER)
      out->has_user = true;
    if (flag == CLONE_NEWCGROUP)
      out->has_cgroup = true;
  }
  out->new_user = out->flags_new & CLONE_NEWUSER;
  for (size_t t = 0; t < sizeof ns_table / sizeof ns_table[0]; t++)
    for (int j = 0; j < nj; j++)
      if (join_flags[j] == ns_table[t].flag) {
        int fd = open(join_paths[j], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
          dy_die_errno("open namespace %s", join_paths[j]);
        out->join_fds[out->n_join] = fd;
        out->join_types[out->n_join++] = join_flags[j];
      }
}

void ns_join(struct ns_spec *ns, bool user_only)
{
  for (int i = 0; i < ns->n_join; i++) {
    if (ns->join_fds[i] < 0)
      continue;
    if (user_only != (ns->join_types[i] == CLONE_NEWUSER))
      continue;
    if (setns(ns->join_fds[i], ns->join_types[i]) < 0)
      dy_die_errno("setns %s", ns_proc_name(ns->join_types[i]));
    close(ns->join_fds[i]);
    ns->join_fds[i] = -1;
  }
}

static void write_map(pid_t pid, const char *file, json_t *mappings)
{
  char buf[4096];
  size_t off = 0, i;
  json_t *m;
  json_array_foreach(mappings, i, m)
  {
    int n = snprintf(buf + off, sizeof buf - off, "%lld %lld %lld\n",
                     json_integer_value(json_object_get(m, "containerID")),
                     json_integer_value(json_object_get(m, "hostID")), json_integer_value(json_object_get(m, "size")));
    if (n < 0 || (size_t) n >= sizeof buf - off)
      dy_die("%s: too many mappings", file);
    off += (size_t) n;
  }
  if (off == 0)
    return;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int) pid, file);
  if (dy_write_file(path, buf, off, 0) < 0)
    dy_die_errno("write %s", file);
}

void ns_write_id_maps(pid_t pid, json_t *config)
{
  json_t *linux_ = json_object_get(config, "linux");
  /* Only an unprivileged writer must give up setgroups before writing gid_map. */
  if (geteuid() != 0) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/setgroups", (int) pid);
    if (dy_write_file_str(path, "deny") < 0 && errno != ENOENT)
      dy_die_errno("write setgroups");
  }
  write_map(pid, "uid_map", json_object_get(linux_, "uidMappings"));
  write_map(pid, "gid_map", json_object_get(linux_, "gidMappings"));
}
