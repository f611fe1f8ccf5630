/* The access ledger's append path in C: the compiled twin of dancu.gateway.ledger.Ledger._append_python (same rows,
 * same bytes; tests/gateway/test_ledger_writer.py writes the same entries both ways and compares every column).
 *
 * Every gateway call appends one entry. In Python each costs ~30 us of a writer thread's CPU under load (building
 * the canonical JSON, SHA-256 through hashlib, twelve parameters bound one by one through the sqlite3 module, the
 * objects made and freed on the way), most of it holding the GIL the event loop needs. Here the entries' text is
 * gathered once while the GIL is held (UTF-8 views into the str objects, kept alive by a tuple of the entries), then
 * the GIL is released for the whole transaction: the JSON written into one buffer, the chain hashed with OpenSSL's
 * SHA-256, the rows inserted through prepared statements, the commit (the WAL's fsync). The GIL is taken back only to
 * sign a checkpoint when one is due (Ed25519 stays with the `cryptography` package), and at the end.
 *
 * The connection is this object's own, on the same libsqlite3 as Python's sqlite3 module (the caller checks that only
 * one is mapped: two copies of SQLite in one process would break each other's POSIX locks). The caller holds the
 * ledger's write turn (the flock) and its thread lock around append(); a second thread entering at the same time is
 * refused, not served.
 *
 * Built by hatch_build.py when a C compiler, OpenSSL's and SQLite's headers are there; without them the ledger writes
 * through Python, with the same rows.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init/Update/Final: one context on the stack, no allocation */
#include <Python.h>
#include <openssl/sha.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define ENTRY_FIELDS 9 /* time, system, purpose, operation, pin_hmac, fields, outcome, request_id, items */
#define HASH 32

static PyObject *OperationalError; /* sqlite3.OperationalError, sqlite3.IntegrityError: what the Python path raises */
static PyObject *IntegrityError;

/* ---- a growable byte buffer ------------------------------------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len, cap;
} Buf;

static int
buf_reserve(Buf *b, size_t more)
{
    if (b->len + more <= b->cap) {
        return 0;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more) {
        cap *= 2;
    }
    char *data = PyMem_RawRealloc(b->data, cap);
    if (data == NULL) {
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

static int
buf_put(Buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n) < 0) {
        return -1;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

static int
buf_char(Buf *b, char c)
{
    return buf_put(b, &c, 1);
}

/* A JSON string as the standard library writes it with ensure_ascii=False (and orjson, byte for byte): quote and
 * backslash escaped, \b \t \n \f \r by name, other control characters as \u00xx (lowercase), everything else as is. */
static int
buf_json_str(Buf *b, const char *s, Py_ssize_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (buf_reserve(b, (size_t)n * 6 + 2) < 0) {
        return -1;
    }
    char *out = b->data + b->len;
    *out++ = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *out++ = (char)c;
            continue;
        }
        *out++ = '\\';
        switch (c) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case '\b': *out++ = 'b'; break;
        case '\t': *out++ = 't'; break;
        case '\n': *out++ = 'n'; break;
        case '\f': *out++ = 'f'; break;
        case '\r': *out++ = 'r'; break;
        default:
            *out++ = 'u';
            *out++ = '0';
            *out++ = '0';
            *out++ = hex[c >> 4];
            *out++ = hex[c & 15];
        }
    }
    *out++ = '"';
    b->len = (size_t)(out - b->data);
    return 0;
}

/* ---- one entry's text, gathered while the GIL is held ----------------------------------------------------------- */

typedef struct {
    const char *p;
    Py_ssize_t n;
} View;

typedef struct {
    View text[7];        /* time, system, purpose, operation, pin_hmac, outcome, request_id */
    size_t rest, rest_n; /* in the arena: ,"time",...,"request_id"[,items] (the canonical JSON after the sequence) */
    size_t fields, fields_n; /* the fields column: ["a","b"] */
    size_t items, items_n;   /* the items column ([[pin,[fields],outcome],...]), or nothing */
} Entry;

static int
view_of(PyObject *value, View *view, const char *what)
{
    if (!PyUnicode_Check(value)) {
        PyErr_Format(PyExc_TypeError, "ledger entry values must be str, got %.100s in %s", Py_TYPE(value)->tp_name,
                     what);
        return -1;
    }
    view->p = PyUnicode_AsUTF8AndSize(value, &view->n); /* lone surrogates: UnicodeEncodeError, as str.encode */
    return view->p == NULL ? -1 : 0;
}

