/* Reading the OCI config.json (jansson). */
#define _GNU_SOURCE
#include <string.h>

#include "dyrt.h"

json_t *spec_load(const char *bundle)
{
  char *path = dy_xasprintf("%s/config.json", bundle);
  json_error_t err;
  json_t *root = json_load_file(path, 0, &err);
  if (!root)
    dy_die("cannot load %s: %s (line %d)", path, err.text, err.line);
  if (!json_is_object(root))
    dy_die("%s: not a JSON object", path);
  free(path);
  if (!json_is_object(json_object_get(root, "process")))
    dy_die("config.json: process is required");
  return root;
}

const char *spec_str(json_t *obj, const char *key, const char *dflt)
{
  json_t *v = obj ? json_object_get(obj, key) : NULL;
  return json_is_string(v) ? json_string_value(v) : dflt;
}

bool spec_bool(json_t *obj, const char *key, bool dflt)
{
  json_t *v = obj ? json_object_get(obj, key) : NULL;
  return json_is_boolean(v) ? json_is_true(v) : dflt;
}

json_t *spec_path(json_t *root, const char *dotted)
{
  char buf[256];
  snprintf(buf, sizeof buf, "%s", dotted);
  json_t *cur = root;
  for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save))
    cur = json_is_object(cur) ? json_object_get(cur, tok) : NULL;
  return cur;
}

char **spec_strv(json_t *arr)
{
  size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
  char **v = dy_xcalloc(n + 1, sizeof(char *));
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    json_t *s = json_array_get(arr, i);
    if (json_is_string(s))
      v[j++] = (char *) json_string_value(s);
  }
  v[j] = NULL;
  return v;
}
