/* libmodelrepo's C API: the stable ABI of the library, for C programs and for any language with
 * a C foreign-function interface (the Python package `modelrepo` is built on it).
 *
 * ---------------------------------------------------------------------------------------------
 * Conventions (they hold for every function below unless its comment says otherwise)
 * ---------------------------------------------------------------------------------------------
 *
 * Names.  Every symbol the library exports starts with `modelrepo_`; every macro with
 *   `MODELREPO_`. Types are opaque structs used through pointers ("handles").
 *
 * Errors.  A function that can fail returns a `modelrepo_status*`: NULL means success, anything
 *   else is an error object that the caller owns and releases with modelrepo_status_free().
 *   Its code (modelrepo_status_code) has the numeric value of the C++ modelrepo::StatusCode,
 *   and its message (modelrepo_status_message) names the model and the problem. On error the
 *   function's out-parameters are left untouched. NULL where a handle, a string or an
 *   out-parameter is required is an error (MODELREPO_INVALID_ARGUMENT), never a crash.
 *   The only functions that return something else are those that cannot fail: the *_free /
 *   *_close functions, the accessors of a status object, and the name and version functions.
 *
 * Ownership.  Every out-parameter says who owns what it receives:
 *   - "owned": a new object the caller must release with the named *_free / *_close function;
 *   - "borrowed": memory that belongs to the object it was read from and stays valid, unchanged,
 *     until that object is freed. Do not free or modify it.
 *   Strings passed in are read during the call only and copied if kept. Tensor data passed to
 *   modelrepo_infer_request_add_input is copied: the caller's buffer may be reused at once.
 *   Every *_free / *_close function accepts NULL and then does nothing.
 *
 * Strings.  Strings are NUL-terminated UTF-8. Optional strings (a model version) accept NULL or
 *   "" for "not given". A string out-parameter is never set to NULL: "" stands for "none".
 *
 * Threads.  Each type states what may be done with it from several threads at once. In short:
 *   a repository is fully thread-safe (except closing it); index, metadata, response and status
 *   objects are immutable and may be read from any number of threads; an open-options object
 *   and an inference request are not synchronised while they are being built, and a built
 *   request may then be passed to modelrepo_repository_infer from several threads at once.
 *   No function keeps a global lock while it runs: inference on different threads proceeds in
 *   parallel.
 *
 * Exceptions.  No C++ exception ever leaves this library: every entry point catches them and
 *   reports MODELREPO_INTERNAL (out of memory included). A callback given to the library
 *   (the log callback) must not unwind through it either (no longjmp, no C++ throw).
 *
 * Enums.  Every enum spans exactly the range of int (its *_MIN_ENUM_ and *_MAX_ENUM_ members
 *   are there for that alone and are never valid values): an enum parameter can be passed as a C
 *   int by any FFI, and any int value is a well-defined enum value on both sides of the boundary.
 *   A value outside the listed ones is rejected with MODELREPO_INVALID_ARGUMENT (or named
 *   "UNKNOWN" / "INVALID" by the *_name functions).
 *
 * Versions.  MODELREPO_C_API_VERSION_* describe this header; modelrepo_c_api_version() the
 *   library actually loaded. Within one major version the ABI only grows: functions and enum
 *   values are added, none is removed or changed, so a program built against 1.x runs with any
 *   library 1.y with y >= x. The shared library's soname carries the major version
 *   (libmodelrepo_c.so.1). Enum numbers are part of the ABI and are never renumbered.
 *
 * Example (error handling abridged):
 *
 *   modelrepo_repository* repo = NULL;
 *   modelrepo_status* st = modelrepo_repository_open("examples/models", NULL, &repo);
 *   if (st) { fprintf(stderr, "%s\n", modelrepo_status_message(st)); modelrepo_status_free(st); }
 *
 *   float rows[2 * 126] = {0};
 *   int64_t shape[2] = {2, 126};
 *   modelrepo_infer_request* req = NULL;
 *   modelrepo_infer_response* res = NULL;
 *   st = modelrepo_infer_request_create("mushroom-xgboost", NULL, &req);
 *   if (!st) st = modelrepo_infer_request_add_input(req, "input-0", MODELREPO_TYPE_FP32,
 *                                                  shape, 2, rows, sizeof rows);
 *   if (!st) st = modelrepo_infer_request_add_output(req, "predict_proba");
 *   if (!st) st = modelrepo_repository_infer(repo, req, &res);
 *   ... modelrepo_infer_response_output(res, 0, &name, &type, &dims, &rank, &data, &bytes) ...
 *   modelrepo_infer_response_free(res);
 *   modelrepo_infer_request_free(req);
 *   modelrepo_status_free(st);
 *   modelrepo_repository_close(repo);
 */