/* ["a","b"] from a tuple of str */
static int
json_texts(Buf *arena, PyObject *texts, const char *what)
{
    if (!PyTuple_Check(texts)) {
        PyErr_Format(PyExc_TypeError, "ledger entry %s must be a tuple of str, got %.100s", what,
                     Py_TYPE(texts)->tp_name);
        return -1;
    }
    if (buf_char(arena, '[') < 0) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(texts); i++) {
        View v;
        if (view_of(PyTuple_GET_ITEM(texts, i), &v, what) < 0 || (i && buf_char(arena, ',') < 0) ||
            buf_json_str(arena, v.p, v.n) < 0) {
            return -1;
        }
    }
    return buf_char(arena, ']');
}

static int
gather(Buf *arena, PyObject *entry, Entry *e)
{
    static const int text_index[7] = {0, 1, 2, 3, 4, 6, 7};
    if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != ENTRY_FIELDS) {
        PyErr_Format(PyExc_TypeError, "expected a LedgerEntry, got %.100s", Py_TYPE(entry)->tp_name);
        return -1;
    }
    for (int i = 0; i < 7; i++) {
        if (view_of(PyTuple_GET_ITEM(entry, text_index[i]), &e->text[i], "an entry") < 0) {
            return -1;
        }
    }
    e->fields = arena->len;
    if (json_texts(arena, PyTuple_GET_ITEM(entry, 5), "fields") < 0) {
        return -1;
    }
    e->fields_n = arena->len - e->fields;
    PyObject *items = PyTuple_GET_ITEM(entry, 8);
    if (!PyTuple_Check(items)) {
        PyErr_SetString(PyExc_TypeError, "ledger entry items must be a tuple");
        return -1;
    }
    e->items = arena->len;
    if (PyTuple_GET_SIZE(items)) {
        if (buf_char(arena, '[') < 0) {
            return -1;
        }
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(items); i++) {
            PyObject *item = PyTuple_GET_ITEM(items, i);
            View pin, outcome;
            if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 3) {
                PyErr_SetString(PyExc_TypeError, "a ledger entry's item is a (pin_hmac, fields, outcome) tuple");
                return -1;
            }
            if ((i && buf_char(arena, ',') < 0) || buf_char(arena, '[') < 0 ||
                view_of(PyTuple_GET_ITEM(item, 0), &pin, "an item") < 0 || buf_json_str(arena, pin.p, pin.n) < 0 ||
                buf_char(arena, ',') < 0 || json_texts(arena, PyTuple_GET_ITEM(item, 1), "item fields") < 0 ||
                buf_char(arena, ',') < 0 || view_of(PyTuple_GET_ITEM(item, 2), &outcome, "an item") < 0 ||
                buf_json_str(arena, outcome.p, outcome.n) < 0 || buf_char(arena, ']') < 0) {
                return -1;
            }
        }
        if (buf_char(arena, ']') < 0) {
            return -1;
        }
    }
    e->items_n = arena->len - e->items;
    /* the canonical JSON after "[<sequence>": the eight values, then the items of a batch entry */
    e->rest = arena->len;
    for (int i = 0; i < 5; i++) {
        if (buf_char(arena, ',') < 0 || buf_json_str(arena, e->text[i].p, e->text[i].n) < 0) {
            return -1;
        }
    }
    if (buf_char(arena, ',') < 0 || buf_put(arena, arena->data + e->fields, e->fields_n) < 0) {
        return -1;
    }
    for (int i = 5; i < 7; i++) {
        if (buf_char(arena, ',') < 0 || buf_json_str(arena, e->text[i].p, e->text[i].n) < 0) {
            return -1;
        }
    }
    if (e->items_n && (buf_char(arena, ',') < 0 || buf_put(arena, arena->data + e->items, e->items_n) < 0)) {
        return -1;
    }
    e->rest_n = arena->len - e->rest;
    return 0;
}

/* The canonical JSON of an entry at a sequence: "[<sequence>" and the rest gathered for it, then "]". */
static int
canonical_of(Buf *out, long long sequence, const Buf *arena, const Entry *e)
{
    char number[24];
    int n = snprintf(number, sizeof number, "[%lld", sequence);
    out->len = 0;
    return buf_put(out, number, (size_t)n) < 0 || buf_put(out, arena->data + e->rest, e->rest_n) < 0 ||
                   buf_char(out, ']') < 0
               ? -1
               : 0;
}

