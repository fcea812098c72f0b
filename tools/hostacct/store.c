// SPDX-License-Identifier: GPL-2.0
/*
 * The history store: SQLite in WAL mode, one transaction per sample, so
 * that a recorder killed at any moment loses at most the sample it was
 * writing, and readers (report --since, rightsize, export) never block it.
 *
 * Schema (user_version 2, application_id 'hact'; a version 1 file is
 * brought up to 2 by the recorder, and read as it is):
 *   boot(id, boot_id)                        one row per host boot
 *   sample(id, boot, boot_ns, wall_ns, secs, tier, host columns)
 *       boot_ns: CLOCK_BOOTTIME, the key (wall clocks jump); wall_ns beside
 *       secs: the interval the sample's usage covers (0: the first sample
 *       of a recording or after a gap: no usage)
 *       tier: 0 raw, 1 downsampled (secs is then the bucket's covered time)
 *       cpu_*: CPU time of each class/state in the interval, ns
 *   workload(id, boot, class, wid, start_ns, name, cgroup, reservation now,
 *            last_wall)          identity, stored once
 *   reservation(workload, since, vcpus, guest_mem, cpu_limit_m, mem_limit)
 *       one row per change, since = boot_ns of the first sample with it
 *   usage(sample, workload, cpu, busy, throttled, mem, secs, peaks)
 *       cpu/busy: ns in the interval (NULL: no rate); mem: bytes;
 *       secs: NULL when the sample's (downsampled rows covering less of
 *       the bucket carry their own); *_peak: NULL in raw rows, the highest
 *       raw value in downsampled ones
 *   gap(boot, boot_ns, wall_ns, reason)      when and why samples are missing
 *   life(sample, class, kind, gt, le, count)  the module's start-up (kind 0)
 *       and shut-down (1) histograms: how many more durations each bucket
 *       (gt, le] holds than at the previous sample
 *
 * Downsampling merges the raw samples of one boot in one ds_step bucket
 * into the bucket's last sample: CPU times and histogram counts add up,
 * memory is averaged, peaks keep the highest raw value; one bucket per
 * transaction.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sqlite3.h>

#include "hostacct.h"
#include "store.h"

#define HA_APPLICATION_ID	0x68616374	/* "hact" */

static const char schema[] =
	"CREATE TABLE boot(id INTEGER PRIMARY KEY, boot_id TEXT NOT NULL UNIQUE);"
	"CREATE TABLE sample(id INTEGER PRIMARY KEY, boot INTEGER NOT NULL,"
	" boot_ns INTEGER NOT NULL, wall_ns INTEGER NOT NULL, secs REAL NOT NULL,"
	" tier INTEGER NOT NULL, nr_cpus INTEGER NOT NULL, mem_total INTEGER,"
	" mem_free INTEGER, cpu_kernel INTEGER, cpu_native INTEGER,"
	" cpu_kvm INTEGER, cpu_container INTEGER, cpu_idle INTEGER,"
	" cpu_irq INTEGER, cpu_steal INTEGER, mem_native INTEGER,"
	" mem_kvm INTEGER, mem_container INTEGER, UNIQUE(boot, boot_ns));"
	"CREATE INDEX sample_wall ON sample(wall_ns);"
	"CREATE INDEX sample_tier ON sample(tier, wall_ns);"
	"CREATE TABLE workload(id INTEGER PRIMARY KEY, boot INTEGER NOT NULL,"
	" class INTEGER NOT NULL, wid INTEGER NOT NULL, start_ns INTEGER NOT NULL,"
	" name TEXT NOT NULL, cgroup TEXT NOT NULL, vcpus INTEGER,"
	" guest_mem INTEGER, cpu_limit_m INTEGER, mem_limit INTEGER,"
	" last_wall INTEGER NOT NULL, UNIQUE(boot, class, wid, start_ns));"
	"CREATE INDEX workload_last ON workload(last_wall);"
	"CREATE TABLE reservation(workload INTEGER NOT NULL, since INTEGER NOT NULL,"
	" vcpus INTEGER, guest_mem INTEGER, cpu_limit_m INTEGER, mem_limit INTEGER,"
	" PRIMARY KEY(workload, since)) WITHOUT ROWID;"
	"CREATE TABLE usage(sample INTEGER NOT NULL, workload INTEGER NOT NULL,"
	" cpu INTEGER, busy INTEGER, throttled INTEGER, mem INTEGER, secs REAL,"
	" cpu_peak REAL, busy_peak REAL, mem_peak INTEGER,"
	" PRIMARY KEY(sample, workload)) WITHOUT ROWID;"
	"CREATE TABLE gap(boot INTEGER NOT NULL, boot_ns INTEGER NOT NULL,"
	" wall_ns INTEGER NOT NULL, reason TEXT NOT NULL);";

