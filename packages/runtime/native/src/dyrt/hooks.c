/* OCI hooks: run with the container state on stdin, optional timeout. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dyrt.h"

static int run_one(json_t *hook, const char *state_json)
{
  const char *path = spec_str(hook, "path", NULL);
  if (!path)
    return -1;
  char **args = spec_strv(json_object_get(hook, "args"));
  char *fallback[] = { (char *) path, NULL };
  char **env = spec_strv(json_object_get(hook, "env"));
  json_t *t = json_object_get(hook, "timeout");
  long timeout_ms = json_is_integer(t) ? (long) json_integer_value(t) * 1000 : -1;
  int in[2];
  if (pipe2(in, O_CLOEXEC) < 0)
    return -1;
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    dup2(in[0], 0);
    execve(path, args[0] ? args : fallback, env);
    _exit(127);
  }
  close(in[0]);
  signal(SIGPIPE, SIG_IGN);
  dy_write_all(in[1], state_json, strlen(state_json));
  close(in[1]);
  int status = 0;
  for (long waited = 0;; waited += 5) {
    pid_t r = waitpid(pid, &status, timeout_ms < 0 ? 0 : WNOHANG);
    if (r == pid)
      break;
    if (r < 0 && errno != EINTR)
      return -1;
    if (timeout_ms >= 0 && waited >= timeout_ms) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      dy_warn("hook %s timed out", path);
      return -1;
    }
    struct timespec ts = { 0, 5 * 1000 * 1000 };
    nanosleep(&ts, NULL);
  }
  free(args);
  free(env);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int hooks_run(json_t *hooks, const char *which, const char *state_json, bool fatal)
{
  size_t i;
  json_t *h;
  json_array_foreach(json_object_get(hooks, which), i, h)
  {
    if (run_one(h, state_json) < 0) {
      if (fatal)
        return -1;
      dy_warn("%s hook %s failed", which, spec_str(h, "path", "?"));
    }
  }
  return 0;
}
