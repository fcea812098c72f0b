// SPDX-License-Identifier: GPL-2.0
/*
 * One printing layer for every subcommand: the same calls produce an
 * aligned table, JSON or CSV, so the formats never drift apart. JSON is
 * streamed with yajl's generator as the calls come (no document tree),
 * tables and CSV are kept until a section ends, to align or head them.
 *
 * Output is a sequence of sections. A "rows" section is a table (JSON: an
 * array of objects); a "key/value" section is a list of fields (JSON: an
 * object). A section with a NULL key is the whole JSON document. Nests are
 * JSON-only detail (for example the vCPUs of a VM) that tables leave out.
 * JSON numbers are numbers with the unit in the key; tables show human
 * units.
 */

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "hostacct.h"

#define HA_MAX_COLS	48
#define HA_MAX_DEPTH	8

struct ha_col {
	const char *hdr;
	const char *key;
	bool right;
	size_t width;
};

struct ha_out {
	enum ha_format fmt;
	FILE *f;

	/* JSON: the generator and what is open: arrays take no keys */
	yajl_gen g;
	bool doc;		/* the document's outermost value is open */
	bool is_array[HA_MAX_DEPTH];
	int depth;

	/* tables */
	bool rows;
	const char *title;
	struct ha_col cols[HA_MAX_COLS];
	size_t ncols;
	size_t col;
	char **cells;		/* nrows * HA_MAX_COLS */
	size_t nrows;
	size_t cap;
	int hidden;		/* > 0: inside a JSON-only nest */
	int sections;
	bool skip;		/* in a section that --section left out */
};

/* CSV is one table per invocation: its header row is printed once. */
static bool ha_csv_header_done;

/*
 * yajl writes into its own buffer; it goes out in large writes (a call
 * per token costs more than generating the token), after each row once
 * the buffer holds this much, and at the end.
 */
#define HA_JSON_FLUSH	(64 * 1024)

static void ha_json_flush(struct ha_out *o, size_t above)
{
	yajl_gen g = o->g;
	FILE *f = o->f;
	const unsigned char *buf;
	size_t len;

	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok || len < above)
		return;
	if (len)
		fwrite(buf, 1, len, f);
	yajl_gen_clear(g);
}

struct ha_out *ha_out_new(enum ha_format fmt, FILE *f)
{
	struct ha_out *o = calloc(1, sizeof(*o));

	if (!o) {
		ha_err("out of memory");
		exit(1);
	}
	o->fmt = fmt;
	o->f = f;
	if (fmt == HA_FMT_JSON) {
		o->g = yajl_gen_alloc(NULL);
		if (!o->g) {
			ha_err("out of memory");
			exit(1);
		}
		yajl_gen_config(o->g, yajl_gen_beautify, ha_opts.pretty ? 1 : 0);
		if (ha_opts.pretty)
			yajl_gen_config(o->g, yajl_gen_indent_string, "  ");
	}
	return o;
}

/* The key of the next value, unless it goes into an array. */
static void ha_json_key(struct ha_out *o, const char *key)
{
	if (o->depth && !o->is_array[o->depth - 1])
		yajl_gen_string(o->g, (const unsigned char *)key, strlen(key));
}

static void ha_json_open(struct ha_out *o, const char *key, bool array)
{
	if (o->depth == HA_MAX_DEPTH)
		return;
	if (o->depth)
		ha_json_key(o, key ? key : "");
	if (array)
		yajl_gen_array_open(o->g);
	else
		yajl_gen_map_open(o->g);
	o->is_array[o->depth++] = array;
	o->doc = true;
}

static void ha_json_close(struct ha_out *o)
{
	if (!o->depth)
		return;
	if (o->is_array[--o->depth])
		yajl_gen_array_close(o->g);
	else
		yajl_gen_map_close(o->g);
}

/* A number as it is printed, so that u64 above 2^63 stays exact. */
static void ha_json_number(struct ha_out *o, const char *key, const char *num)
{
	if (!o->depth)
		return;
	ha_json_key(o, key);
	yajl_gen_number(o->g, num, strlen(num));
}

void ha_out_section(struct ha_out *o, const char *key, const char *title,
		    bool rows)
{
	/* JSON is always the whole document */
	o->skip = o->fmt != HA_FMT_JSON && key && ha_opts.section &&
		  strcmp(key, ha_opts.section);
	if (o->skip)
		return;
	if (o->fmt == HA_FMT_JSON) {
		/* a keyed section is a member of the document's object */
		if (key && !o->doc)
			ha_json_open(o, NULL, false);
		ha_json_open(o, key, rows);
		return;
	}
	o->rows = rows;
	o->title = title;
	o->ncols = 0;
	o->nrows = 0;
	o->col = 0;
	o->hidden = 0;
	if (!rows)
		o->ncols = 2;
}

static char **ha_row_cells(struct ha_out *o, size_t row)
{
	return &o->cells[row * HA_MAX_COLS];
}

