/* HMAC-SHA-256 under one key, from precomputed keyed states, truncated: the compiled twin of
 * dancu.gateway.hashing.PyAttributeHasher (same methods, same bytes; tests/gateway/test_hashing.py checks both
 * against the standard library's hmac).
 *
 * Every verification computes four or five of these. In Python each costs ~0.9 us (six calls into hashlib); here
 * ~0.2 us: the keyed inner and outer SHA-256 states are copied as plain structs and OpenSSL's SHA-256 (SHA-NI where
 * the CPU has it) does the rest. Built by hatch_build.py when a C compiler and OpenSSL's headers are there; without
 * them the gateway uses the Python class, with the same answers.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init/Update/Final: the low-level API is what copies as a struct */
#include <Python.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

#define BLOCK 64

typedef struct {
    PyObject_HEAD
    SHA256_CTX inner;
    SHA256_CTX outer;
    Py_ssize_t size;
} Hasher;

static int
Hasher_init(Hasher *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"key", "size", NULL};
    Py_buffer key;
    Py_ssize_t size = 16;
    unsigned char block[BLOCK], pad[BLOCK];

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*|n", kwlist, &key, &size)) {
        return -1;
    }
    if (size < 1 || size > SHA256_DIGEST_LENGTH) {
        PyBuffer_Release(&key);
        PyErr_SetString(PyExc_ValueError, "size must be 1 to 32 bytes");
        return -1;
    }
    memset(block, 0, BLOCK);
    if (key.len > BLOCK) {
        SHA256((const unsigned char *)key.buf, (size_t)key.len, block);
    } else {
        memcpy(block, key.buf, (size_t)key.len);
    }
    PyBuffer_Release(&key);
    for (int i = 0; i < BLOCK; i++) {
        pad[i] = block[i] ^ 0x36;
    }
    SHA256_Init(&self->inner);
    SHA256_Update(&self->inner, pad, BLOCK);
    for (int i = 0; i < BLOCK; i++) {
        pad[i] = block[i] ^ 0x5c;
    }
    SHA256_Init(&self->outer);
    SHA256_Update(&self->outer, pad, BLOCK);
    OPENSSL_cleanse(block, BLOCK); /* the key's copies on the stack: only the keyed states stay */
    OPENSSL_cleanse(pad, BLOCK);
    self->size = size;
    return 0;
}

/* The inner state has absorbed the message: finish it, run the outer hash, return the first `size` bytes. */
static PyObject *
finish(Hasher *self, SHA256_CTX *inner)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256_CTX outer = self->outer;

    if (self->size == 0) {
        PyErr_SetString(PyExc_RuntimeError, "AttributeHasher.__init__ was not called");
        return NULL;
    }
    SHA256_Final(digest, inner);
    SHA256_Update(&outer, digest, SHA256_DIGEST_LENGTH);
    SHA256_Final(digest, &outer);
    return PyBytes_FromStringAndSize((const char *)digest, self->size);
}

static PyObject *
Hasher_digest(Hasher *self, PyObject *message)
{
    Py_buffer view;
    SHA256_CTX inner = self->inner;

    if (PyObject_GetBuffer(message, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    SHA256_Update(&inner, view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return finish(self, &inner);
}

/* UTF-8 of a str (cached by CPython for ASCII text; lone surrogates raise UnicodeEncodeError, as str.encode does). */
static const char *
utf8(PyObject *text, Py_ssize_t *length)
{
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "expected str, got %.100s", Py_TYPE(text)->tp_name);
        return NULL;
    }
    return PyUnicode_AsUTF8AndSize(text, length);
}

static PyObject *
Hasher_pin_hmac(Hasher *self, PyObject *pin)
{
    Py_ssize_t length;
    const char *bytes = utf8(pin, &length);
    SHA256_CTX inner = self->inner;

    if (bytes == NULL) {
        return NULL;
    }
    SHA256_Update(&inner, "pin\0", 4);
    SHA256_Update(&inner, bytes, (size_t)length);
    return finish(self, &inner);
}

static PyObject *
Hasher_attribute_hmac(Hasher *self, PyObject *const *args, Py_ssize_t nargs)
{
    const char *parts[3];
    Py_ssize_t lengths[3];
    SHA256_CTX inner = self->inner;

    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "attribute_hmac(pin, attribute, value) takes 3 arguments");
        return NULL;
    }
    /* the message is f"{attribute}\0{pin}\0{value}" */
    if ((parts[0] = utf8(args[1], &lengths[0])) == NULL || (parts[1] = utf8(args[0], &lengths[1])) == NULL ||
        (parts[2] = utf8(args[2], &lengths[2])) == NULL) {
        return NULL;
    }
    SHA256_Update(&inner, parts[0], (size_t)lengths[0]);
    SHA256_Update(&inner, "\0", 1);
    SHA256_Update(&inner, parts[1], (size_t)lengths[1]);
    SHA256_Update(&inner, "\0", 1);
    SHA256_Update(&inner, parts[2], (size_t)lengths[2]);
    return finish(self, &inner);
}

static PyMethodDef Hasher_methods[] = {
    {"digest", (PyCFunction)Hasher_digest, METH_O, "HMAC of a bytes-like message, truncated."},
    {"pin_hmac", (PyCFunction)Hasher_pin_hmac, METH_O, "Same bytes as dancu.core.crypto.Keyring.pin_hmac."},
    {"attribute_hmac", (PyCFunction)(void (*)(void))Hasher_attribute_hmac, METH_FASTCALL,
     "attribute_hmac(pin, attribute, value): same bytes as dancu.core.crypto.Keyring.attribute_hmac."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject HasherType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "dancu.gateway._hmac.AttributeHasher",
    .tp_doc = "AttributeHasher(key, size=16): HMAC-SHA-256 under one key from precomputed states, truncated.",
    .tp_basicsize = sizeof(Hasher),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Hasher_init,
    .tp_methods = Hasher_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_hmac", "Compiled HMAC-SHA-256 for the gateway (see dancu.gateway.hashing).", -1, NULL,
};

PyMODINIT_FUNC
PyInit__hmac(void)
{
    PyObject *m;

    if (PyType_Ready(&HasherType) < 0) {
        return NULL;
    }
    m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    Py_INCREF(&HasherType);
    if (PyModule_AddObject(m, "AttributeHasher", (PyObject *)&HasherType) < 0) {
        Py_DECREF(&HasherType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
