// SPDX-License-Identifier: GPL-2.0
/*
 * Small helpers: strict number and duration parsing, human units, cgroup
 * path to id, error printing.
 */

#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <mntent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostacct.h"

struct ha_opts ha_opts = {
	.format = HA_FMT_TABLE,
};

/* Options every subcommand accepts; return 1 if @c was one of them. */
int ha_common_opt(int c)
{
	switch (c) {
	case 'j':
		ha_opts.format = HA_FMT_JSON;
		return 1;
	case 'p':
		ha_opts.format = HA_FMT_JSON;
		ha_opts.pretty = true;
		return 1;
	case HA_OPT_DEBUG:
		ha_opts.debug = true;
		return 1;
	case HA_OPT_CSV:
		ha_opts.format = HA_FMT_CSV;
		return 1;
	}
	return 0;
}

/*
 * --section of a command whose output has the sections @names (NULL
 * ended): it must name one of them, and CSV, one table per invocation,
 * needs it. Return 0, or 2 (bad usage) after saying why.
 */
int ha_section_check(const char *cmd, const char *const *names)
{
	char list[256] = "";
	size_t i, len = 0;

	for (i = 0; names[i]; i++) {
		if (ha_opts.section && !strcmp(ha_opts.section, names[i]))
			return 0;
		len += snprintf(list + len, sizeof(list) - len, "%s%s",
				i ? ", " : "", names[i]);
		if (len >= sizeof(list))
			len = sizeof(list) - 1;
	}
	if (ha_opts.section) {
		ha_err("%s: no section '%s' (sections: %s)", cmd, ha_opts.section,
		       list);
		return 2;
	}
	if (ha_opts.format == HA_FMT_CSV && i > 1) {
		ha_err("%s: --csv prints one table; choose it with --section NAME (%s)",
		       cmd, list);
		return 2;
	}
	return 0;
}

/*
 * Parse the arguments of a command that takes only the common options.
 * Return: -1 to go on, otherwise the exit status (help shown: 0, bad
 * usage: 2).
 */
int ha_common_args(int argc, char **argv, void (*usage)(FILE *f))
{
	static const struct option longopts[] = {
		HA_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, HA_COMMON_SHORTOPTS, longopts,
				NULL)) != -1) {
		if (ha_common_opt(c))
			continue;
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return 2;
	}
	if (optind < argc) {
		ha_err("%s: unexpected argument '%s'", argv[0], argv[optind]);
		return 2;
	}
	return -1;
}

/* Messages held while a full-screen view owns the terminal (top). */
static char *held;
static size_t held_len;
static FILE *held_f;

void ha_err_hold(bool hold)
{
	if (hold && !held_f) {
		held_f = open_memstream(&held, &held_len);
		return;
	}
	if (!hold && held_f) {
		fclose(held_f);
		held_f = NULL;
		fwrite(held, 1, held_len, stderr);
		free(held);
		held = NULL;
	}
}

/* Forget the messages held (a retry loop tells a failure once). */
void ha_err_drop(void)
{
	if (held_f) {
		fclose(held_f);
		held_f = NULL;
		free(held);
		held = NULL;
	}
}

void ha_err(const char *fmt, ...)
{
	FILE *f = held_f ? held_f : stderr;
	va_list ap;

	fputs("hostacct: ", f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

/* Decimal only, whole string, no sign, no overflow. */
int ha_parse_u64(const char *s, uint64_t *val)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*val = v;
	return 0;
}

int ha_parse_u32(const char *s, uint32_t *val)
{
	uint64_t v;

	if (ha_parse_u64(s, &v) || v > UINT32_MAX)
		return -EINVAL;
	*val = v;
	return 0;
}

/*
 * A duration: a positive number with an optional unit suffix, "ms", "s",
 * "m" (minutes). "2", "0.5", "500ms", "1m". Between 1 ms and 1 day.
 */
/*
 * A duration: a number with an optional unit ms, s, m, h, d or w (no
 * unit: seconds), between 1 ms and @max seconds.
 */
static int ha_parse_dur(const char *s, double *secs, double max)
{
	static const struct { const char *unit; double mul; } units[] = {
		{ "", 1 }, { "s", 1 }, { "ms", 1e-3 }, { "m", 60 }, { "h", 3600 },
		{ "d", 86400 }, { "w", 7 * 86400 },
	};
	double v, mul = 0;
	char *end;
	size_t i;

	if (!s || !*s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit))
			mul = units[i].mul;
	if (!mul)
		return -EINVAL;
	v *= mul;
	if (!isfinite(v) || v < 1e-3 || v > max)
		return -EINVAL;
	*secs = v;
	return 0;
}

/* An interval: up to a day. */
int ha_parse_seconds(const char *s, double *secs)
{
	return ha_parse_dur(s, secs, 86400);
}

/* A span of history: up to ten years. */
int ha_parse_duration(const char *s, double *secs)
{
	return ha_parse_dur(s, secs, 3650 * 86400.0);
}

/* 1023B, 1.0K, 12K, 1.5M, 3.2G ... (binary units) */
char *ha_fmt_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	double v = bytes;
	int i = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%lluB", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	if (v < 9.95)
		snprintf(buf, len, "%.1f%c", v, units[i]);
	else
		snprintf(buf, len, "%.0f%c", v, units[i]);
	return buf;
}