#ifndef MODELREPO_C_API_H_
#define MODELREPO_C_API_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define MODELREPO_C_EXPORT __attribute__((visibility("default")))
#else
#define MODELREPO_C_EXPORT
#endif

/* ---- Versions ------------------------------------------------------------------------------ */

#define MODELREPO_C_API_VERSION_MAJOR 1
#define MODELREPO_C_API_VERSION_MINOR 0
#define MODELREPO_C_API_VERSION_PATCH 0
/* One number, MAJOR * 10000 + MINOR * 100 + PATCH, for #if and for comparing at run time. */
#define MODELREPO_C_API_VERSION                                                  \
  (MODELREPO_C_API_VERSION_MAJOR * 10000 + MODELREPO_C_API_VERSION_MINOR * 100 + \
   MODELREPO_C_API_VERSION_PATCH)

/* The C API version of the library loaded at run time, encoded as MODELREPO_C_API_VERSION;
 * each out-parameter may be NULL and otherwise receives that part. A program built against
 * this header works with the library when the majors are equal and the library's minor is at
 * least the header's. */
MODELREPO_C_EXPORT int modelrepo_c_api_version(int* major, int* minor, int* patch);

/* libmodelrepo's own version ("0.1.0"), as the C++ library reports it. Static storage. */
MODELREPO_C_EXPORT const char* modelrepo_library_version(void);

/* ---- Status -------------------------------------------------------------------------------- */

/* Error codes: the values of the C++ modelrepo::StatusCode. */
typedef enum modelrepo_code {
  MODELREPO_OK = 0,
  MODELREPO_INVALID_ARGUMENT = 1, /* the caller's input is wrong (request, arguments, model file) */
  MODELREPO_NOT_FOUND = 2,        /* no such model or version, or it is not loaded */
  MODELREPO_UNAVAILABLE = 3,      /* retry later: the model is still loading */
  MODELREPO_UNIMPLEMENTED = 4,    /* a feature this build or runtime does not offer */
  MODELREPO_INTERNAL = 5,         /* a bug, an unexpected library failure, out of memory */
  MODELREPO_PERMISSION_DENIED = 6, /* the caller may not do this */
  MODELREPO_CODE_MIN_ENUM_ = -0x7fffffff - 1, /* not a code: see "Enums" above */
  MODELREPO_CODE_MAX_ENUM_ = 0x7fffffff
} modelrepo_code;

/* An error: a code and a message. Immutable; any thread may read it. */
typedef struct modelrepo_status modelrepo_status;

/* The code of `status`; MODELREPO_OK for NULL. */
MODELREPO_C_EXPORT modelrepo_code modelrepo_status_code(const modelrepo_status* status);
/* The message of `status`: borrowed, valid until the status is freed; "" for NULL. */
MODELREPO_C_EXPORT const char* modelrepo_status_message(const modelrepo_status* status);
/* Releases `status`. NULL: no-op. */
MODELREPO_C_EXPORT void modelrepo_status_free(modelrepo_status* status);
/* "OK", "INVALID_ARGUMENT", "NOT_FOUND", ...; "UNKNOWN" for a value outside the enum.
 * Static storage. */
MODELREPO_C_EXPORT const char* modelrepo_code_name(modelrepo_code code);

/* ---- Tensors ------------------------------------------------------------------------------- */

/* The V2 protocol's datatypes (values of the C++ modelrepo::DataType). Tensor data is dense,
 * row-major, in host byte order: BOOL is one byte holding 0 or 1; FP16 is the IEEE 754 half
 * bit pattern in a uint16_t. BYTES data is a sequence of elements, each a 4-byte little-endian
 * unsigned length followed by that many bytes (the layout of Triton's binary tensor data). */
