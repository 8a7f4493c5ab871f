/* The container process' last steps: rlimits, oom score, user, capabilities,
 * no_new_privs, seccomp, cwd (verified inside the root), fds, execve. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dyrt.h"

static const struct {
  const char *name;
  int res;
} rlimit_names[] = {
  { "RLIMIT_CPU", RLIMIT_CPU },         { "RLIMIT_FSIZE", RLIMIT_FSIZE },       { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_STACK", RLIMIT_STACK },     { "RLIMIT_CORE", RLIMIT_CORE },         { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_NOFILE", RLIMIT_NOFILE },     { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_AS", RLIMIT_AS },           { "RLIMIT_LOCKS", RLIMIT_LOCKS },       { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },       { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

void process_set_rlimits(json_t *process)
{
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(process, "rlimits"), i, r)
  {
    const char *type = spec_str(r, "type", "");
    int res = -1;
    for (size_t k = 0; k < sizeof rlimit_names / sizeof rlimit_names[0]; k++)
      if (strcmp(rlimit_names[k].name, type) == 0)
        res = rlimit_names[k].res;
    if (res < 0)
      dy_die("unknown rlimit %s", type);
    struct rlimit rl = { .rlim_cur = (rlim_t) json_integer_value(json_object_get(r, "soft")),
                         .rlim_max = (rlim_t) json_integer_value(json_object_get(r, "hard")) };
    if (setrlimit(res, &rl) < 0)
      dy_die_errno("setrlimit %s", type);
  }
}

void process_set_oom_score(json_t *process)
{
  json_t *v = json_object_get(process, "oomScoreAdj");
  if (!json_is_integer(v))
    return;
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", json_integer_value(v));
  if (dy_write_file_str("/proc/self/oom_score_adj", buf) < 0)
    dy_die_errno("write oom_score_adj");
}

void process_set_user(json_t *process)
{
  json_t *user = json_object_get(process, "user");
  uid_t uid = (uid_t) json_integer_value(json_object_get(user, "uid"));
  gid_t gid = (gid_t) json_integer_value(json_object_get(user, "gid"));
  json_t *add = json_object_get(user, "additionalGids");
  size_t n = json_is_array(add) ? json_array_size(add) : 0;
  gid_t *groups = dy_xcalloc(n + 1, sizeof(gid_t));
  for (size_t i = 0; i < n; i++)
    groups[i] = (gid_t) json_integer_value(json_array_get(add, i));
  if (setgroups(n, groups) < 0) {
    /* With setgroups denied in the userns only an empty list is acceptable. */
    if (!(errno == EPERM && n == 0))
      dy_die_errno("setgroups");
  }
  free(groups);
  if (setresgid(gid, gid, gid) < 0)
    dy_die_errno("setgid %u", gid);
  if (setresuid(uid, uid, uid) < 0)
    dy_die_errno("setuid %u", uid);
}

/* Like runc: chdir while still root (so a directory only root can enter works);
 * if root is refused (e.g. root-squashed NFS), try again as the process' user. */
static bool try_chdir(json_t *process)
{
  return chdir(spec_str(process, "cwd", "/")) == 0;
}

void process_chdir(json_t *process)
{
  const char *cwd = spec_str(process, "cwd", "/");
  if (chdir(cwd) < 0)
    dy_die_errno("chdir to cwd (\"%s\") set in config.json", cwd);
}

/* CVE-2024-21626: the cwd must be reachable from the container's root, not a leaked host dir. */
static void verify_cwd(void)
{
  char buf[4096];
  if (!getcwd(buf, sizeof buf) || buf[0] != '/')
    dy_die("current working directory is outside of the container's root");
}

void process_close_fds(int keep_from)
{
  if (syscall(SYS_close_range, (unsigned) keep_from, ~0U, 0) == 0)
    return;
  for (int fd = keep_from; fd < 4096; fd++)
    close(fd);
}

static int listen_fds(json_t *process)
{
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(process, "env"), i, e)
  {
    const char *s = json_string_value(e);
    if (s && strncmp(s, "LISTEN_FDS=", 11) == 0)
      return atoi(s + 11);
  }
  return 0;
}

void process_finalize(json_t *process, json_t *config)
{
  json_t *caps = json_object_get(process, "capabilities");
  bool nnp = spec_bool(process, "noNewPrivileges", false);
  json_t *seccomp = spec_path(config, "linux.seccomp");
  /* Without no_new_privs loading a filter needs CAP_SYS_ADMIN: do it before dropping caps. */
  if (!nnp)
    seccomp_apply(seccomp);
  bool in_cwd = try_chdir(process);
  caps_drop_bounding(caps);
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    dy_die_errno("PR_SET_KEEPCAPS");
  process_set_user(process);
  prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  caps_apply(caps);
  if (!in_cwd)
    process_chdir(process);
  verify_cwd();
  if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    dy_die_errno("PR_SET_NO_NEW_PRIVS");
  if (nnp)
    seccomp_apply(seccomp);
}

extern char **environ;

void process_exec(json_t *process)
{
  char **args = spec_strv(json_object_get(process, "args"));
  if (!args[0])
    dy_die("process.args must not be empty");
  environ = spec_strv(json_object_get(process, "env"));
  int extra = listen_fds(process);
  if (dyrt_g.preserve_fds > extra)
    extra = dyrt_g.preserve_fds;
  int keep = 3 + extra;
  process_close_fds(keep);
  execvp(args[0], args);
  int saved = errno;
  fprintf(stderr, "dyrt: exec %s: %s\n", args[0], strerror(saved));
  _exit(saved == ENOENT ? 127 : 126);
}

void sysctl_apply(json_t *config)
{
  const char *key;
  json_t *v;
  json_object_foreach(spec_path(config, "linux.sysctl"), key, v)
  {
    char path[512];
    int n = snprintf(path, sizeof path, "/proc/sys/");
    for (const char *k = key; *k && n < (int) sizeof path - 1; k++)
      path[n++] = *k == '.' ? '/' : *k;
    path[n] = '\0';
    if (dy_write_file_str(path, json_string_value(v) ? json_string_value(v) : "") < 0)
      dy_die_errno("sysctl %s", key);
  }
}
