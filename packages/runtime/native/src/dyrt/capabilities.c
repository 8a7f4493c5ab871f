/* Capabilities: bounding set (prctl), effective/permitted/inheritable (capset), ambient. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dyrt.h"

static const char *const cap_names[] = {
  "CHOWN",           "DAC_OVERRIDE",     "DAC_READ_SEARCH", "FOWNER",          "FSETID",         "KILL",
  "SETGID",          "SETUID",           "SETPCAP",         "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
  "NET_BROADCAST",   "NET_ADMIN",        "NET_RAW",         "IPC_LOCK",        "IPC_OWNER",      "SYS_MODULE",
  "SYS_RAWIO",       "SYS_CHROOT",       "SYS_PTRACE",      "SYS_PACCT",       "SYS_ADMIN",      "SYS_BOOT",
  "SYS_NICE",        "SYS_RESOURCE",     "SYS_TIME",        "SYS_TTY_CONFIG",  "MKNOD",          "LEASE",
  "AUDIT_WRITE",     "AUDIT_CONTROL",    "SETFCAP",         "MAC_OVERRIDE",    "MAC_ADMIN",      "SYSLOG",
  "WAKE_ALARM",      "BLOCK_SUSPEND",    "AUDIT_READ",      "PERFMON",         "BPF",            "CHECKPOINT_RESTORE",
};

int cap_from_name(const char *name)
{
  if (strncasecmp(name, "CAP_", 4) == 0)
    name += 4;
  for (size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++)
    if (strcasecmp(cap_names[i], name) == 0)
      return (int) i;
  return -1;
}

static int last_cap(void)
{
  static int cached = -1;
  if (cached >= 0)
    return cached;
  char *s = dy_read_file("/proc/sys/kernel/cap_last_cap", NULL);
  cached = s ? atoi(s) : CAP_LAST_CAP;
  free(s);
  return cached;
}

/* Set bits of the named capabilities into a 64-bit mask; unknown names are an error. */
static unsigned long long cap_mask(json_t *list)
{
  unsigned long long mask = 0;
  size_t i;
  json_t *n;
  json_array_foreach(list, i, n)
  {
    const char *s = json_string_value(n);
    int c = s ? cap_from_name(s) : -1;
    if (c < 0)
      dy_die("unknown capability %s", s ? s : "(non-string)");
    if (c > last_cap())
      continue; /* not supported by this kernel */
    mask |= 1ULL << c;
  }
  return mask;
}

void caps_drop_bounding(json_t *caps)
{
  if (!caps)
    return;
  unsigned long long keep = cap_mask(json_object_get(caps, "bounding"));
  for (int c = 0; c <= last_cap(); c++) {
    if (keep & (1ULL << c))
      continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      dy_die_errno("drop capability %d from bounding set", c);
  }
}

void caps_apply(json_t *caps)
{
  unsigned long long eff = 0, perm = 0, inh = 0, amb = 0;
  if (caps) {
    eff = cap_mask(json_object_get(caps, "effective"));
    perm = cap_mask(json_object_get(caps, "permitted"));
    inh = cap_mask(json_object_get(caps, "inheritable"));
    amb = cap_mask(json_object_get(caps, "ambient"));
  }
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2] = {
    { .effective = (__u32) eff, .permitted = (__u32) perm, .inheritable = (__u32) inh },
    { .effective = (__u32) (eff >> 32), .permitted = (__u32) (perm >> 32), .inheritable = (__u32) (inh >> 32) },
  };
  if (syscall(SYS_capset, &hdr, data) < 0)
    dy_die_errno("capset");
  for (int c = 0; c <= last_cap(); c++)
    /* Raising needs the cap in permitted and inheritable; like runc, others are skipped. */
    if ((amb & perm & inh & (1ULL << c)))
      prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0);
}
