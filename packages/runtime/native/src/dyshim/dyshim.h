/* dyshim: one small process per container process (like conmon). */
#ifndef DYSHIM_H
#define DYSHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SHIM_NORETURN __attribute__((noreturn))
#define SHIM_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Attach protocol frame types (see README.md). */
enum frame_type {
  FRAME_STDIN = 0x00,
  FRAME_STDOUT = 0x01,
  FRAME_STDERR = 0x02,
  FRAME_EXIT = 0x03,
  FRAME_REPLAY_END = 0x04,
  FRAME_HELLO = 0x10,
  FRAME_RESIZE = 0x11,
  FRAME_CLOSE_STDIN = 0x12,
  FRAME_SIGNAL = 0x13,
};
#define FRAME_HEADER_SIZE 5
#define HELLO_REPLAY 0x01
#define HELLO_STDIN 0x02

#define SCROLLBACK_BYTES (256 * 1024)
#define CLIENT_OUT_CAP (1024 * 1024)
/* A client frame larger than this is a protocol error. */
#define CLIENT_FRAME_MAX (1024 * 1024)
#define STDIN_PAUSE_BYTES (256 * 1024)
#define MAX_CLIENTS 128

struct shim_options {
  const char *id;
  const char *bundle;
  const char *state_dir;
  const char *runtime;
  const char *runtime_root;
  bool tty;
  bool open_stdin;
  const char *log_path;
  long long log_max_size;
  int log_max_files;
  bool exec;
  const char *process_file;
  const char *exec_id;
  const char *exit_command;
  const char *exit_notify; /* unix socket of an engine that cleans up itself; the exit command is the fallback */
  char **exit_command_args;
  int exit_command_nargs;
};

/* A growable byte queue: valid bytes are data[off .. off+len). */
struct bytebuf {
  char *data;
  size_t off;
  size_t len;
  size_t cap;
};
int bytebuf_append(struct bytebuf *b, const void *p, size_t n);
void bytebuf_consume(struct bytebuf *b, size_t n);
void bytebuf_free(struct bytebuf *b);
static inline char *bytebuf_head(struct bytebuf *b) { return b->data + b->off; }

/* Frame header helpers. */
void frame_header(char out[FRAME_HEADER_SIZE], uint8_t type, uint32_t len);

/* Scrollback ring (last SCROLLBACK_BYTES of output, stream-tagged). */
void ring_push(uint8_t type, const char *p, size_t n);
/* Calls emit(type, ptr, len, ctx) for the ring's contents, oldest first. */
int ring_foreach(int (*emit)(uint8_t type, const char *p, size_t n, void *ctx), void *ctx);

/* json-file logs. */
int log_open(const char *path, long long max_size, int max_files);
void log_chunk(int stream, const char *p, size_t n);
void log_flush_pending(void);
void log_close(void);
/* Start-up failed: close, and remove the file if this shim created it. */
void log_abandon(void);

/* JSON string body escaping with invalid UTF-8 replaced by U+FFFD.
 * Writes through sink(p, n, ctx). Returns the number of trailing input bytes
 * that form an incomplete (but so far valid) UTF-8 sequence and were not
 * written, when hold_incomplete is set. */
size_t json_escape_utf8(const unsigned char *p, size_t n, bool hold_incomplete,
                        void (*sink)(const char *p, size_t n, void *ctx), void *ctx);

/* OOM detection through the process's memory cgroup. */
void oom_watch(pid_t pid);
bool oom_killed(void);

/* RFC 3339 time with nanoseconds, UTC, trailing zeros trimmed like Go. */
void format_rfc3339nano(char *out, size_t outlen);

/* Small utilities. */
void shim_log(const char *fmt, ...) SHIM_PRINTF(1, 2);
int write_all(int fd, const void *p, size_t n);
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);
void reset_child_signals(void);

/* Starting the container process through the OCI runtime. */
struct runtime_result {
  pid_t pid;
  int stdin_fd;      /* write end of the container's stdin, or -1 */
  int out_fds[2];    /* read ends of stdout/stderr (TTY: master, -1) */
  int master_fd;     /* PTY master (TTY only) or -1 */
};
/* On failure fills err (a message for the caller) and returns -1; nothing
 * is left running. */
int runtime_start(const struct shim_options *o, struct runtime_result *r, char *err, size_t errlen);
/* Best-effort removal of a container created by runtime_start. */
void runtime_abort(const struct shim_options *o, pid_t pid);

/* Event loop; never returns. */
SHIM_NORETURN void shim_serve(const struct shim_options *o, struct runtime_result *r, int listen_fd,
                              int signal_fd);

#endif
