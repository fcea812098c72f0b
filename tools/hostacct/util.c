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

void ha_err(const char *fmt, ...)
{
	va_list ap;

	fputs("hostacct: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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
int ha_parse_seconds(const char *s, double *secs)
{
	double v, mul = 1;
	char *end;

	if (!s || !*s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return -EINVAL;
	if (!strcmp(end, "ms"))
		mul = 1e-3;
	else if (!strcmp(end, "m"))
		mul = 60;
	else if (*end && strcmp(end, "s"))
		return -EINVAL;
	v *= mul;
	if (!isfinite(v) || v < 1e-3 || v > 86400)
		return -EINVAL;
	*secs = v;
	return 0;
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
	int mount_id;
	size_t rl = strlen(root);

	if (!strncmp(path, root, rl) && (path[rl] == '/' || !path[rl]))
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", root,
			 path[0] == '/' ? path + 1 : path);

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