static void ha_text_newrow(struct ha_out *o)
{
	if (o->nrows == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		char **cells = realloc(o->cells, cap * HA_MAX_COLS * sizeof(char *));

		if (!cells) {
			ha_err("out of memory");
			exit(1);
		}
		o->cells = cells;
		o->cap = cap;
	}
	memset(ha_row_cells(o, o->nrows), 0, HA_MAX_COLS * sizeof(char *));
	o->nrows++;
	o->col = 0;
}

void ha_out_row(struct ha_out *o)
{
	if (o->skip)
		return;
	if (o->fmt == HA_FMT_JSON) {
		ha_json_open(o, NULL, false);
		return;
	}
	ha_text_newrow(o);
}

void ha_out_row_end(struct ha_out *o)
{
	if (o->skip)
		return;
	if (o->fmt == HA_FMT_JSON) {
		ha_json_close(o);
		ha_json_flush(o, HA_JSON_FLUSH);
	}
}

/*
 * Add one text cell; columns are created by the first row. A cell with no
 * header is not in tables, one with no key is in tables only.
 */
static void ha_text_cell(struct ha_out *o, const char *key, const char *hdr,
			 const char *text, bool right)
{
	char **row;

	if (o->hidden || (o->fmt == HA_FMT_TABLE ? !hdr : !key))
		return;
	if (!o->rows) {
		/* key/value: one row per field */
		ha_text_newrow(o);
		row = ha_row_cells(o, o->nrows - 1);
		row[0] = strdup(o->fmt == HA_FMT_CSV ? key : hdr);
		row[1] = strdup(text);
		o->cols[0].right = false;
		o->cols[1].right = right;
		return;
	}
	if (!o->nrows)
		ha_text_newrow(o);
	if (o->col >= HA_MAX_COLS)
		return;
	if (o->col >= o->ncols) {
		o->cols[o->col].hdr = hdr;
		o->cols[o->col].key = key;
		o->cols[o->col].right = right;
		o->ncols = o->col + 1;
	}
	row = ha_row_cells(o, o->nrows - 1);
	row[o->col++] = strdup(text);
}

/*
 * Strings may come from workloads (process and cgroup names): tables get
 * them without control characters, the machine formats as valid UTF-8
 * (ha_clean_str()); JSON and CSV then quote what they must.
 */
void ha_out_str(struct ha_out *o, const char *key, const char *hdr,
		const char *val)
{
	char *clean = NULL;

	if (o->skip || (o->fmt == HA_FMT_JSON && !key))
		return;
	if (!ha_str_plain(val))
		val = clean = ha_clean_str(val, o->fmt == HA_FMT_TABLE);
	if (o->fmt == HA_FMT_JSON && o->depth) {
		ha_json_key(o, key);
		yajl_gen_string(o->g, (const unsigned char *)val, strlen(val));
	} else if (o->fmt != HA_FMT_JSON)
		ha_text_cell(o, key, hdr, val, false);
	free(clean);
}

static void ha_fmt_unit(char *buf, size_t len, double val, enum ha_unit unit,
			bool csv)
{
	switch (unit) {
	case HA_U_BYTES:
		if (csv) {
			snprintf(buf, len, "%.0f", val);
		} else if (val < 0 && len > 1) {	/* a reclaim that is a raise */
			buf[0] = '-';
			ha_fmt_bytes(buf + 1, len - 1, (uint64_t)-val);
		} else {
			ha_fmt_bytes(buf, len, (uint64_t)val);
		}
		break;
	case HA_U_NS_S:
		/* CSV: the key's unit (ns), tables: seconds */
		if (csv)
			snprintf(buf, len, "%.0f", val);
		else
			snprintf(buf, len, "%.2f", val / 1e9);
		break;
	case HA_U_PCT:
		snprintf(buf, len, "%.1f", val);
		break;
	case HA_U_FIXED2:
		snprintf(buf, len, "%.2f", val);
		break;
	case HA_U_DUR_S:
		if (csv)
			snprintf(buf, len, "%.9g", val);
		else
			ha_fmt_dur(buf, len, val);
		break;
	case HA_U_NONE:
	default:
		snprintf(buf, len, "%.0f", val);
		break;
	}
}

void ha_out_u64(struct ha_out *o, const char *key, const char *hdr,
		uint64_t val, enum ha_unit unit)
{
	char buf[64];

	if (o->skip)
		return;
	if (o->fmt == HA_FMT_JSON) {
		if (key) {
			snprintf(buf, sizeof(buf), "%llu", (unsigned long long)val);
			ha_json_number(o, key, buf);
		}
		return;
	}
	/* CSV: exact integers in the key's unit */
	if (unit == HA_U_NONE ||
	    (o->fmt == HA_FMT_CSV && (unit == HA_U_NS_S || unit == HA_U_BYTES)))
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)val);
	else
		ha_fmt_unit(buf, sizeof(buf), (double)val, unit,
			    o->fmt == HA_FMT_CSV);
	ha_text_cell(o, key, hdr, buf, true);
}