/* Version 2 added it; a version 1 file gets it from the recorder. */
static const char schema_life[] =
	"CREATE TABLE life(sample INTEGER NOT NULL, class INTEGER NOT NULL,"
	" kind INTEGER NOT NULL, gt INTEGER NOT NULL, le INTEGER NOT NULL,"
	" count INTEGER NOT NULL, PRIMARY KEY(sample, class, kind, le)) WITHOUT ROWID;";

const char *ha_store_errmsg(const struct ha_store *st)
{
	return st->db ? sqlite3_errmsg(st->db) : "out of memory";
}

bool ha_store_full(int err)
{
	return err == SQLITE_FULL || err == SQLITE_IOERR;
}

/* This boot's id (the kernel's random boot_id). */
int ha_boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = 0;
	return n ? 0 : -EINVAL;
}

static int exec(struct ha_store *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

static int prepare(struct ha_store *st, struct sqlite3_stmt **stmt,
		   const char *sql)
{
	return sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
				  stmt, NULL);
}

static int64_t one_int(struct ha_store *st, const char *sql, int64_t dflt)
{
	struct sqlite3_stmt *q;
	int64_t v = dflt;

	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
		return dflt;
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

/* Check (or, for a new file, create) the schema. */
static int store_schema(struct ha_store *st, int flags)
{
	int64_t app = one_int(st, "PRAGMA application_id", -1);
	int64_t ver = one_int(st, "PRAGMA user_version", -1);
	int64_t tables = one_int(st, "SELECT count(*) FROM sqlite_schema", -1);
	char sql[96];

	if (app < 0 || ver < 0 || tables < 0) {
		ha_err("%s: not a database, or damaged: %s", st->path,
		       sqlite3_errmsg(st->db));
		return -EINVAL;
	}
	if (tables == 0 && app == 0) {
		if (!(flags & HA_STORE_WRITE)) {
			ha_err("%s: no history recorded yet (run hostacct record)", st->path);
			return -ENOENT;
		}
		snprintf(sql, sizeof(sql), "PRAGMA application_id=%d;PRAGMA user_version=%d;",
			 HA_APPLICATION_ID, HA_STORE_SCHEMA);
		if (exec(st, "BEGIN IMMEDIATE") || exec(st, schema) ||
		    exec(st, schema_life) || exec(st, sql) || exec(st, "COMMIT")) {
			ha_err("%s: cannot create the history tables: %s", st->path,
			       sqlite3_errmsg(st->db));
			return -EIO;
		}
		return 0;
	}
	if (app != HA_APPLICATION_ID) {
		ha_err("%s: not a hostacct history database", st->path);
		return -EINVAL;
	}
	if (ver == 1 && (flags & HA_STORE_WRITE)) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%d;", HA_STORE_SCHEMA);
		if (exec(st, "BEGIN IMMEDIATE") || exec(st, schema_life) ||
		    exec(st, sql) || exec(st, "COMMIT")) {
			ha_err("%s: cannot add the start-up table: %s", st->path,
			       sqlite3_errmsg(st->db));
			exec(st, "ROLLBACK");
			return -EIO;
		}
		ver = HA_STORE_SCHEMA;
	}
	if (ver != HA_STORE_SCHEMA && ver != 1) {
		ha_err("%s: history schema %lld, this tool reads 1 and %d", st->path,
		       (long long)ver, HA_STORE_SCHEMA);
		return -EINVAL;
	}
	st->has_life = ver >= 2;
	return 0;
}