/* ---- the writer ------------------------------------------------------------------------------------------------- */

enum { BEGIN, COMMIT, ROLLBACK, TAIL, LAST_CHECKPOINT, INSERT_ENTRY, INSERT_CHECKPOINT, STATEMENTS };

static const char *const SQL[STATEMENTS] = {
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
    "SELECT sequence, hash FROM entries ORDER BY sequence DESC LIMIT 1",
    "SELECT sequence, time FROM checkpoints ORDER BY sequence DESC LIMIT 1",
    "INSERT INTO entries (sequence, time, system, purpose, operation, pin_hmac, fields, outcome, request_id, "
    "prev_hash, hash, items) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO checkpoints (sequence, hash, time, key_id, signature) VALUES (?, ?, ?, ?, ?)",
};

typedef struct {
    PyObject_HEAD
    sqlite3 *db;
    sqlite3_stmt *stmt[STATEMENTS];
    int busy;
} Writer;

/* The failure of a SQLite call: its codes and message, copied (a ROLLBACK after it may change the connection's). */
typedef struct {
    int code;
    char message[512];
} Failure;

static int
fail(Writer *self, Failure *f, int code)
{
    f->code = code;
    snprintf(f->message, sizeof f->message, "%s", self->db ? sqlite3_errmsg(self->db) : sqlite3_errstr(code));
    return -1;
}

static void
raise_failure(Failure *f)
{
    PyObject *kind = (f->code & 0xFF) == SQLITE_CONSTRAINT ? IntegrityError : OperationalError;
    PyObject *error = PyObject_CallFunction(kind, "s", f->message);
    if (error == NULL) {
        return;
    }
    PyObject *code = PyLong_FromLong(f->code);
    PyObject *name = PyUnicode_FromString(sqlite3_errstr(f->code));
    if (code != NULL && name != NULL) { /* as the sqlite3 module sets them */
        PyObject_SetAttrString(error, "sqlite_errorcode", code);
        PyObject_SetAttrString(error, "sqlite_errorname", name);
    }
    Py_XDECREF(code);
    Py_XDECREF(name);
    PyErr_SetObject(kind, error);
    Py_DECREF(error);
}

static int
run(Writer *self, Failure *f, int which) /* a statement without results */
{
    sqlite3_stmt *s = self->stmt[which];
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : fail(self, f, rc);
}

static void
close_db(Writer *self)
{
    for (int i = 0; i < STATEMENTS; i++) {
        sqlite3_finalize(self->stmt[i]);
        self->stmt[i] = NULL;
    }
    if (self->db != NULL) {
        sqlite3_close_v2(self->db);
        self->db = NULL;
    }
}

static int
Writer_init(Writer *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"path", "busy_timeout_ms", "cache_kib", NULL};
    const char *path;
    int busy_ms = 30000, cache_kib = 8192;
    Failure f;
    char pragma[64];
    int rc;

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "s|ii", kwlist, &path, &busy_ms, &cache_kib)) {
        return -1;
    }
    close_db(self);
    /* One thread at a time uses the connection (checked in append): SQLite's own mutexes are not needed. */
    Py_BEGIN_ALLOW_THREADS
    rc = sqlite3_open_v2(path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    Py_END_ALLOW_THREADS
    if (rc != SQLITE_OK) {
        fail(self, &f, rc);
        close_db(self);
        raise_failure(&f);
        return -1;
    }
    sqlite3_busy_timeout(self->db, busy_ms);
    snprintf(pragma, sizeof pragma, "PRAGMA cache_size = -%d", cache_kib);
    Py_BEGIN_ALLOW_THREADS
    rc = sqlite3_exec(self->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_exec(self->db, pragma, NULL, NULL, NULL);
    }
    for (int i = 0; rc == SQLITE_OK && i < STATEMENTS; i++) {
        rc = sqlite3_prepare_v3(self->db, SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &self->stmt[i], NULL);
    }
    Py_END_ALLOW_THREADS
    if (rc != SQLITE_OK) {
        fail(self, &f, rc);
        close_db(self);
        raise_failure(&f);
        return -1;
    }
    return 0;
}