typedef enum modelrepo_datatype {
  MODELREPO_TYPE_BOOL = 0,
  MODELREPO_TYPE_UINT8 = 1,
  MODELREPO_TYPE_UINT16 = 2,
  MODELREPO_TYPE_UINT32 = 3,
  MODELREPO_TYPE_UINT64 = 4,
  MODELREPO_TYPE_INT8 = 5,
  MODELREPO_TYPE_INT16 = 6,
  MODELREPO_TYPE_INT32 = 7,
  MODELREPO_TYPE_INT64 = 8,
  MODELREPO_TYPE_FP16 = 9,
  MODELREPO_TYPE_FP32 = 10,
  MODELREPO_TYPE_FP64 = 11,
  MODELREPO_TYPE_BYTES = 12,
  MODELREPO_TYPE_MIN_ENUM_ = -0x7fffffff - 1, /* not a datatype: see "Enums" above */
  MODELREPO_TYPE_MAX_ENUM_ = 0x7fffffff
} modelrepo_datatype;

/* "BOOL", "FP32", ... as the V2 protocol spells them; "INVALID" outside the enum. Static. */
MODELREPO_C_EXPORT const char* modelrepo_datatype_name(modelrepo_datatype datatype);
/* Bytes per element; 0 for BYTES (variable size) and for a value outside the enum. */
MODELREPO_C_EXPORT size_t modelrepo_datatype_size(modelrepo_datatype datatype);

/* ---- Opening a repository ------------------------------------------------------------------ */

/* Severity of a log message. */
typedef enum modelrepo_log_level {
  MODELREPO_LOG_DEBUG = 0,
  MODELREPO_LOG_INFO = 1,
  MODELREPO_LOG_WARNING = 2,
  MODELREPO_LOG_ERROR = 3,
  MODELREPO_LOG_MIN_ENUM_ = -0x7fffffff - 1, /* not a level: see "Enums" above */
  MODELREPO_LOG_MAX_ENUM_ = 0x7fffffff
} modelrepo_log_level;

/* Receives the repository's log messages (loads, unloads and their outcomes). Called from
 * whichever thread did the work, possibly several at once: it must be thread-safe. `message`
 * is borrowed for the duration of the call. */
typedef void (*modelrepo_log_fn)(void* user_data, modelrepo_log_level level, const char* message);

/* Options for modelrepo_repository_open. A plain value: build it on one thread (it is not
 * synchronised), then it may be passed to any number of opens, also concurrently. */
typedef struct modelrepo_open_options modelrepo_open_options;

/* New options holding the defaults documented on each setter. *out: owned, release with
 * modelrepo_open_options_free. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_open_options_create(modelrepo_open_options** out);
/* Releases `options`. NULL: no-op. */
MODELREPO_C_EXPORT void modelrepo_open_options_free(modelrepo_open_options* options);
/* Non-zero: load every model found when the repository is opened (MLServer's
 * load_models_at_startup). Models that fail to load are UNAVAILABLE with their reason; the open
 * still succeeds. Default: 1. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_open_options_set_load_models_at_startup(
    modelrepo_open_options* options, int load);
/* Where the repository sends its log messages; NULL `fn` (the default) sends them nowhere.
 * `user_data` is passed back to `fn` unchanged and must stay valid until every repository opened
 * with these options is closed. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_open_options_set_logger(
    modelrepo_open_options* options, modelrepo_log_fn fn, void* user_data);

/* The models of one model-repository folder: their lifecycle and inference on them.
 *
 * Thread safety: every function taking a repository may be called from any number of threads at
 * once, except modelrepo_repository_close, which must be the last call: no other call on the
 * repository may be running or start after it. Loads and unloads of one model are serialised;
 * calls for different models do not wait on each other. Objects obtained from a repository
 * (index, metadata, responses) are independent of it and may outlive it. */
typedef struct modelrepo_repository modelrepo_repository;

/* Opens the repository folder `root` and scans it for model-settings.json files; with
 * load_models_at_startup (the default), loads every model before returning. `options` may be
 * NULL for the defaults; it is not referenced after the call.
 * *out: owned, release with modelrepo_repository_close.
 * Errors: NOT_FOUND when `root` is not an existing folder. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_repository_open(
    const char* root, const modelrepo_open_options* options, modelrepo_repository** out);
/* Unloads everything and releases `repo`. NULL: no-op. */
MODELREPO_C_EXPORT void modelrepo_repository_close(modelrepo_repository* repo);

/* The folder `repo` serves, as given to open. *out: borrowed from `repo`. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_repository_root(const modelrepo_repository* repo,
                                                               const char** out);

/* ---- Repository index ---------------------------------------------------------------------- */