void ha_out_dbl(struct ha_out *o, const char *key, const char *hdr,
		double val, enum ha_unit unit)
{
	char buf[64];

	if (o->skip)
		return;
	if (o->fmt == HA_FMT_JSON) {
		if (!key)
			return;
		if (!isfinite(val)) {		/* JSON has no NaN */
			ha_out_none(o, key, hdr);
			return;
		}
		/* the shortest form that reads back as the same double */
		snprintf(buf, sizeof(buf), "%.15g", val);
		if (strtod(buf, NULL) != val)
			snprintf(buf, sizeof(buf), "%.17g", val);
		ha_json_number(o, key, buf);
		return;
	}
	ha_fmt_unit(buf, sizeof(buf), val, unit, o->fmt == HA_FMT_CSV);
	ha_text_cell(o, key, hdr, buf, true);
}

void ha_out_none(struct ha_out *o, const char *key, const char *hdr)
{
	if (o->skip)
		return;
	if (o->fmt == HA_FMT_JSON) {
		if (key && o->depth) {
			ha_json_key(o, key);
			yajl_gen_null(o->g);
		}
		return;
	}
	ha_text_cell(o, key, hdr, o->fmt == HA_FMT_CSV ? "" : "-", true);
}

void ha_out_nest(struct ha_out *o, const char *key, bool array)
{
	if (o->skip)
		return;
	if (o->fmt == HA_FMT_JSON) {
		ha_json_open(o, key, array);
		return;
	}
	o->hidden++;
}

void ha_out_nest_end(struct ha_out *o)
{
	if (o->skip)
		return;
	if (o->fmt == HA_FMT_JSON) {
		ha_json_close(o);
		return;
	}
	if (o->hidden)
		o->hidden--;
}

static void ha_csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void ha_text_flush(struct ha_out *o)
{
	size_t r, c;

	if (o->fmt == HA_FMT_CSV) {
		/*
		 * One header row, no titles, comments or blank lines. Columns
		 * come from the first row: an empty table prints nothing.
		 */
		if (!ha_csv_header_done && o->rows && o->ncols) {
			for (c = 0; c < o->ncols; c++) {
				if (c)
					fputc(',', o->f);
				ha_csv_field(o->f, o->cols[c].key);
			}
			fputc('\n', o->f);
			ha_csv_header_done = true;
		} else if (!ha_csv_header_done && !o->rows) {
			fputs("key,value\n", o->f);
			ha_csv_header_done = true;
		}
		for (r = 0; r < o->nrows; r++) {
			char **row = ha_row_cells(o, r);

			for (c = 0; c < o->ncols; c++) {
				if (c)
					fputc(',', o->f);
				ha_csv_field(o->f, row[c] ? row[c] : "");
			}
			fputc('\n', o->f);
		}
		goto out;
	}

	if (o->sections++)
		fputc('\n', o->f);
	if (o->title)
		fprintf(o->f, "%s\n", o->title);

	for (c = 0; c < o->ncols; c++)
		o->cols[c].width = o->rows && o->cols[c].hdr ?
				   strlen(o->cols[c].hdr) : 0;
	for (r = 0; r < o->nrows; r++) {
		char **row = ha_row_cells(o, r);

		for (c = 0; c < o->ncols; c++) {
			size_t w = row[c] ? strlen(row[c]) : 0;

			if (w > o->cols[c].width)
				o->cols[c].width = w;
		}
	}

	if (o->rows && o->nrows) {
		for (c = 0; c < o->ncols; c++) {
			bool last = c + 1 == o->ncols;

			if (o->cols[c].right)
				fprintf(o->f, "%*s", (int)o->cols[c].width,
					o->cols[c].hdr);
			else
				fprintf(o->f, "%-*s", last ? 0 : (int)o->cols[c].width,
					o->cols[c].hdr);
			fputs(last ? "\n" : "  ", o->f);
		}
	}
	for (r = 0; r < o->nrows; r++) {
		char **row = ha_row_cells(o, r);

		for (c = 0; c < o->ncols; c++) {
			const char *s = row[c] ? row[c] : "";
			bool last = c + 1 == o->ncols;

			if (!o->rows && c == 0) {
				fprintf(o->f, "  %-*s  ", (int)o->cols[0].width + 1, s);
				continue;
			}
			if (o->cols[c].right && o->rows)
				fprintf(o->f, "%*s", (int)o->cols[c].width, s);
			else
				fprintf(o->f, "%-*s", last ? 0 : (int)o->cols[c].width, s);
			if (!last)
				fputs("  ", o->f);
		}
		fputc('\n', o->f);
	}

out:
	for (r = 0; r < o->nrows; r++) {
		char **row = ha_row_cells(o, r);

		for (c = 0; c < HA_MAX_COLS; c++)
			free(row[c]);
	}
	o->nrows = 0;
}

void ha_out_section_end(struct ha_out *o)
{
	if (o->skip) {
		o->skip = false;
		return;
	}
	if (o->fmt == HA_FMT_JSON) {
		ha_json_close(o);
		return;
	}
	ha_text_flush(o);
}

void ha_out_finish(struct ha_out *o)
{
	if (o->fmt == HA_FMT_JSON) {
		while (o->depth)
			ha_json_close(o);
		ha_json_flush(o, 0);
		if (o->doc)
			fputc('\n', o->f);
		yajl_gen_free(o->g);
	}
	fflush(o->f);
	free(o->cells);
	free(o);
}