static void
Writer_dealloc(Writer *self)
{
    close_db(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Seconds since a checkpoint's time ("2026-11-23T02:00:00.123Z", UTC); infinity when it does not parse (as the
 * Python path's _seconds_since). */
static double
seconds_since(const unsigned char *text)
{
    struct tm tm;
    int millis = 0, used = 0;
    struct timespec now;
    if (text == NULL) {
        return 1e300;
    }
    memset(&tm, 0, sizeof tm);
    if (sscanf((const char *)text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &used) != 6) {
        return 1e300;
    }
    if (text[used] == '.') {
        sscanf((const char *)text + used + 1, "%3d", &millis);
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    clock_gettime(CLOCK_REALTIME, &now);
    return (double)(now.tv_sec - timegm(&tm)) + now.tv_nsec / 1e9 - millis / 1e3;
}

static PyObject *
Writer_append(Writer *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"entries", "seal", "checkpoint_every", "checkpoint_seconds", NULL};
    PyObject *given, *seal, *entries = NULL, *result = NULL;
    long long every;
    double every_seconds;
    Buf arena = {0}, canonical = {0};
    Entry *list = NULL;
    Failure f = {0};
    int failed = 0, in_transaction = 0, python_error = 0;
    long long last = 0, sequence = 0;
    unsigned char prev[HASH], hash[HASH];
    PyThreadState *saved;

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOLd", kwlist, &given, &seal, &every, &every_seconds)) {
        return NULL;
    }
    if (self->db == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the ledger writer is closed");
        return NULL;
    }
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the ledger writer is in use by another thread");
        return NULL;
    }
    entries = PySequence_Tuple(given); /* holds every entry, and so every str viewed, until the end */
    if (entries == NULL) {
        return NULL;
    }
    Py_ssize_t count = PyTuple_GET_SIZE(entries);
    if (count == 0) {
        Py_DECREF(entries);
        return Py_BuildValue("(LL)", 1LL, 0LL);
    }
    list = PyMem_RawCalloc((size_t)count, sizeof(Entry));
    if (list == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        if (gather(&arena, PyTuple_GET_ITEM(entries, i), &list[i]) < 0) {
            if (!PyErr_Occurred()) {
                PyErr_NoMemory();
            }
            goto done;
        }
    }
    self->busy = 1;
    saved = PyEval_SaveThread();
    do {
        sqlite3_stmt *s;
        int rc;
        if (run(self, &f, BEGIN) < 0) {
            failed = 1;
            break;
        }
        in_transaction = 1;
        s = self->stmt[TAIL];
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            last = sqlite3_column_int64(s, 0);
            if (sqlite3_column_bytes(s, 1) != HASH) {
                sqlite3_reset(s);
                f.code = SQLITE_CORRUPT;
                snprintf(f.message, sizeof f.message, "the ledger's last entry has a hash of the wrong size");
                failed = 1;
                break;
            }
            memcpy(prev, sqlite3_column_blob(s, 1), HASH);
        } else if (rc == SQLITE_DONE) {
            last = 0;
            memset(prev, 0, HASH);
        } else {
            fail(self, &f, rc);
            sqlite3_reset(s);
            failed = 1;
            break;
        }
        sqlite3_reset(s);
        sequence = last;
        s = self->stmt[INSERT_ENTRY];
        for (Py_ssize_t i = 0; i < count && !failed; i++) {
            Entry *e = &list[i];
            SHA256_CTX sha;
            sequence++;
            if (canonical_of(&canonical, sequence, &arena, e) < 0) {
                f.code = SQLITE_NOMEM;
                snprintf(f.message, sizeof f.message, "out of memory");
                failed = 1;
                break;
            }
            SHA256_Init(&sha);
            SHA256_Update(&sha, prev, HASH);
            SHA256_Update(&sha, canonical.data, canonical.len);
            SHA256_Final(hash, &sha);
            sqlite3_bind_int64(s, 1, sequence);
            for (int t = 0; t < 5; t++) {
                sqlite3_bind_text(s, 2 + t, e->text[t].p, (int)e->text[t].n, SQLITE_STATIC);
            }
            sqlite3_bind_text(s, 7, arena.data + e->fields, (int)e->fields_n, SQLITE_STATIC);
            sqlite3_bind_text(s, 8, e->text[5].p, (int)e->text[5].n, SQLITE_STATIC);
            sqlite3_bind_text(s, 9, e->text[6].p, (int)e->text[6].n, SQLITE_STATIC);
            sqlite3_bind_blob(s, 10, prev, HASH, SQLITE_STATIC);
            sqlite3_bind_blob(s, 11, hash, HASH, SQLITE_STATIC);
            sqlite3_bind_text(s, 12, e->items_n ? arena.data + e->items : "", (int)e->items_n, SQLITE_STATIC);
            rc = sqlite3_step(s); /* every parameter is bound again for the next row */
            sqlite3_reset(s);
            if (rc != SQLITE_DONE) {
                fail(self, &f, rc);
                failed = 1;
                break;
            }
            memcpy(prev, hash, HASH);
        }
        if (failed) {
            break;
        }
        if (seal != Py_None) {
            int due;
            s = self->stmt[LAST_CHECKPOINT];
            rc = sqlite3_step(s);
            if (rc == SQLITE_ROW) {
                due = sequence - sqlite3_column_int64(s, 0) >= every ||
                      seconds_since(sqlite3_column_text(s, 1)) >= every_seconds;
            } else if (rc == SQLITE_DONE) {
                due = 1;
            } else {
                fail(self, &f, rc);
                sqlite3_reset(s);
                failed = 1;
                break;
            }
            sqlite3_reset(s);
            if (due) {
                /* seal(sequence, hash) -> (sealed_at, key_id, signature), in Python */
                const char *at, *kid, *signature;
                Py_ssize_t at_n, kid_n, signature_n;
                PyObject *sealed;
                PyEval_RestoreThread(saved);
                sealed = PyObject_CallFunction(seal, "Ly#", sequence, (const char *)prev, (Py_ssize_t)HASH);
                if (sealed == NULL || !PyArg_ParseTuple(sealed, "s#s#y#", &at, &at_n, &kid, &kid_n, &signature,
                                                        &signature_n)) {
                    Py_XDECREF(sealed);
                    python_error = 1; /* the Python exception stays set; rolled back below */
                    saved = PyEval_SaveThread();
                    failed = 1;
                    break;
                }
                s = self->stmt[INSERT_CHECKPOINT];
                sqlite3_bind_int64(s, 1, sequence);
                sqlite3_bind_blob(s, 2, prev, HASH, SQLITE_TRANSIENT);
                sqlite3_bind_text(s, 3, at, (int)at_n, SQLITE_TRANSIENT);
                sqlite3_bind_text(s, 4, kid, (int)kid_n, SQLITE_TRANSIENT);
                sqlite3_bind_blob(s, 5, signature, (int)signature_n, SQLITE_TRANSIENT);
                Py_DECREF(sealed);
                saved = PyEval_SaveThread();
                rc = sqlite3_step(s);
                sqlite3_reset(s);
                sqlite3_clear_bindings(s);
                if (rc != SQLITE_DONE) {
                    fail(self, &f, rc);
                    failed = 1;
                    break;
                }
            }
        }
        if (run(self, &f, COMMIT) < 0) {
            failed = 1;
            break;
        }
        in_transaction = 0;
    } while (0);
    if (failed && in_transaction && !sqlite3_get_autocommit(self->db)) {
        sqlite3_step(self->stmt[ROLLBACK]);
        sqlite3_reset(self->stmt[ROLLBACK]);
    }
    PyEval_RestoreThread(saved);
    self->busy = 0;
    if (failed) {
        if (!python_error) {
            raise_failure(&f);
        }
        goto done;
    }
    result = Py_BuildValue("(LL)", last + 1, sequence);
