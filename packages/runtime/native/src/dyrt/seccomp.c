/* Seccomp: translate linux.seccomp into a libseccomp filter. */
#define _GNU_SOURCE
#include <errno.h>
#include <seccomp.h>
#include <string.h>

#include "dyrt.h"

static uint32_t action_of(const char *name, json_t *errno_ret, uint32_t default_errno)
{
  if (!name)
    dy_die("seccomp: missing action");
  uint32_t e = json_is_integer(errno_ret) ? (uint32_t) json_integer_value(errno_ret) : default_errno;
  if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
    return SCMP_ACT_ALLOW;
  if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
    return SCMP_ACT_ERRNO(e);
  if (strcmp(name, "SCMP_ACT_KILL") == 0 || strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
    return SCMP_ACT_KILL;
  if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0)
    return SCMP_ACT_KILL_PROCESS;
  if (strcmp(name, "SCMP_ACT_TRAP") == 0)
    return SCMP_ACT_TRAP;
  if (strcmp(name, "SCMP_ACT_TRACE") == 0)
    return SCMP_ACT_TRACE(e);
  if (strcmp(name, "SCMP_ACT_LOG") == 0)
    return SCMP_ACT_LOG;
  dy_die("seccomp: unsupported action %s", name);
}

static enum scmp_compare op_of(const char *op)
{
  static const struct {
    const char *n;
    enum scmp_compare c;
  } ops[] = {
    { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
    { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
  };
  for (size_t i = 0; op && i < sizeof ops / sizeof ops[0]; i++)
    if (strcmp(ops[i].n, op) == 0)
      return ops[i].c;
  dy_die("seccomp: unknown operator %s", op ? op : "(none)");
}

static uint32_t arch_of(const char *name)
{
  if (strncmp(name, "SCMP_ARCH_", 10) == 0)
    name += 10;
  char lower[32];
  size_t i = 0;
  for (; name[i] && i < sizeof lower - 1; i++)
    lower[i] = (char) (name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
  lower[i] = '\0';
  return seccomp_arch_resolve_name(lower);
}

void seccomp_apply(json_t *sc)
{
  if (!json_is_object(sc))
    return;
  uint32_t default_errno = json_is_integer(json_object_get(sc, "defaultErrnoRet"))
                               ? (uint32_t) json_integer_value(json_object_get(sc, "defaultErrnoRet"))
                               : EPERM;
  uint32_t def = action_of(spec_str(sc, "defaultAction", NULL), json_object_get(sc, "defaultErrnoRet"), EPERM);
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx)
    dy_die("seccomp_init failed");
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0); /* no_new_privs is the process' own choice */
  size_t i;
  json_t *a;
  json_array_foreach(json_object_get(sc, "architectures"), i, a)
  {
    uint32_t arch = json_is_string(a) ? arch_of(json_string_value(a)) : 0;
    if (arch && arch != seccomp_arch_native()) {
      int r = seccomp_arch_add(ctx, arch);
      if (r < 0 && r != -EEXIST)
        dy_die("seccomp: add architecture %s: %s", json_string_value(a), strerror(-r));
    }
  }
  json_t *rule;
  json_array_foreach(json_object_get(sc, "syscalls"), i, rule)
  {
    uint32_t act = action_of(spec_str(rule, "action", NULL), json_object_get(rule, "errnoRet"), default_errno);
    if (act == def)
      continue;
    struct scmp_arg_cmp cmps[6];
    unsigned ncmp = 0;
    size_t k;
    json_t *arg;
    json_array_foreach(json_object_get(rule, "args"), k, arg)
    {
      if (ncmp >= 6)
        dy_die("seccomp: too many args");
      cmps[ncmp].arg = (unsigned) json_integer_value(json_object_get(arg, "index"));
      cmps[ncmp].op = op_of(spec_str(arg, "op", NULL));
      cmps[ncmp].datum_a = (scmp_datum_t) json_integer_value(json_object_get(arg, "value"));
      cmps[ncmp].datum_b = (scmp_datum_t) json_integer_value(json_object_get(arg, "valueTwo"));
      ncmp++;
    }
    json_t *name;
    size_t n;
    json_array_foreach(json_object_get(rule, "names"), n, name)
    {
      int nr = seccomp_syscall_resolve_name(json_string_value(name));
      if (nr == __NR_SCMP_ERROR)
        continue; /* unknown on this kernel/arch: skipped, like runc */
      int r = seccomp_rule_add_array(ctx, act, nr, ncmp, cmps);
      if (r < 0)
        dy_die("seccomp: rule for %s: %s", json_string_value(name), strerror(-r));
    }
  }
  int r = seccomp_load(ctx);
  if (r < 0)
    dy_die("seccomp_load: %s", strerror(-r));
  seccomp_release(ctx);
}