/* A duration for people: 850us, 12.3ms, 1.85s, 95s */
char *ha_fmt_dur(char *buf, size_t len, double secs)
{
	if (secs < 1e-3)
		snprintf(buf, len, "%.0fus", secs * 1e6);
	else if (secs < 1)
		snprintf(buf, len, "%.1fms", secs * 1e3);
	else if (secs < 100)
		snprintf(buf, len, "%.2fs", secs);
	else
		snprintf(buf, len, "%.0fs", secs);
	return buf;
}

char *ha_fmt_seconds(char *buf, size_t len, uint64_t ns)
{
	snprintf(buf, len, "%.2f", ns / 1e9);
	return buf;
}

/* Where cgroup v2 is mounted (first cgroup2 mount), default /sys/fs/cgroup. */
const char *ha_cgroup_root(void)
{
	static char root[PATH_MAX];
	struct mntent *m;
	FILE *f;

	if (ha_opts.cgroup_root)
		return ha_opts.cgroup_root;
	if (root[0])
		return root;
	snprintf(root, sizeof(root), "/sys/fs/cgroup");
	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return root;
	while ((m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(root, sizeof(root), "%s", m->mnt_dir);
			break;
		}
	}
	endmntent(f);
	return root;
}

/*
 * The cgroup id of @path: a path below the cgroup v2 root ("/a/b" or
 * "a/b") or a full path under the mount point. The id is the kernfs node
 * id that name_to_handle_at() returns for cgroup2 directories.
 */
int ha_cgroup_id(const char *root, const char *path, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	char full[PATH_MAX];
	struct stat st;
	int mount_id, n;
	size_t rl = strlen(root);

	if (!strncmp(path, root, rl) && (path[rl] == '/' || !path[rl]))
		n = snprintf(full, sizeof(full), "%s", path);
	else
		n = snprintf(full, sizeof(full), "%s/%s", root,
			     path[0] == '/' ? path + 1 : path);
	if (n < 0 || (size_t)n >= sizeof(full))
		return -ENAMETOOLONG;

	if (stat(full, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;

	h.fh.handle_bytes = sizeof(h.id);
	if (name_to_handle_at(AT_FDCWD, full, &h.fh, &mount_id, 0)) {
		/* 64-bit kernels: the inode number is the id. */
		*id = st.st_ino;
		return 0;
	}
	memcpy(id, h.fh.f_handle, sizeof(*id));
	return 0;
}

/*
 * The length of the well-formed UTF-8 sequence at @str (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), its code point
 * in @cp; 0 if @str starts with a byte that begins no such sequence (or
 * with the terminating NUL).
 */
size_t ha_utf8_seq(const char *str, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return s[0] ? 1 : 0;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* NUL included */
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	*cp = c;
	return n;
}

/*
 * A string that a workload chose (a process name, a cgroup name), made
 * safe for an output. Every byte that is not part of well-formed UTF-8
 * becomes U+FFFD (machine formats: JSON, CSV and Prometheus need valid
 * UTF-8) or '?' (@terminal); with @terminal, control characters (C0,
 * DEL, C1), which could move the cursor or change the terminal's state,
 * become '?' too, as ps(1) shows them. Returns a string to free().
 */
/* Printable ASCII only: safe everywhere as it is (the common case). */
bool ha_str_plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

char *ha_clean_str(const char *src, bool terminal)
{
	size_t len = strlen(src), i = 0, n;
	char *dst = malloc(3 * len + 1), *d = dst;
	uint32_t cp;

	if (!dst) {
		ha_err("out of memory");
		exit(1);
	}
	while (i < len) {
		n = ha_utf8_seq(src + i, &cp);
		if (!n) {
			if (terminal) {
				*d++ = '?';
			} else {
				memcpy(d, "\xef\xbf\xbd", 3);	/* U+FFFD */
				d += 3;
			}
			i++;
			continue;
		}
		if (terminal && (cp < 0x20 || cp == 0x7f ||
				 (cp >= 0x80 && cp <= 0x9f)))
			*d++ = '?';
		else
			d = mempcpy(d, src + i, n);
		i += n;
	}
	*d = 0;
	return dst;
}

/* ---- string arena ---- */

#define HA_ARENA_CHUNK	(64 * 1024)

struct ha_arena_chunk {
	struct ha_arena_chunk *next;
	size_t size;
	char data[];
};

/* A copy of @str that lives until ha_arena_free(@a); NULL if out of memory. */
const char *ha_arena_str(struct ha_arena *a, const char *str)
{
	size_t len = strlen(str) + 1;
	char *dst;

	if (!a->head || a->head->size - a->used < len) {
		size_t size = len > HA_ARENA_CHUNK ? len : HA_ARENA_CHUNK;
		struct ha_arena_chunk *c = malloc(sizeof(*c) + size);

		if (!c)
			return NULL;
		c->next = a->head;
		c->size = size;
		a->head = c;
		a->used = 0;
	}
	dst = a->head->data + a->used;
	memcpy(dst, str, len);
	a->used += len;
	return dst;
}

void ha_arena_free(struct ha_arena *a)
{
	while (a->head) {
		struct ha_arena_chunk *next = a->head->next;

		free(a->head);
		a->head = next;
	}
	a->used = 0;
}
