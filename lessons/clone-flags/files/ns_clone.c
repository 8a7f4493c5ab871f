#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)

struct child_args {
    char *hostname;
    char **argv;
};

/* Runs in the child, already inside the new namespaces. */
static int child_main(void *arg)
{
    struct child_args *a = arg;

    if (sethostname(a->hostname, strlen(a->hostname)) == -1) {
        perror("sethostname");
        return 1;
    }
    /* Stop our mounts from propagating back, then mount a /proc for the new PID namespace. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1) {
        perror("mount --make-rprivate /");
        return 1;
    }
    if (mount("proc", "/proc", "proc", 0, NULL) == -1) {
        perror("mount /proc");
        return 1;
    }
    printf("child:  getpid() = %d, hostname = %s\n", getpid(), a->hostname);
    fflush(stdout);
    execvp(a->argv[0], a->argv);
    perror("execvp");
    return 127;
}

int main(int argc, char *argv[])
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s HOSTNAME COMMAND [ARG...]\n", argv[0]);
        return 2;
    }
    struct child_args args = { argv[1], &argv[2] };

    char *stack = malloc(STACK_SIZE);
    if (stack == NULL) {
        perror("malloc");
        return 1;
    }

    int flags = CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS;

    /* The stack grows down on x86 and arm64: pass its top. SIGCHLD lets us waitpid() for it. */
    pid_t pid = clone(child_main, stack + STACK_SIZE, flags | SIGCHLD, &args);
    if (pid == -1) {
        perror("clone");
        return 1;
    }
    printf("parent: clone() returned %d\n", pid);
    fflush(stdout);

    int status;
    if (waitpid(pid, &status, 0) == -1) {
        perror("waitpid");
        return 1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