/* Lifecycle state of a model version (values of the C++ modelrepo::ModelState). */
typedef enum modelrepo_model_state {
  MODELREPO_STATE_UNAVAILABLE = 0, /* on disk but not loaded, unloaded, or failed to load */
  MODELREPO_STATE_LOADING = 1,
  MODELREPO_STATE_READY = 2,
  MODELREPO_STATE_UNLOADING = 3, /* refusing new requests; running ones are finishing */
  MODELREPO_STATE_MIN_ENUM_ = -0x7fffffff - 1, /* not a state: see "Enums" above */
  MODELREPO_STATE_MAX_ENUM_ = 0x7fffffff
} modelrepo_model_state;

/* "UNAVAILABLE", "LOADING", "READY", "UNLOADING"; "INVALID" outside the enum. Static. */
MODELREPO_C_EXPORT const char* modelrepo_model_state_name(modelrepo_model_state state);

/* A snapshot of the repository's model versions, sorted by name then version. Immutable: any
 * number of threads may read it. */
typedef struct modelrepo_index modelrepo_index;

/* Rescans the folder and lists every model version found; with `ready_only` non-zero, only the
 * READY ones. *out: owned, release with modelrepo_index_free. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_repository_index(modelrepo_repository* repo,
                                                                int ready_only,
                                                                modelrepo_index** out);
/* Releases `index`. NULL: no-op. */
MODELREPO_C_EXPORT void modelrepo_index_free(modelrepo_index* index);
/* Number of entries. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_index_size(const modelrepo_index* index,
                                                          size_t* out);
/* Entry `i` (0 <= i < size; INVALID_ARGUMENT otherwise). Each out-parameter may be NULL when not
 * wanted. name, version ("" when the model has none) and reason ("" or why the version is
 * UNAVAILABLE, e.g. "unloaded" or a load error): borrowed from `index`. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_index_entry(const modelrepo_index* index, size_t i,
                                                           const char** name,
                                                           const char** version,
                                                           modelrepo_model_state* state,
                                                           const char** reason);

/* ---- Load, unload, readiness --------------------------------------------------------------- */

/* Rescans the folder, then loads every version of model `name`, returning once they are READY.
 * Loading a loaded model reloads it: the old copy serves until the new one is READY, and keeps
 * serving if the new one fails. Errors: NOT_FOUND for an unknown name; INVALID_ARGUMENT with the
 * runtime's reason when a version fails to load. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_repository_load(modelrepo_repository* repo,
                                                               const char* name);
/* Stops new requests to every version of `name` and returns; requests already running finish and
 * the model is freed when the last one ends. Errors: NOT_FOUND when no version is loaded. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_repository_unload(modelrepo_repository* repo,
                                                                 const char* name);
/* *ready = 1 when the version (NULL or "": the default one) is READY, else 0.
 * Errors: NOT_FOUND when the repository has no model `name` or no such version. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_repository_is_ready(modelrepo_repository* repo,
                                                                   const char* name,
                                                                   const char* version,
                                                                   int* ready);

/* ---- Metadata ------------------------------------------------------------------------------ */

/* What a loaded model version declares: its name, versions, platform, inputs and outputs.
 * Immutable: any number of threads may read it. */
typedef struct modelrepo_metadata modelrepo_metadata;

/* Metadata of a loaded version of `name` (`version` NULL or "": the default one).
 * *out: owned, release with modelrepo_metadata_free. Errors: NOT_FOUND unless that version is
 * loaded; UNAVAILABLE while it is loading. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_repository_metadata(modelrepo_repository* repo,
                                                                   const char* name,
                                                                   const char* version,
                                                                   modelrepo_metadata** out);
/* Releases `metadata`. NULL: no-op. */
MODELREPO_C_EXPORT void modelrepo_metadata_free(modelrepo_metadata* metadata);
/* The model's name and platform ("xgboost", "libsvm", or what model-settings.json says).
 * Each out-parameter may be NULL; the strings are borrowed from `metadata`. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_metadata_model(const modelrepo_metadata* metadata,
                                                              const char** name,
                                                              const char** platform);
/* Number of versions of the model found in the repository (0 for a model without versions). */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_metadata_version_count(
    const modelrepo_metadata* metadata, size_t* out);
/* Version `i`, ascending (0 <= i < count). *out: borrowed from `metadata`. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_metadata_version(const modelrepo_metadata* metadata,
                                                                size_t i, const char** out);
/* Number of declared inputs / outputs. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_metadata_input_count(
    const modelrepo_metadata* metadata, size_t* out);
MODELREPO_C_EXPORT modelrepo_status* modelrepo_metadata_output_count(
    const modelrepo_metadata* metadata, size_t* out);
/* Input / output `i` (0 <= i < count): its name, datatype, and shape of `rank` dimensions, -1
 * for a dimension of any size. Each out-parameter may be NULL; name and shape are borrowed
 * from `metadata` (shape is NULL when rank is 0). */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_metadata_input(const modelrepo_metadata* metadata,
                                                              size_t i, const char** name,
                                                              modelrepo_datatype* datatype,
                                                              const int64_t** shape,
                                                              size_t* rank);
