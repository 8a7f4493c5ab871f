/* Container state on disk: <root>/<id>/state.json, config.json copy, exec.fifo. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dyrt.h"

void state_validate_id(const char *id)
{
  if (!id || !*id)
    dy_die("container id cannot be empty");
  for (const char *p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
          *p == '-' || *p == '.' || *p == '+'))
      dy_die("invalid container id %s", id);
  if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0 || strlen(id) > 1024)
    dy_die("invalid container id %s", id);
}

char *state_dir_for(const char *id)
{
  return dy_xasprintf("%s/%s", dyrt_g.root, id);
}

/* /proc/<pid>/stat: alive (not zombie) and the same process (start time). */
bool pid_alive(pid_t pid, unsigned long long starttime)
{
  if (pid <= 0)
    return false;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
  char *s = dy_read_file(path, NULL);
  if (!s)
    return false;
  char *p = strrchr(s, ')');
  bool alive = false;
  if (p && p[1] == ' ') {
    char state = p[2];
    unsigned long long start = 0;
    char *q = p + 2;
    for (int field = 3; field < 22 && q; field++) {
      q = strchr(q, ' ');
      if (q)
        q++;
    }
    if (q)
      start = strtoull(q, NULL, 10);
    alive = state != 'Z' && state != 'X' && (starttime == 0 || start == starttime);
  }
  free(s);
  return alive;
}

int state_load(const char *id, struct cstate *st)
{
  memset(st, 0, sizeof *st);
  st->id = dy_xstrdup(id);
  st->dir = state_dir_for(id);
  char *path = dy_xasprintf("%s/state.json", st->dir);
  json_error_t err;
  st->json = json_load_file(path, 0, &err);
  free(path);
  if (!st->json)
    return -1;
  st->bundle = dy_xstrdup(spec_str(st->json, "bundle", ""));
  st->cgroup = dy_xstrdup(spec_str(st->json, "cgroupPath", ""));
  st->created = dy_xstrdup(spec_str(st->json, "created", ""));
  st->pid = (pid_t) json_integer_value(json_object_get(st->json, "pid"));
  st->starttime = (unsigned long long) json_integer_value(json_object_get(st->json, "starttime"));
  path = dy_xasprintf("%s/config.json", st->dir);
  st->config = json_load_file(path, 0, &err);
  free(path);
  if (!st->config)
    st->config = json_object();
  return 0;
}

void state_save(struct cstate *st)
{
  json_t *j = json_pack("{s:s, s:s, s:i, s:I, s:s, s:s, s:s}", "ociVersion", DYRT_OCI_VERSION, "id", st->id, "pid",
                        (int) st->pid, "starttime", (json_int_t) st->starttime, "bundle", st->bundle, "cgroupPath",
                        st->cgroup, "created", st->created);
  json_t *ann = spec_path(st->config, "annotations");
  if (ann)
    json_object_set(j, "annotations", ann);
  char *text = json_dumps(j, JSON_COMPACT);
  char *path = dy_xasprintf("%s/state.json", st->dir);
  if (dy_write_file_atomic(path, text, strlen(text), 0600) < 0)
    dy_die_errno("write %s", path);
  free(path);
  free(text);
  json_decref(j);
}

enum cstatus state_status(struct cstate *st)
{
  if (!pid_alive(st->pid, st->starttime))
    return ST_STOPPED;
  char *fifo = dy_xasprintf("%s/exec.fifo", st->dir);
  bool created = access(fifo, F_OK) == 0;
  free(fifo);
  if (created)
    return ST_CREATED;
  if (st->cgroup[0] && cgroup_get()->is_frozen(st->cgroup))
    return ST_PAUSED;
  return ST_RUNNING;
}

const char *status_name(enum cstatus s)
{
  switch (s) {
  case ST_CREATING:
    return "creating";
  case ST_CREATED:
    return "created";
  case ST_RUNNING:
    return "running";
  case ST_PAUSED:
    return "paused";
  default:
    return "stopped";
  }
}

char *state_oci_json(struct cstate *st, enum cstatus s)
{
  json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", DYRT_OCI_VERSION, "id", st->id, "status",
                        status_name(s), "pid", s == ST_STOPPED ? 0 : (int) st->pid, "bundle", st->bundle);
  json_t *ann = spec_path(st->config, "annotations");
  json_object_set(j, "annotations", ann ? ann : json_object());
  if (st->created && *st->created)
    json_object_set_new(j, "created", json_string(st->created));
  char *text = json_dumps(j, JSON_INDENT(2));
  json_decref(j);
  return text;
}
