/* Was the container OOM-killed? Its memory cgroup's oom_kill counter says
 * so: memory.oom_control on cgroup v1, memory.events on v2. The file is
 * found while the process is alive (from /proc/PID/cgroup and the cgroup
 * mounts in /proc/self/mountinfo) and read again when it has exited. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dyshim.h"

static char *oom_file;
static long long oom_kills_at_start;

static bool has_option(const char *options, const char *want)
{
  size_t n = strlen(want);
  for (const char *p = options; p && *p;) {
    if (strncmp(p, want, n) == 0 && (p[n] == ',' || p[n] == '\0' || p[n] == '\n'))
      return true;
    p = strchr(p, ',');
    if (p)
      p++;
  }
  return false;
}

/* The mount point and root of the v1 memory hierarchy (v1 = true) or of
 * cgroup2, from /proc/self/mountinfo. */
static bool find_mount(bool v1, char *mnt, size_t mntlen, char *root, size_t rootlen)
{
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f)
    return false;
  char *line = NULL;
  size_t cap = 0;
  bool found = false;
  while (!found && getline(&line, &cap, f) > 0) {
    char r[1024], m[1024];
    if (sscanf(line, "%*s %*s %*s %1023s %1023s", r, m) != 2)
      continue;
    const char *sep = strstr(line, " - ");
    if (!sep)
      continue;
    char fstype[64], source[256], opts[1024];
    if (sscanf(sep + 3, "%63s %255s %1023s", fstype, source, opts) != 3)
      continue;
    if (v1 ? strcmp(fstype, "cgroup") == 0 && has_option(opts, "memory") : strcmp(fstype, "cgroup2") == 0) {
      snprintf(mnt, mntlen, "%s", m);
      snprintf(root, rootlen, "%s", r);
      found = true;
    }
  }
  free(line);
  fclose(f);
  return found;
}

static long long read_oom_kills(const char *path)
{
  FILE *f = fopen(path, "re");
  if (!f)
    return -1;
  char key[64];
  long long value, kills = -1;
  while (fscanf(f, "%63s %lld", key, &value) == 2) {
    if (strcmp(key, "oom_kill") == 0)
      kills = value;
  }
  fclose(f);
  return kills;
}

void oom_watch(pid_t pid)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/cgroup", pid);
  FILE *f = fopen(path, "re");
  if (!f)
    return;
  char *line = NULL;
  size_t cap = 0;
  char v1_path[2048] = "", v2_path[2048] = "";
  while (getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    char *controllers = strchr(line, ':');
    char *cgpath = controllers ? strchr(controllers + 1, ':') : NULL;
    if (!cgpath)
      continue;
    *cgpath++ = '\0';
    controllers++;
    if (has_option(controllers, "memory"))
      snprintf(v1_path, sizeof v1_path, "%s", cgpath);
    else if (strcmp(line, "0") == 0 && *controllers == '\0')
      snprintf(v2_path, sizeof v2_path, "%s", cgpath);
  }
  free(line);
  fclose(f);

  bool v1 = v1_path[0] != '\0';
  const char *cgpath = v1 ? v1_path : v2_path;
  char mnt[1024], root[1024];
  if (!cgpath[0] || !find_mount(v1, mnt, sizeof mnt, root, sizeof root))
    return;
  /* The mount shows the hierarchy from `root` down (a cgroup namespace or
   * a bind mount may hide the top). */
  size_t rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
  if (rl && (strncmp(cgpath, root, rl) != 0 || (cgpath[rl] != '/' && cgpath[rl] != '\0')))
    return;
  char *file;
  if (asprintf(&file, "%s%s/%s", mnt, cgpath + rl, v1 ? "memory.oom_control" : "memory.events") < 0)
    return;
  long long kills = read_oom_kills(file);
  if (kills < 0) {
    free(file);
    return;
  }
  oom_file = file;
  oom_kills_at_start = kills;
}

bool oom_killed(void)
{
  if (!oom_file)
    return false;
  long long kills = read_oom_kills(oom_file);
  return kills > oom_kills_at_start;
}