done:
    PyMem_RawFree(arena.data);
    PyMem_RawFree(canonical.data);
    PyMem_RawFree(list);
    Py_XDECREF(entries);
    return result;
}

static int
first_value(void *out, int columns, char **values, char **names)
{
    char *copy = (char *)out;
    if (copy[0] == '\0' && columns > 0 && values[0] != NULL) {
        snprintf(copy, 256, "%s", values[0]);
    }
    return 0;
}

static PyObject *
Writer_execute(Writer *self, PyObject *sql)
{
    const char *text;
    char value[256] = "";
    Failure f;
    int rc;
    if (self->db == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the ledger writer is closed");
        return NULL;
    }
    if ((text = PyUnicode_AsUTF8(sql)) == NULL) {
        return NULL;
    }
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the ledger writer is in use by another thread");
        return NULL;
    }
    self->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    rc = sqlite3_exec(self->db, text, first_value, value, NULL);
    Py_END_ALLOW_THREADS
    self->busy = 0;
    if (rc != SQLITE_OK) {
        fail(self, &f, rc);
        raise_failure(&f);
        return NULL;
    }
    return PyUnicode_FromString(value);
}

static PyObject *
Writer_close(Writer *self, PyObject *unused)
{
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the ledger writer is in use by another thread");
        return NULL;
    }
    close_db(self);
    Py_RETURN_NONE;
}