MODELREPO_C_EXPORT modelrepo_status* modelrepo_metadata_output(const modelrepo_metadata* metadata,
                                                               size_t i, const char** name,
                                                               modelrepo_datatype* datatype,
                                                               const int64_t** shape,
                                                               size_t* rank);

/* ---- Inference ----------------------------------------------------------------------------- */

/* An inference request: model, version, named input tensors, names of the outputs wanted.
 * Building it (add_input, add_output) is not synchronised: one thread at a time. Once built, it
 * may be passed to modelrepo_repository_infer from several threads at once and reused. */
typedef struct modelrepo_infer_request modelrepo_infer_request;

/* A new request for model `model` (`version` NULL or "": the default version, the highest READY
 * one). *out: owned, release with modelrepo_infer_request_free. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_infer_request_create(const char* model,
                                                                    const char* version,
                                                                    modelrepo_infer_request** out);
/* Releases `request`. NULL: no-op. */
MODELREPO_C_EXPORT void modelrepo_infer_request_free(modelrepo_infer_request* request);
/* Adds the input tensor `name` of `datatype` with the shape of `rank` dimensions in `shape`
 * (may be NULL when rank is 0), and `byte_size` bytes of `data` (may be NULL when byte_size is
 * 0), which are copied. Tabular models (XGBoost, libsvm) take one input of shape [N, F] or [F],
 * of any numeric datatype.
 * Errors: INVALID_ARGUMENT for an unknown datatype, a negative dimension, a shape whose element
 * count overflows, a byte_size that does not match the shape (for BYTES: a buffer that is not
 * exactly as many length-prefixed elements as the shape implies), or a name already added. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_infer_request_add_input(
    modelrepo_infer_request* request, const char* name, modelrepo_datatype datatype,
    const int64_t* shape, size_t rank, const void* data, size_t byte_size);
/* Asks for the output `name` ("predict", "predict_proba", "decision_function", ...). Outputs
 * come back in the order asked for; with none asked for, the model's default output.
 * Errors: INVALID_ARGUMENT for a name already added. (A name the model cannot produce is
 * reported by modelrepo_repository_infer.) */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_infer_request_add_output(
    modelrepo_infer_request* request, const char* name);

/* The outputs of one inference. Immutable: any number of threads may read it. */
typedef struct modelrepo_infer_response modelrepo_infer_response;

/* Runs `request`. *out: owned, release with modelrepo_infer_response_free.
 * Errors: NOT_FOUND for an unknown or unloaded model or version; UNAVAILABLE while it is still
 * loading; INVALID_ARGUMENT for a request the model cannot take (number of inputs, feature count,
 * datatype, an output it cannot produce), with a message naming the problem. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_repository_infer(
    modelrepo_repository* repo, const modelrepo_infer_request* request,
    modelrepo_infer_response** out);
/* Releases `response`. NULL: no-op. */
MODELREPO_C_EXPORT void modelrepo_infer_response_free(modelrepo_infer_response* response);
/* The model and version ("" when the model has none) that answered. Each out-parameter may be
 * NULL; the strings are borrowed from `response`. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_infer_response_model(
    const modelrepo_infer_response* response, const char** name, const char** version);
/* Number of outputs. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_infer_response_output_count(
    const modelrepo_infer_response* response, size_t* out);
/* Output `i` (0 <= i < count): name, datatype, shape of `rank` dimensions, and `byte_size` bytes
 * of data in the layout described at modelrepo_datatype. Each out-parameter may be NULL; name,
 * shape (NULL when rank is 0) and data (NULL when byte_size is 0) are borrowed from `response`.
 * The data is suitably aligned for its datatype. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_infer_response_output(
    const modelrepo_infer_response* response, size_t i, const char** name,
    modelrepo_datatype* datatype, const int64_t** shape, size_t* rank, const void** data,
    size_t* byte_size);
/* *index = the position of the output called `name`. Errors: NOT_FOUND when there is none. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_infer_response_find_output(
    const modelrepo_infer_response* response, const char* name, size_t* index);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MODELREPO_C_API_H_ */
