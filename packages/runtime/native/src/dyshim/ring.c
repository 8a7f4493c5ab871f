/* Scrollback ring: the last SCROLLBACK_BYTES of output for late attachers.
 * Bytes live in one circular array; a small circular list of segments
 * remembers which stream each run of bytes came from (adjacent output of the
 * same stream is merged, so a TTY uses one segment). */
#define _GNU_SOURCE
#include <string.h>

#include "dyshim.h"

#define RING_CAP SCROLLBACK_BYTES
#define SEG_MAX 1024
#define REPLAY_PIECE (64 * 1024)

struct segment {
  uint8_t type;
  uint32_t len;
};

static char ring_data[RING_CAP];
static size_t ring_head; /* index of the oldest byte */
static size_t ring_used;
static struct segment segs[SEG_MAX];
static size_t seg_first;
static size_t seg_count;

static void drop_oldest(size_t n)
{
  while (n > 0 && seg_count > 0) {
    struct segment *s = &segs[seg_first];
    size_t take = s->len < n ? s->len : n;
    s->len -= (uint32_t) take;
    ring_head = (ring_head + take) % RING_CAP;
    ring_used -= take;
    n -= take;
    if (s->len == 0) {
      seg_first = (seg_first + 1) % SEG_MAX;
      seg_count--;
    }
  }
}

void ring_push(uint8_t type, const char *p, size_t n)
{
  if (n == 0)
    return;
  if (n > RING_CAP) {
    p += n - RING_CAP;
    n = RING_CAP;
  }
  if (ring_used + n > RING_CAP)
    drop_oldest(ring_used + n - RING_CAP);

  struct segment *last = seg_count ? &segs[(seg_first + seg_count - 1) % SEG_MAX] : NULL;
  if (last && last->type == type) {
    last->len += (uint32_t) n;
  } else {
    if (seg_count == SEG_MAX)
      drop_oldest(segs[seg_first].len);
    segs[(seg_first + seg_count) % SEG_MAX] = (struct segment) {.type = type, .len = (uint32_t) n};
    seg_count++;
  }

  size_t tail = (ring_head + ring_used) % RING_CAP;
  size_t first = RING_CAP - tail < n ? RING_CAP - tail : n;
  memcpy(ring_data + tail, p, first);
  memcpy(ring_data, p + first, n - first);
  ring_used += n;
}

int ring_foreach(int (*emit)(uint8_t type, const char *p, size_t n, void *ctx), void *ctx)
{
  size_t pos = ring_head;
  for (size_t i = 0; i < seg_count; i++) {
    const struct segment *s = &segs[(seg_first + i) % SEG_MAX];
    size_t left = s->len;
    while (left > 0) {
      size_t piece = left < REPLAY_PIECE ? left : REPLAY_PIECE;
      if (piece > RING_CAP - pos)
        piece = RING_CAP - pos;
      if (emit(s->type, ring_data + pos, piece, ctx) < 0)
        return -1;
      pos = (pos + piece) % RING_CAP;
      left -= piece;
    }
  }
  return 0;
}