static PyObject *
canonical_json(PyObject *module, PyObject *args)
{
    /* canonical_json(sequence, entry) -> bytes: what append() hashes (after the previous hash), for the tests */
    long long sequence;
    PyObject *entry, *result = NULL;
    Buf arena = {0};
    Entry e;
    if (!PyArg_ParseTuple(args, "LO", &sequence, &entry)) {
        return NULL;
    }
    if (gather(&arena, entry, &e) == 0) {
        Buf out = {0};
        if (canonical_of(&out, sequence, &arena, &e) == 0) {
            result = PyBytes_FromStringAndSize(out.data, (Py_ssize_t)out.len);
        } else {
            PyErr_NoMemory();
        }
        PyMem_RawFree(out.data);
    } else if (!PyErr_Occurred()) {
        PyErr_NoMemory();
    }
    PyMem_RawFree(arena.data);
    return result;
}

static PyObject *
library_version(PyObject *module, PyObject *unused)
{
    return PyUnicode_FromString(sqlite3_libversion());
}

static PyObject *
library_address(PyObject *module, PyObject *unused)
{
    /* where this module's sqlite3_libversion is: the same address as the sqlite3 module's when both use one copy */
    return PyLong_FromVoidPtr((void *)&sqlite3_libversion);
}

static PyMethodDef Writer_methods[] = {
    {"append", (PyCFunction)(void (*)(void))Writer_append, METH_VARARGS | METH_KEYWORDS,
     "append(entries, seal, checkpoint_every, checkpoint_seconds) -> (first, last): one transaction, durable on "
     "return. seal(sequence, hash) -> (sealed_at, key_id, signature) is called when a checkpoint is due (None: "
     "never)."},
    {"execute", (PyCFunction)Writer_execute, METH_O, "Run SQL (a PRAGMA) on the writer's connection; the first value of its first row as text ('' if none)."},
    {"close", (PyCFunction)Writer_close, METH_NOARGS, "Close the connection (idempotent)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject WriterType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "dancu.gateway._ledger.Writer",
    .tp_doc = "Writer(path, busy_timeout_ms=30000, cache_kib=8192): appends ledger entries on its own connection.",
    .tp_basicsize = sizeof(Writer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Writer_init,
    .tp_dealloc = (destructor)Writer_dealloc,
    .tp_methods = Writer_methods,
};

static PyMethodDef module_methods[] = {
    {"canonical_json", canonical_json, METH_VARARGS, "The canonical JSON append() hashes for an entry (tests)."},
    {"library_version", library_version, METH_NOARGS, "The version of the libsqlite3 this module is linked to."},
    {"library_address", library_address, METH_NOARGS, "The address of sqlite3_libversion in this module's SQLite."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_ledger", "Compiled append path of the access ledger (see dancu.gateway.ledger).", -1,
    module_methods,
};

PyMODINIT_FUNC
PyInit__ledger(void)
{
    PyObject *m, *sqlite;

    if (PyType_Ready(&WriterType) < 0) {
        return NULL;
    }
    sqlite = PyImport_ImportModule("sqlite3");
    if (sqlite == NULL) {
        return NULL;
    }
    OperationalError = PyObject_GetAttrString(sqlite, "OperationalError");
    IntegrityError = PyObject_GetAttrString(sqlite, "IntegrityError");
    Py_DECREF(sqlite);
    if (OperationalError == NULL || IntegrityError == NULL) {
        return NULL;
    }
    m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    Py_INCREF(&WriterType);
    if (PyModule_AddObject(m, "Writer", (PyObject *)&WriterType) < 0) {
        Py_DECREF(&WriterType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
