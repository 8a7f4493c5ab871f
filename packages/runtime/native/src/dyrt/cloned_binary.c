/* CVE-2019-5736: run from a sealed in-memory copy of our own binary, so a
 * container process can never open /proc/<pid>/exe for writing and replace
 * the runtime on the host. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dyrt.h"

#define CLONED_ENV "_DYRT_CLONED"

extern char **environ;

static bool running_from_sealed_memfd(void)
{
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  int seals = fcntl(fd, F_GET_SEALS);
  close(fd);
  return seals >= 0 && (seals & (F_SEAL_SEAL | F_SEAL_WRITE)) == (F_SEAL_SEAL | F_SEAL_WRITE);
}

void ensure_cloned_binary(char **argv)
{
  /* Already a sealed copy: our own re-exec (marked), or one the engine keeps for all its creates and execs. */
  bool sealed = running_from_sealed_memfd();
  if (getenv(CLONED_ENV)) {
    unsetenv(CLONED_ENV);
    if (!sealed)
      dy_die("re-exec from a sealed copy of dyrt did not take");
  }
  if (sealed)
    return;
  int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (src < 0)
    dy_die_errno("open /proc/self/exe");
  struct stat st;
  if (fstat(src, &st) < 0)
    dy_die_errno("stat /proc/self/exe");
  int mfd = memfd_create("dyrt", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    dy_die_errno("memfd_create");
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mfd, src, &off, (size_t) (st.st_size - off));
    if (n <= 0)
      dy_die_errno("copy binary to memfd");
  }
  close(src);
  if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
    dy_die_errno("seal memfd");
  setenv(CLONED_ENV, "1", 1);
  fexecve(mfd, argv, environ);
  dy_die_errno("re-exec from memfd");
}