static int store_boot(struct ha_store *st)
{
	struct sqlite3_stmt *q;
	int rc;

	if (ha_boot_id(st->boot_id, sizeof(st->boot_id)))
		snprintf(st->boot_id, sizeof(st->boot_id), "unknown");
	if (sqlite3_prepare_v2(st->db, "INSERT INTO boot(boot_id) VALUES(?1)"
			       " ON CONFLICT(boot_id) DO UPDATE SET boot_id=boot_id"
			       " RETURNING id", -1, &q, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(q, 1, st->boot_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		st->boot = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

static int store_prepare(struct ha_store *st)
{
	if (prepare(st, &st->put_sample,
		    "INSERT INTO sample(boot, boot_ns, wall_ns, secs, tier, nr_cpus,"
		    " mem_total, mem_free, cpu_kernel, cpu_native, cpu_kvm,"
		    " cpu_container, cpu_idle, cpu_irq, cpu_steal, mem_native,"
		    " mem_kvm, mem_container) VALUES(?1, ?2, ?3, ?4, 0, ?5, ?6, ?7,"
		    " ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)") ||
	    prepare(st, &st->put_usage,
		    "INSERT INTO usage(sample, workload, cpu, busy, throttled, mem)"
		    " VALUES(?1, ?2, ?3, ?4, ?5, ?6)") ||
	    prepare(st, &st->find_wl,
		    "SELECT id, vcpus, guest_mem, cpu_limit_m, mem_limit, last_wall"
		    " FROM workload WHERE boot=?1 AND class=?2 AND wid=?3 AND start_ns=?4") ||
	    prepare(st, &st->put_wl,
		    "INSERT INTO workload(boot, class, wid, start_ns, name, cgroup,"
		    " last_wall) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)") ||
	    prepare(st, &st->last_res,
		    "UPDATE workload SET vcpus=?2, guest_mem=?3, cpu_limit_m=?4,"
		    " mem_limit=?5, last_wall=?6 WHERE id=?1") ||
	    prepare(st, &st->put_res,
		    "INSERT OR REPLACE INTO reservation(workload, since, vcpus,"
		    " guest_mem, cpu_limit_m, mem_limit) VALUES(?1, ?2, ?3, ?4, ?5, ?6)") ||
	    prepare(st, &st->put_life,
		    "INSERT INTO life(sample, class, kind, gt, le, count)"
		    " VALUES(?1, ?2, ?3, ?4, ?5, ?6)"))
		return -EIO;
	return 0;
}

/*
 * Open @path. HA_STORE_WRITE creates it (and its directory's file) and
 * prepares the recorder's statements; HA_STORE_LOCK takes an exclusive
 * flock on the file so that a second recorder is refused (readers take
 * none: WAL lets them read while the recorder writes).
 */
int ha_store_open(struct ha_store *st, const char *path, int flags)
{
	int oflags = flags & HA_STORE_WRITE ?
		     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READWRITE;
	int ret = -EIO;

	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	st->path = strdup(path);
	if (!st->path)
		return -ENOMEM;
	if (!(flags & HA_STORE_WRITE) && access(path, F_OK)) {
		ha_err("%s: %s (record a history first: hostacct record --db %s)",
		       path, strerror(errno), path);
		ret = -ENOENT;
		goto err;
	}
	if (flags & HA_STORE_LOCK) {
		st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
		if (st->lock_fd < 0) {
			ret = -errno;
			ha_err("%s: %s", path, strerror(errno));
			goto err;
		}
		if (flock(st->lock_fd, LOCK_EX | LOCK_NB)) {
			ret = -errno;
			if (errno == EWOULDBLOCK)
				ha_err("%s: another hostacct record is writing this database; one recorder per file",
				       path);
			else
				ha_err("%s: cannot lock: %s", path, strerror(errno));
			goto err;
		}
	}
	if (sqlite3_open_v2(path, &st->db, oflags, NULL) != SQLITE_OK) {
		ha_err("%s: cannot open: %s", path, ha_store_errmsg(st));
		goto err;
	}
	sqlite3_busy_timeout(st->db, 5000);
	sqlite3_extended_result_codes(st->db, 0);
	ret = store_schema(st, flags);
	if (ret)
		goto err;
	if (flags & HA_STORE_WRITE) {
		/* committed samples survive a killed process (not a power cut) */
		if (exec(st, "PRAGMA journal_mode=WAL") ||
		    exec(st, flags & HA_STORE_FAST ? "PRAGMA synchronous=OFF" :
			 "PRAGMA synchronous=NORMAL") ||
		    store_boot(st) || store_prepare(st)) {
			ha_err("%s: %s", path, ha_store_errmsg(st));
			ret = -EIO;
			goto err;
		}
	}
	return 0;
err:
	ha_store_close(st);
	return ret;
}

void ha_store_close(struct ha_store *st)
{
	sqlite3_finalize(st->put_sample);
	sqlite3_finalize(st->put_usage);
	sqlite3_finalize(st->find_wl);
	sqlite3_finalize(st->put_wl);
	sqlite3_finalize(st->last_res);
	sqlite3_finalize(st->put_res);
	sqlite3_finalize(st->put_life);
	if (st->db)
		sqlite3_close(st->db);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st->path);
	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
}

static void bind_opt_u64(struct sqlite3_stmt *q, int i, uint64_t v)
{
	if (v)
		sqlite3_bind_int64(q, i, (int64_t)v);
	else
		sqlite3_bind_null(q, i);
}

static int step_done(struct sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static bool col_eq(struct sqlite3_stmt *q, int i, uint64_t v)
{
	if (sqlite3_column_type(q, i) == SQLITE_NULL)
		return v == 0;
	return (uint64_t)sqlite3_column_int64(q, i) == v;
}

/* The workload's row, created or with its reservation brought up to date. */
static int store_workload(struct ha_store *st, const struct ha_rec_sample *s,
			  const struct ha_rec_wl *w, int64_t *id)
{
	struct sqlite3_stmt *q = st->find_wl;
	bool found, same = false, stale = true;
	int rc;

	sqlite3_bind_int64(q, 1, st->boot);
	sqlite3_bind_int(q, 2, w->class);
	sqlite3_bind_int64(q, 3, (int64_t)w->id);
	sqlite3_bind_int64(q, 4, (int64_t)w->start_ns);
	rc = sqlite3_step(q);
	found = rc == SQLITE_ROW;
	if (found) {
		*id = sqlite3_column_int64(q, 0);
		same = col_eq(q, 1, w->vcpus) && col_eq(q, 2, w->guest_mem) &&
		       col_eq(q, 3, w->cpu_limit_m) && col_eq(q, 4, w->mem_limit);
		/* last_wall is refreshed hourly: retention's workload test */
		stale = (uint64_t)sqlite3_column_int64(q, 5) + 3600000000000ULL <
			s->wall_ns;
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rc;
	if (!found) {
		q = st->put_wl;
		sqlite3_bind_int64(q, 1, st->boot);
		sqlite3_bind_int(q, 2, w->class);
		sqlite3_bind_int64(q, 3, (int64_t)w->id);
		sqlite3_bind_int64(q, 4, (int64_t)w->start_ns);
		sqlite3_bind_text(q, 5, w->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 6, w->cgroup ? w->cgroup : "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 7, (int64_t)s->wall_ns);
		rc = step_done(q);
		if (rc)
			return rc;
		*id = sqlite3_last_insert_rowid(st->db);
	}
	if (same && !stale)
		return SQLITE_OK;
	q = st->last_res;
	sqlite3_bind_int64(q, 1, *id);
	bind_opt_u64(q, 2, w->vcpus);
	bind_opt_u64(q, 3, w->guest_mem);
	bind_opt_u64(q, 4, w->cpu_limit_m);
	bind_opt_u64(q, 5, w->mem_limit);
	sqlite3_bind_int64(q, 6, (int64_t)s->wall_ns);
	rc = step_done(q);
	if (rc || same)
		return rc;
	q = st->put_res;
	sqlite3_bind_int64(q, 1, *id);
	sqlite3_bind_int64(q, 2, (int64_t)s->boot_ns);
	bind_opt_u64(q, 3, w->vcpus);
	bind_opt_u64(q, 4, w->guest_mem);
	bind_opt_u64(q, 5, w->cpu_limit_m);
	bind_opt_u64(q, 6, w->mem_limit);
	return step_done(q);
}

static int store_put_locked(struct ha_store *st, const struct ha_rec_sample *s)
{
	struct sqlite3_stmt *q = st->put_sample;
	int64_t sid, wid = 0;
	size_t i;
	int rc;

	sqlite3_bind_int64(q, 1, st->boot);
	sqlite3_bind_int64(q, 2, (int64_t)s->boot_ns);
	sqlite3_bind_int64(q, 3, (int64_t)s->wall_ns);
	sqlite3_bind_double(q, 4, s->secs);
	sqlite3_bind_int(q, 5, s->nr_cpus);
	sqlite3_bind_int64(q, 6, (int64_t)s->mem_total);
	sqlite3_bind_int64(q, 7, (int64_t)s->mem_free);
	sqlite3_bind_int64(q, 8, (int64_t)s->cls_cpu_ns[HOSTACCT_CLASS_KERNEL]);
	sqlite3_bind_int64(q, 9, (int64_t)s->cls_cpu_ns[HOSTACCT_CLASS_NATIVE]);
	sqlite3_bind_int64(q, 10, (int64_t)s->cls_cpu_ns[HOSTACCT_CLASS_KVM]);
	sqlite3_bind_int64(q, 11, (int64_t)s->cls_cpu_ns[HOSTACCT_CLASS_CONTAINER]);
	sqlite3_bind_int64(q, 12, (int64_t)s->idle_ns);
	sqlite3_bind_int64(q, 13, (int64_t)s->irq_ns);
	sqlite3_bind_int64(q, 14, (int64_t)s->steal_ns);
	sqlite3_bind_int64(q, 15, (int64_t)s->cls_mem[HOSTACCT_CLASS_NATIVE]);
	sqlite3_bind_int64(q, 16, (int64_t)s->cls_mem[HOSTACCT_CLASS_KVM]);
	sqlite3_bind_int64(q, 17, (int64_t)s->cls_mem[HOSTACCT_CLASS_CONTAINER]);
	rc = step_done(q);
	if (rc)
		return rc;
	sid = sqlite3_last_insert_rowid(st->db);

	for (i = 0; i < s->n; i++) {
		const struct ha_rec_wl *w = &s->w[i];

		rc = store_workload(st, s, w, &wid);
		if (rc)
			return rc;
		q = st->put_usage;
		sqlite3_bind_int64(q, 1, sid);
		sqlite3_bind_int64(q, 2, wid);
		if (w->has_rate) {
			sqlite3_bind_int64(q, 3, (int64_t)w->cpu_ns);
			if (w->class == HOSTACCT_CLASS_KVM)
				sqlite3_bind_int64(q, 4, (int64_t)w->busy_ns);
			if (w->class == HOSTACCT_CLASS_CONTAINER)
				sqlite3_bind_int64(q, 5, (int64_t)w->throttled_us);
		}
		sqlite3_bind_int64(q, 6, (int64_t)w->mem);
		rc = step_done(q);
		if (rc)
			return rc;
	}
	for (i = 0; i < s->nlife; i++) {
		const struct ha_rec_life *l = &s->life[i];

		q = st->put_life;
		sqlite3_bind_int64(q, 1, sid);
		sqlite3_bind_int(q, 2, l->class);
		sqlite3_bind_int(q, 3, l->kind);
		sqlite3_bind_int64(q, 4, (int64_t)l->gt);
		/* +Inf is UINT64_MAX, stored as -1 (SQLite integers are signed) */
		sqlite3_bind_int64(q, 5, (int64_t)l->le);
		sqlite3_bind_int64(q, 6, (int64_t)l->count);
		rc = step_done(q);
		if (rc)
			return rc;
	}
	return SQLITE_OK;
}

/* Store one sample in one transaction. Return: 0 or an SQLite error. */
int ha_store_put(struct ha_store *st, const struct ha_rec_sample *s)
{
	int rc = exec(st, "BEGIN IMMEDIATE");

	if (rc)
		return rc;
	rc = store_put_locked(st, s);
	if (!rc)
		rc = exec(st, "COMMIT");
	if (rc)
		exec(st, "ROLLBACK");
	return rc;
}

int ha_store_gap(struct ha_store *st, uint64_t boot_ns, uint64_t wall_ns,
		 const char *reason)
{
	struct sqlite3_stmt *q;
	int rc;

	rc = sqlite3_prepare_v2(st->db, "INSERT INTO gap(boot, boot_ns, wall_ns, reason)"
				" VALUES(?1, ?2, ?3, ?4)", -1, &q, NULL);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, st->boot);
	sqlite3_bind_int64(q, 2, (int64_t)boot_ns);
	sqlite3_bind_int64(q, 3, (int64_t)wall_ns);
	sqlite3_bind_text(q, 4, reason, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Run @sql with ?1..?3 bound to @a, @b, @c. */
static int run3(struct ha_store *st, const char *sql, int64_t a, int64_t b,
		int64_t c)
{
	struct sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, a);
	sqlite3_bind_int64(q, 2, b);
	sqlite3_bind_int64(q, 3, c);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * Merge the raw samples of boot @boot in [@lo, @hi) into the last of them.
 * One transaction: a recorder killed here leaves the bucket as it was.
 */
static int merge_bucket(struct ha_store *st, int64_t boot, int64_t lo, int64_t hi)
{
	static const char in_bucket[] =
		" FROM sample WHERE boot=?1 AND boot_ns>=?2 AND boot_ns<?3 AND tier=0";
	char sql[1536];
	int rc;

	rc = exec(st, "BEGIN IMMEDIATE");
	if (rc)
		return rc;
	rc = exec(st, "CREATE TEMP TABLE IF NOT EXISTS ds_s(id INTEGER PRIMARY KEY);"
		  "CREATE TEMP TABLE IF NOT EXISTS ds_u(workload INTEGER PRIMARY KEY,"
		  " cpu, busy, throttled, mem, secs, cpu_peak, busy_peak, mem_peak);"
		  "DELETE FROM ds_s; DELETE FROM ds_u;");
	snprintf(sql, sizeof(sql), "INSERT INTO ds_s SELECT id%s", in_bucket);
	if (!rc)
		rc = run3(st, sql, boot, lo, hi);
	/* per workload: sums over the samples it has a rate in, peaks */
	if (!rc)
		rc = exec(st,
			  "INSERT INTO ds_u SELECT u.workload, sum(u.cpu), sum(u.busy),"
			  " sum(u.throttled), CAST(avg(u.mem) AS INTEGER),"
			  " total(CASE WHEN u.cpu IS NULL THEN 0 ELSE coalesce(u.secs, s.secs) END),"
			  " max(coalesce(u.cpu_peak, u.cpu / 1e9 / coalesce(u.secs, s.secs))),"
			  " max(coalesce(u.busy_peak, u.busy / 1e9 / coalesce(u.secs, s.secs))),"
			  " max(coalesce(u.mem_peak, u.mem))"
			  " FROM usage u JOIN sample s ON s.id=u.sample"
			  " WHERE u.sample IN (SELECT id FROM ds_s) GROUP BY u.workload");
	snprintf(sql, sizeof(sql),
		 "UPDATE sample SET tier=1, (secs, mem_total, mem_free, cpu_kernel,"
		 " cpu_native, cpu_kvm, cpu_container, cpu_idle, cpu_irq, cpu_steal,"
		 " mem_native, mem_kvm, mem_container) = (SELECT total(secs),"
		 " CAST(avg(mem_total) AS INTEGER), CAST(avg(mem_free) AS INTEGER),"
		 " sum(cpu_kernel), sum(cpu_native), sum(cpu_kvm), sum(cpu_container),"
		 " sum(cpu_idle), sum(cpu_irq), sum(cpu_steal),"
		 " CAST(avg(mem_native) AS INTEGER), CAST(avg(mem_kvm) AS INTEGER),"
		 " CAST(avg(mem_container) AS INTEGER)%s)"
		 " WHERE id=(SELECT max(id) FROM ds_s)", in_bucket);
	if (!rc)
		rc = run3(st, sql, boot, lo, hi);
	if (!rc)
		rc = exec(st,
			  "DELETE FROM usage WHERE sample IN (SELECT id FROM ds_s);"
			  "INSERT INTO usage(sample, workload, cpu, busy, throttled, mem,"
			  " secs, cpu_peak, busy_peak, mem_peak)"
			  " SELECT (SELECT max(id) FROM ds_s), u.workload,"
			  " CASE WHEN u.secs > 0 THEN u.cpu END, CASE WHEN u.secs > 0 THEN u.busy END,"
			  " u.throttled, u.mem,"
			  " CASE WHEN u.secs = s.secs THEN NULL ELSE u.secs END,"
			  " u.cpu_peak, u.busy_peak, u.mem_peak FROM ds_u u,"
			  " (SELECT secs FROM sample WHERE id=(SELECT max(id) FROM ds_s)) s;"
			  "DELETE FROM sample WHERE id IN (SELECT id FROM ds_s)"
			  " AND id<(SELECT max(id) FROM ds_s);");
	/* histogram counts add up in the bucket's sample */
	if (!rc)
		rc = exec(st,
			  "CREATE TEMP TABLE IF NOT EXISTS ds_l(class, kind, gt, le, count);"
			  "DELETE FROM ds_l;"
			  "INSERT INTO ds_l SELECT class, kind, min(gt), le, sum(count) FROM life"
			  " WHERE sample IN (SELECT id FROM ds_s) GROUP BY class, kind, le;"
			  "DELETE FROM life WHERE sample IN (SELECT id FROM ds_s);"
			  "INSERT INTO life SELECT (SELECT max(id) FROM ds_s), class, kind, gt,"
			  " le, count FROM ds_l;");
	if (!rc)
		rc = exec(st, "COMMIT");
	if (rc)
		exec(st, "ROLLBACK");
	return rc;
}

/*
 * Retention and downsampling, a bounded step at a time (@budget buckets
 * merged, 64 x @budget samples dropped): called after every sample, it
 * never stalls sampling for long, and catches up over a few samples.
 * Return: 0 when nothing is left to do, 1 when more is, or an SQLite error.
 */
int ha_store_maintain(struct ha_store *st, uint64_t now_wall_ns,
		      const struct ha_retain *r, int budget)
{
	int64_t old = (int64_t)now_wall_ns - (int64_t)(r->retain * 1e9);
	int64_t ds = (int64_t)now_wall_ns - (int64_t)(r->ds_after * 1e9);
	int64_t step = (int64_t)(r->ds_step * 1e9);
	struct sqlite3_stmt *q;
	bool more = false;
	int rc, i;

	/* drop what is older than the retention, oldest first */
	rc = exec(st, "BEGIN IMMEDIATE");
	if (!rc)
		rc = run3(st, "CREATE TEMP TABLE IF NOT EXISTS rt_s(id INTEGER PRIMARY KEY);"
			  , 0, 0, 0);
	if (!rc)
		rc = exec(st, "DELETE FROM rt_s");
	if (!rc)
		rc = run3(st, "INSERT INTO rt_s SELECT id FROM sample WHERE wall_ns<?1"
			  " ORDER BY wall_ns LIMIT ?2", old, 64 * budget, 0);
	if (!rc) {
		more = sqlite3_changes(st->db) == 64 * budget;
		rc = exec(st, "DELETE FROM usage WHERE sample IN (SELECT id FROM rt_s);"
			  "DELETE FROM life WHERE sample IN (SELECT id FROM rt_s);"
			  "DELETE FROM sample WHERE id IN (SELECT id FROM rt_s);");
	}
	/* identities (and their reservations) no kept sample refers to */
	if (!rc)
		rc = run3(st, "DELETE FROM reservation WHERE workload IN (SELECT id FROM"
			  " workload WHERE last_wall<?1)", old - 3600000000000LL, 0, 0);
	if (!rc)
		rc = run3(st, "DELETE FROM workload WHERE last_wall<?1",
			  old - 3600000000000LL, 0, 0);
	if (!rc)
		rc = run3(st, "DELETE FROM gap WHERE wall_ns<?1", old, 0, 0);
	if (!rc)
		rc = exec(st, "COMMIT");
	if (rc) {
		exec(st, "ROLLBACK");
		return rc;
	}
	if (step <= 0 || r->ds_after <= 0)
		return more;

	for (i = 0; i < budget; i++) {
		int64_t boot, bns, lo;

		rc = sqlite3_prepare_v2(st->db, "SELECT boot, boot_ns FROM sample"
					" WHERE tier=0 AND wall_ns<?1 ORDER BY wall_ns LIMIT 1",
					-1, &q, NULL);
		if (rc)
			return rc;
		sqlite3_bind_int64(q, 1, ds);
		rc = sqlite3_step(q);
		if (rc != SQLITE_ROW) {
			sqlite3_finalize(q);
			return rc == SQLITE_DONE ? more : rc;
		}
		boot = sqlite3_column_int64(q, 0);
		bns = sqlite3_column_int64(q, 1);
		sqlite3_finalize(q);
		lo = bns / step * step;
		rc = merge_bucket(st, boot, lo, lo + step);
		if (rc)
			return rc;
	}
	return 1;
}

/* --downsample: "AFTER:STEP" (two durations), or "0" for none */
int ha_parse_downsample(const char *arg, struct ha_retain *r)
{
	char *colon, buf[64];

	if (!strcmp(arg, "0")) {
		r->ds_after = 0;
		return 0;
	}
	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	colon = strchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = 0;
	if (ha_parse_duration(buf, &r->ds_after) ||
	    ha_parse_duration(colon + 1, &r->ds_step))
		return -EINVAL;
	return 0;
}
