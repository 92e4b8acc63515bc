/* Tests of libmodelrepo's C API, compiled as C99 with warnings as errors: every function, and
 * every error it documents. Usage: c_api_test EXAMPLES_MODELS_DIR */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modelrepo/c_api.h"
#include "test_util.h"

static const char* g_models_dir;

/* The first rows of examples/data/agaricus.txt.test (label 0) and digits.test.libsvm (label 8),
 * and what the example models answer for them (python3-xgboost: 0.28583016991615295). */
static const int kMushroomOnes[] = {0,  8,  18, 20, 23, 33, 35, 38,  41,  52,  55,
                                    64, 68, 76, 85, 87, 91, 94, 101, 105, 116, 121};
static const double kMushroomP = 0.28583016991615295;
static const int kDigit[64] = {
     0,  0,  1, 11, 14, 15,  3,  0,  0,  1, 13, 16, 12, 16,  8,  0,
     0,  8, 16,  4,  6, 16,  5,  0,  0,  5, 15, 11, 13, 14,  0,  0,
     0,  0,  2, 12, 16, 13,  0,  0,  0,  0,  0, 13, 16, 16,  6,  0,
     0,  0,  0, 16, 16, 16,  7,  0,  0,  0,  0, 11, 13, 12,  1,  0};

static void mushroom_row(float* row) {
  size_t i;
  memset(row, 0, 126 * sizeof(float));
  for (i = 0; i < sizeof kMushroomOnes / sizeof kMushroomOnes[0]; ++i) row[kMushroomOnes[i]] = 1.0f;
}

static void digit_row(double* row) {
  int i;
  for (i = 0; i < 64; ++i) row[i] = kDigit[i];
}

static modelrepo_repository* open_repo(const char* root, int load_at_startup) {
  modelrepo_open_options* options = NULL;
  modelrepo_repository* repo = NULL;
  CHECK_OK(modelrepo_open_options_create(&options));
  CHECK_OK(modelrepo_open_options_set_load_models_at_startup(options, load_at_startup));
  CHECK_OK(modelrepo_repository_open(root, options, &repo));
  modelrepo_open_options_free(options);
  return repo;
}

/* The state and reason of `name` in a fresh index; -1 when absent. */
static int index_state(modelrepo_repository* repo, const char* name, char* reason, size_t cap) {
  modelrepo_index* index = NULL;
  size_t n = 0, i;
  int state = -1;
  if (!CHECK_OK(modelrepo_repository_index(repo, 0, &index))) return -1;
  CHECK_OK(modelrepo_index_size(index, &n));
  for (i = 0; i < n; ++i) {
    const char* entry_name = NULL;
    const char* entry_reason = NULL;
    modelrepo_model_state entry_state;
    CHECK_OK(modelrepo_index_entry(index, i, &entry_name, NULL, &entry_state, &entry_reason));
    if (strcmp(entry_name, name) == 0) {
      state = (int)entry_state;
      if (reason) {
        strncpy(reason, entry_reason, cap - 1);
        reason[cap - 1] = '\0';
      }
    }
  }
  modelrepo_index_free(index);
  return state;
}

/* Runs mushroom-xgboost on one row given as `datatype`; returns p (or NAN on error). */
static double mushroom_p(modelrepo_repository* repo, modelrepo_datatype datatype,
                         const void* row, size_t byte_size) {
  modelrepo_infer_request* req = NULL;
  modelrepo_infer_response* res = NULL;
  int64_t shape[2] = {1, 126};
  double p = NAN;
  const void* data = NULL;
  size_t bytes = 0, rank = 0;
  const int64_t* dims = NULL;
  modelrepo_datatype type;
  CHECK_OK(modelrepo_infer_request_create("mushroom-xgboost", NULL, &req));
  CHECK_OK(modelrepo_infer_request_add_input(req, "input-0", datatype, shape, 2, row, byte_size));
  if (CHECK_OK(modelrepo_repository_infer(repo, req, &res)) &&
      CHECK_OK(modelrepo_infer_response_output(res, 0, NULL, &type, &dims, &rank, &data, &bytes))) {
    CHECK(type == MODELREPO_TYPE_FP32);
    CHECK(rank == 2 && dims[0] == 1 && dims[1] == 1);
    CHECK(bytes == sizeof(float));
    p = *(const float*)data;
  }
  modelrepo_infer_response_free(res);
  modelrepo_infer_request_free(req);
  return p;
}

static void test_versions_and_names(void) {
  int major = -1, minor = -1, patch = -1;
  CHECK(modelrepo_c_api_version(&major, &minor, &patch) == MODELREPO_C_API_VERSION);
  CHECK(major == MODELREPO_C_API_VERSION_MAJOR);
  CHECK(minor == MODELREPO_C_API_VERSION_MINOR);
  CHECK(patch == MODELREPO_C_API_VERSION_PATCH);
  CHECK(modelrepo_c_api_version(NULL, NULL, NULL) == MODELREPO_C_API_VERSION);
  CHECK(MODELREPO_C_API_VERSION == major * 10000 + minor * 100 + patch);
  CHECK(strchr(modelrepo_library_version(), '.') != NULL);

  CHECK(strcmp(modelrepo_code_name(MODELREPO_OK), "OK") == 0);
  CHECK(strcmp(modelrepo_code_name(MODELREPO_INVALID_ARGUMENT), "INVALID_ARGUMENT") == 0);
  CHECK(strcmp(modelrepo_code_name(MODELREPO_NOT_FOUND), "NOT_FOUND") == 0);
  CHECK(strcmp(modelrepo_code_name(MODELREPO_UNAVAILABLE), "UNAVAILABLE") == 0);
  CHECK(strcmp(modelrepo_code_name(MODELREPO_UNIMPLEMENTED), "UNIMPLEMENTED") == 0);
  CHECK(strcmp(modelrepo_code_name(MODELREPO_INTERNAL), "INTERNAL") == 0);
  CHECK(strcmp(modelrepo_code_name(MODELREPO_PERMISSION_DENIED), "PERMISSION_DENIED") == 0);
  CHECK(strcmp(modelrepo_code_name((modelrepo_code)7), "UNKNOWN") == 0);
  CHECK(strcmp(modelrepo_code_name((modelrepo_code)-1), "UNKNOWN") == 0);
  CHECK(strcmp(modelrepo_code_name(MODELREPO_CODE_MIN_ENUM_), "UNKNOWN") == 0);
  CHECK(strcmp(modelrepo_code_name(MODELREPO_CODE_MAX_ENUM_), "UNKNOWN") == 0);

  {
    static const char* const names[] = {"BOOL",  "UINT8", "UINT16", "UINT32", "UINT64",
                                        "INT8",  "INT16", "INT32",  "INT64",  "FP16",
                                        "FP32",  "FP64",  "BYTES"};
    static const size_t sizes[] = {1, 1, 2, 4, 8, 1, 2, 4, 8, 2, 4, 8, 0};
    int t;
    for (t = 0; t <= MODELREPO_TYPE_BYTES; ++t) {
      CHECK(strcmp(modelrepo_datatype_name((modelrepo_datatype)t), names[t]) == 0);
      CHECK(modelrepo_datatype_size((modelrepo_datatype)t) == sizes[t]);
    }
    CHECK(strcmp(modelrepo_datatype_name((modelrepo_datatype)13), "INVALID") == 0);
    CHECK(strcmp(modelrepo_datatype_name((modelrepo_datatype)-1), "INVALID") == 0);
    CHECK(modelrepo_datatype_size((modelrepo_datatype)13) == 0);
    CHECK(modelrepo_datatype_size((modelrepo_datatype)-1) == 0);
    CHECK(strcmp(modelrepo_datatype_name(MODELREPO_TYPE_MAX_ENUM_), "INVALID") == 0);
    CHECK(strcmp(modelrepo_datatype_name(MODELREPO_TYPE_MIN_ENUM_), "INVALID") == 0);
  }

  CHECK(strcmp(modelrepo_model_state_name(MODELREPO_STATE_UNAVAILABLE), "UNAVAILABLE") == 0);
  CHECK(strcmp(modelrepo_model_state_name(MODELREPO_STATE_LOADING), "LOADING") == 0);
  CHECK(strcmp(modelrepo_model_state_name(MODELREPO_STATE_READY), "READY") == 0);
  CHECK(strcmp(modelrepo_model_state_name(MODELREPO_STATE_UNLOADING), "UNLOADING") == 0);
  CHECK(strcmp(modelrepo_model_state_name((modelrepo_model_state)4), "INVALID") == 0);
  CHECK(strcmp(modelrepo_model_state_name((modelrepo_model_state)-1), "INVALID") == 0);
  CHECK(sizeof(modelrepo_datatype) == sizeof(int));
  CHECK(sizeof(modelrepo_code) == sizeof(int));
}

static void test_null_objects(void) {
  CHECK(modelrepo_status_code(NULL) == MODELREPO_OK);
  CHECK(strcmp(modelrepo_status_message(NULL), "") == 0);
  modelrepo_status_free(NULL);
  modelrepo_open_options_free(NULL);
  modelrepo_repository_close(NULL);
  modelrepo_index_free(NULL);
  modelrepo_metadata_free(NULL);
  modelrepo_infer_request_free(NULL);
  modelrepo_infer_response_free(NULL);
}

static void test_open_errors(const char* tmp) {
  modelrepo_repository* repo = (modelrepo_repository*)&g_checks; /* must stay untouched */
  modelrepo_repository* const sentinel = repo;
  modelrepo_open_options* options = NULL;
  char path[4096];
  FILE* f;

  CHECK_ERROR(modelrepo_repository_open(NULL, NULL, &repo), MODELREPO_INVALID_ARGUMENT, "root");
  CHECK_ERROR(modelrepo_repository_open(g_models_dir, NULL, NULL), MODELREPO_INVALID_ARGUMENT,
              "out");
  CHECK_ERROR(modelrepo_repository_open("/nonexistent/models", NULL, &repo), MODELREPO_NOT_FOUND,
              "/nonexistent/models");
  snprintf(path, sizeof path, "%s/a-file", tmp);
  f = fopen(path, "w");
  CHECK(f != NULL);
  if (f) fclose(f);
  CHECK_ERROR(modelrepo_repository_open(path, NULL, &repo), MODELREPO_NOT_FOUND, "a-file");
  unlink(path);
  CHECK(repo == sentinel);

  CHECK_ERROR(modelrepo_open_options_create(NULL), MODELREPO_INVALID_ARGUMENT, "out");
  CHECK_ERROR(modelrepo_open_options_set_load_models_at_startup(NULL, 1),
              MODELREPO_INVALID_ARGUMENT, "options");
  CHECK_ERROR(modelrepo_open_options_set_logger(NULL, NULL, NULL), MODELREPO_INVALID_ARGUMENT,
              "options");
  CHECK_OK(modelrepo_open_options_create(&options));
  CHECK_OK(modelrepo_open_options_set_logger(options, NULL, NULL));
  modelrepo_open_options_free(options);
}

static void test_walkthrough(void) {
  modelrepo_repository* repo = NULL;
  modelrepo_index* index = NULL;
  size_t n = 0;
  const char *name, *version, *reason, *root;
  modelrepo_model_state state;
  int ready = -1;
  char why[256];
  float row[126];

  /* NULL options: the defaults, which load every model. */
  if (!CHECK_OK(modelrepo_repository_open(g_models_dir, NULL, &repo))) return;
  CHECK_OK(modelrepo_repository_root(repo, &root));
  CHECK(strcmp(root, g_models_dir) == 0);
  CHECK_ERROR(modelrepo_repository_root(NULL, &root), MODELREPO_INVALID_ARGUMENT, "repo");
  CHECK_ERROR(modelrepo_repository_root(repo, NULL), MODELREPO_INVALID_ARGUMENT, "out");

  /* 1. index: both models READY, sorted by name. */
  CHECK_OK(modelrepo_repository_index(repo, 0, &index));
  CHECK_OK(modelrepo_index_size(index, &n));
  CHECK(n == 2);
  if (n == 2) {
    CHECK_OK(modelrepo_index_entry(index, 0, &name, &version, &state, &reason));
    CHECK(strcmp(name, "mnist-svm") == 0 && strcmp(version, "v0.1.0") == 0);
    CHECK(state == MODELREPO_STATE_READY && strcmp(reason, "") == 0);
    CHECK_OK(modelrepo_index_entry(index, 1, &name, &version, &state, &reason));
    CHECK(strcmp(name, "mushroom-xgboost") == 0 && strcmp(version, "v0.1.0") == 0);
    CHECK(state == MODELREPO_STATE_READY && strcmp(reason, "") == 0);
    CHECK_OK(modelrepo_index_entry(index, 1, NULL, NULL, NULL, NULL));
  }
  CHECK_ERROR(modelrepo_index_entry(index, 2, &name, &version, &state, &reason),
              MODELREPO_INVALID_ARGUMENT, "out of range");
  CHECK_ERROR(modelrepo_index_entry(NULL, 0, &name, NULL, NULL, NULL), MODELREPO_INVALID_ARGUMENT,
              "index");
  CHECK_ERROR(modelrepo_index_size(NULL, &n), MODELREPO_INVALID_ARGUMENT, "index");
  CHECK_ERROR(modelrepo_index_size(index, NULL), MODELREPO_INVALID_ARGUMENT, "out");
  modelrepo_index_free(index);
  CHECK_ERROR(modelrepo_repository_index(NULL, 0, &index), MODELREPO_INVALID_ARGUMENT, "repo");
  CHECK_ERROR(modelrepo_repository_index(repo, 0, NULL), MODELREPO_INVALID_ARGUMENT, "out");

  /* 2. unload mushroom-xgboost: UNAVAILABLE "unloaded", not ready, requests refused. */
  CHECK_OK(modelrepo_repository_unload(repo, "mushroom-xgboost"));
  CHECK(index_state(repo, "mushroom-xgboost", why, sizeof why) == MODELREPO_STATE_UNAVAILABLE);
  CHECK(strcmp(why, "unloaded") == 0);
  CHECK(index_state(repo, "mnist-svm", NULL, 0) == MODELREPO_STATE_READY);
  CHECK_OK(modelrepo_repository_index(repo, 1, &index));
  CHECK_OK(modelrepo_index_size(index, &n));
  CHECK(n == 1);
  modelrepo_index_free(index);
  CHECK_OK(modelrepo_repository_is_ready(repo, "mushroom-xgboost", NULL, &ready));
  CHECK(ready == 0);
  CHECK_OK(modelrepo_repository_is_ready(repo, "mushroom-xgboost", "v0.1.0", &ready));
  CHECK(ready == 0);
  mushroom_row(row);
  {
    modelrepo_infer_request* req = NULL;
    modelrepo_infer_response* res = NULL;
    modelrepo_metadata* md = NULL;
    int64_t shape[2] = {1, 126};
    CHECK_OK(modelrepo_infer_request_create("mushroom-xgboost", NULL, &req));
    CHECK_OK(modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_FP32, shape, 2, row,
                                               sizeof row));
    CHECK_ERROR(modelrepo_repository_infer(repo, req, &res), MODELREPO_NOT_FOUND,
                "mushroom-xgboost");
    CHECK(res == NULL);
    CHECK_ERROR(modelrepo_repository_metadata(repo, "mushroom-xgboost", NULL, &md),
                MODELREPO_NOT_FOUND, "mushroom-xgboost");
    CHECK(md == NULL);
    modelrepo_infer_request_free(req);
  }
  CHECK_ERROR(modelrepo_repository_unload(repo, "mushroom-xgboost"), MODELREPO_NOT_FOUND,
              "mushroom-xgboost");

  /* 3. load it again: READY, serving. */
  CHECK_OK(modelrepo_repository_load(repo, "mushroom-xgboost"));
  CHECK(index_state(repo, "mushroom-xgboost", why, sizeof why) == MODELREPO_STATE_READY);
  CHECK(strcmp(why, "") == 0);
  CHECK_OK(modelrepo_repository_is_ready(repo, "mushroom-xgboost", "", &ready));
  CHECK(ready == 1);
  CHECK(fabs(mushroom_p(repo, MODELREPO_TYPE_FP32, row, sizeof row) - kMushroomP) < 1e-6);
  /* Loading a loaded model reloads it; it keeps serving. */
  CHECK_OK(modelrepo_repository_load(repo, "mushroom-xgboost"));
  CHECK(fabs(mushroom_p(repo, MODELREPO_TYPE_FP32, row, sizeof row) - kMushroomP) < 1e-6);

  /* Errors of load, unload and is_ready. */
  CHECK_ERROR(modelrepo_repository_load(repo, "no-such-model"), MODELREPO_NOT_FOUND,
              "no-such-model");
  CHECK_ERROR(modelrepo_repository_unload(repo, "no-such-model"), MODELREPO_NOT_FOUND,
              "no-such-model");
  CHECK_ERROR(modelrepo_repository_is_ready(repo, "no-such-model", NULL, &ready),
              MODELREPO_NOT_FOUND, "no-such-model");
  CHECK_ERROR(modelrepo_repository_is_ready(repo, "mnist-svm", "v9", &ready), MODELREPO_NOT_FOUND,
              "v9");
  CHECK_ERROR(modelrepo_repository_load(NULL, "mnist-svm"), MODELREPO_INVALID_ARGUMENT, "repo");
  CHECK_ERROR(modelrepo_repository_load(repo, NULL), MODELREPO_INVALID_ARGUMENT, "name");
  CHECK_ERROR(modelrepo_repository_unload(NULL, "mnist-svm"), MODELREPO_INVALID_ARGUMENT, "repo");
  CHECK_ERROR(modelrepo_repository_unload(repo, NULL), MODELREPO_INVALID_ARGUMENT, "name");
  CHECK_ERROR(modelrepo_repository_is_ready(NULL, "mnist-svm", NULL, &ready),
              MODELREPO_INVALID_ARGUMENT, "repo");
  CHECK_ERROR(modelrepo_repository_is_ready(repo, NULL, NULL, &ready), MODELREPO_INVALID_ARGUMENT,
              "name");
  CHECK_ERROR(modelrepo_repository_is_ready(repo, "mnist-svm", NULL, NULL),
              MODELREPO_INVALID_ARGUMENT, "ready");

  modelrepo_repository_close(repo);
}

static void check_spec(const modelrepo_metadata* md, int input, size_t i, const char* name,
                       modelrepo_datatype datatype, int64_t d0, int64_t d1) {
  const char* n = NULL;
  modelrepo_datatype t;
  const int64_t* shape = NULL;
  size_t rank = 0;
  modelrepo_status* st = input ? modelrepo_metadata_input(md, i, &n, &t, &shape, &rank)
                               : modelrepo_metadata_output(md, i, &n, &t, &shape, &rank);
  if (!CHECK_OK(st)) return;
  CHECK(strcmp(n, name) == 0);
  CHECK(t == datatype);
  CHECK(rank == 2 && shape[0] == d0 && shape[1] == d1);
}

static void test_metadata(modelrepo_repository* repo) {
  modelrepo_metadata* md = NULL;
  const char *name, *platform, *version;
  size_t n = 0, i;
  int found_proba = 0;

  CHECK_OK(modelrepo_repository_metadata(repo, "mnist-svm", NULL, &md));
  CHECK_OK(modelrepo_metadata_model(md, &name, &platform));
  CHECK(strcmp(name, "mnist-svm") == 0);
  CHECK(strcmp(platform, "libsvm") == 0);
  CHECK_OK(modelrepo_metadata_model(md, NULL, NULL));
  CHECK_OK(modelrepo_metadata_version_count(md, &n));
  CHECK(n == 1);
  CHECK_OK(modelrepo_metadata_version(md, 0, &version));
  CHECK(strcmp(version, "v0.1.0") == 0);
  CHECK_ERROR(modelrepo_metadata_version(md, 1, &version), MODELREPO_INVALID_ARGUMENT,
              "out of range");
  /* mnist-svm's model-settings.json declares its input. */
  CHECK_OK(modelrepo_metadata_input_count(md, &n));
  CHECK(n == 1);
  check_spec(md, 1, 0, "predict", MODELREPO_TYPE_FP64, -1, 64);
  CHECK_OK(modelrepo_metadata_input(md, 0, NULL, NULL, NULL, NULL));
  CHECK_ERROR(modelrepo_metadata_input(md, 1, &name, NULL, NULL, NULL), MODELREPO_INVALID_ARGUMENT,
              "out of range");
  CHECK_OK(modelrepo_metadata_output_count(md, &n));
  CHECK(n >= 1);
  CHECK_ERROR(modelrepo_metadata_output(md, n, &name, NULL, NULL, NULL),
              MODELREPO_INVALID_ARGUMENT, "out of range");
  /* Errors on a metadata object. */
  CHECK_ERROR(modelrepo_metadata_model(NULL, &name, &platform), MODELREPO_INVALID_ARGUMENT,
              "metadata");
  CHECK_ERROR(modelrepo_metadata_version_count(NULL, &n), MODELREPO_INVALID_ARGUMENT, "metadata");
  CHECK_ERROR(modelrepo_metadata_version_count(md, NULL), MODELREPO_INVALID_ARGUMENT, "out");
  CHECK_ERROR(modelrepo_metadata_version(NULL, 0, &version), MODELREPO_INVALID_ARGUMENT,
              "metadata");
  CHECK_ERROR(modelrepo_metadata_version(md, 0, NULL), MODELREPO_INVALID_ARGUMENT, "out");
  CHECK_ERROR(modelrepo_metadata_input_count(NULL, &n), MODELREPO_INVALID_ARGUMENT, "metadata");
  CHECK_ERROR(modelrepo_metadata_input_count(md, NULL), MODELREPO_INVALID_ARGUMENT, "out");
  CHECK_ERROR(modelrepo_metadata_output_count(NULL, &n), MODELREPO_INVALID_ARGUMENT, "metadata");
  CHECK_ERROR(modelrepo_metadata_output_count(md, NULL), MODELREPO_INVALID_ARGUMENT, "out");
  CHECK_ERROR(modelrepo_metadata_input(NULL, 0, &name, NULL, NULL, NULL),
              MODELREPO_INVALID_ARGUMENT, "metadata");
  CHECK_ERROR(modelrepo_metadata_output(NULL, 0, &name, NULL, NULL, NULL),
              MODELREPO_INVALID_ARGUMENT, "metadata");
  modelrepo_metadata_free(md);
  md = NULL;

  /* mushroom-xgboost declares nothing: what the runtime knows, one input [-1, 126]. */
  CHECK_OK(modelrepo_repository_metadata(repo, "mushroom-xgboost", "v0.1.0", &md));
  CHECK_OK(modelrepo_metadata_model(md, &name, &platform));
  CHECK(strcmp(name, "mushroom-xgboost") == 0);
  CHECK(strcmp(platform, "xgboost") == 0);
  CHECK_OK(modelrepo_metadata_input_count(md, &n));
  CHECK(n == 1);
  if (n == 1) {
    modelrepo_datatype t;
    const int64_t* shape = NULL;
    size_t rank = 0;
    CHECK_OK(modelrepo_metadata_input(md, 0, &name, &t, &shape, &rank));
    CHECK(rank == 2 && shape[0] == -1 && shape[1] == 126);
  }
  CHECK_OK(modelrepo_metadata_output_count(md, &n));
  for (i = 0; i < n; ++i) {
    CHECK_OK(modelrepo_metadata_output(md, i, &name, NULL, NULL, NULL));
    if (strcmp(name, "predict_proba") == 0) found_proba = 1;
  }
  CHECK(found_proba);
  modelrepo_metadata_free(md);

  md = NULL;
  CHECK_ERROR(modelrepo_repository_metadata(repo, "no-such-model", NULL, &md), MODELREPO_NOT_FOUND,
              "no-such-model");
  CHECK_ERROR(modelrepo_repository_metadata(repo, "mnist-svm", "v9", &md), MODELREPO_NOT_FOUND,
              "v9");
  CHECK_ERROR(modelrepo_repository_metadata(NULL, "mnist-svm", NULL, &md),
              MODELREPO_INVALID_ARGUMENT, "repo");
  CHECK_ERROR(modelrepo_repository_metadata(repo, NULL, NULL, &md), MODELREPO_INVALID_ARGUMENT,
              "name");
  CHECK_ERROR(modelrepo_repository_metadata(repo, "mnist-svm", NULL, NULL),
              MODELREPO_INVALID_ARGUMENT, "out");
  CHECK(md == NULL);
}

static void test_infer(modelrepo_repository* repo) {
  modelrepo_infer_request* req = NULL;
  modelrepo_infer_response* res = NULL;
  double digits[2 * 64];
  int64_t shape[2] = {2, 64};
  size_t n = 0, i, rank, bytes;
  const char *name, *version;
  modelrepo_datatype type;
  const int64_t* dims;
  const void* data;

  digit_row(digits);
  digit_row(digits + 64);
  CHECK_OK(modelrepo_infer_request_create("mnist-svm", "v0.1.0", &req));
  CHECK_OK(modelrepo_infer_request_add_input(req, "predict", MODELREPO_TYPE_FP64, shape, 2, digits,
                                             sizeof digits));
  CHECK_OK(modelrepo_infer_request_add_output(req, "decision_function"));
  CHECK_OK(modelrepo_infer_request_add_output(req, "predict"));
  if (!CHECK_OK(modelrepo_repository_infer(repo, req, &res))) {
    modelrepo_infer_request_free(req);
    return;
  }
  CHECK_OK(modelrepo_infer_response_model(res, &name, &version));
  CHECK(strcmp(name, "mnist-svm") == 0 && strcmp(version, "v0.1.0") == 0);
  CHECK_OK(modelrepo_infer_response_model(res, NULL, NULL));
  CHECK_OK(modelrepo_infer_response_output_count(res, &n));
  CHECK(n == 2);
  /* Outputs in the order asked for. */
  CHECK_OK(modelrepo_infer_response_output(res, 0, &name, &type, &dims, &rank, &data, &bytes));
  CHECK(strcmp(name, "decision_function") == 0 && type == MODELREPO_TYPE_FP64);
  CHECK(rank == 2 && dims[0] == 2 && dims[1] == 45 && bytes == 2 * 45 * sizeof(double));
  CHECK(((uintptr_t)data % sizeof(double)) == 0);
  CHECK_OK(modelrepo_infer_response_output(res, 1, &name, &type, &dims, &rank, &data, &bytes));
  CHECK(strcmp(name, "predict") == 0 && type == MODELREPO_TYPE_INT64);
  CHECK(rank == 2 && dims[0] == 2 && dims[1] == 1 && bytes == 2 * sizeof(int64_t));
  CHECK(((const int64_t*)data)[0] == 8 && ((const int64_t*)data)[1] == 8);
  CHECK_OK(modelrepo_infer_response_output(res, 1, NULL, NULL, NULL, NULL, NULL, NULL));
  CHECK_OK(modelrepo_infer_response_find_output(res, "predict", &i));
  CHECK(i == 1);
  CHECK_ERROR(modelrepo_infer_response_find_output(res, "predict_proba", &i), MODELREPO_NOT_FOUND,
              "predict_proba");
  /* Errors on a response. */
  CHECK_ERROR(modelrepo_infer_response_output(res, 2, &name, NULL, NULL, NULL, NULL, NULL),
              MODELREPO_INVALID_ARGUMENT, "out of range");
  CHECK_ERROR(modelrepo_infer_response_output(NULL, 0, &name, NULL, NULL, NULL, NULL, NULL),
              MODELREPO_INVALID_ARGUMENT, "response");
  CHECK_ERROR(modelrepo_infer_response_model(NULL, &name, &version), MODELREPO_INVALID_ARGUMENT,
              "response");
  CHECK_ERROR(modelrepo_infer_response_output_count(NULL, &n), MODELREPO_INVALID_ARGUMENT,
              "response");
  CHECK_ERROR(modelrepo_infer_response_output_count(res, NULL), MODELREPO_INVALID_ARGUMENT, "out");
  CHECK_ERROR(modelrepo_infer_response_find_output(NULL, "predict", &i),
              MODELREPO_INVALID_ARGUMENT, "response");
  CHECK_ERROR(modelrepo_infer_response_find_output(res, NULL, &i), MODELREPO_INVALID_ARGUMENT,
              "name");
  CHECK_ERROR(modelrepo_infer_response_find_output(res, "predict", NULL),
              MODELREPO_INVALID_ARGUMENT, "index");
  modelrepo_infer_response_free(res);
  res = NULL;

  /* The same request, reused, with its default output. */
  modelrepo_infer_request_free(req);
  CHECK_OK(modelrepo_infer_request_create("mnist-svm", NULL, &req));
  shape[0] = 64;
  CHECK_OK(modelrepo_infer_request_add_input(req, "predict", MODELREPO_TYPE_FP64, shape, 1, digits,
                                             64 * sizeof(double)));
  for (i = 0; i < 2; ++i) {
    if (CHECK_OK(modelrepo_repository_infer(repo, req, &res))) {
      CHECK_OK(modelrepo_infer_response_output(res, 0, &name, &type, &dims, &rank, &data, &bytes));
      CHECK(strcmp(name, "predict") == 0 && type == MODELREPO_TYPE_INT64);
      CHECK(bytes == sizeof(int64_t) && ((const int64_t*)data)[0] == 8);
    }
    modelrepo_infer_response_free(res);
    res = NULL;
  }
  modelrepo_infer_request_free(req);

  /* mushroom-xgboost's predict_proba: FP32 [1, 2] (1 - p, p). */
  {
    float row[126];
    int64_t mshape[2] = {1, 126};
    mushroom_row(row);
    CHECK_OK(modelrepo_infer_request_create("mushroom-xgboost", NULL, &req));
    CHECK_OK(modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_FP32, mshape, 2, row,
                                               sizeof row));
    CHECK_OK(modelrepo_infer_request_add_output(req, "predict_proba"));
    if (CHECK_OK(modelrepo_repository_infer(repo, req, &res))) {
      CHECK_OK(modelrepo_infer_response_output(res, 0, &name, &type, &dims, &rank, &data, &bytes));
      CHECK(type == MODELREPO_TYPE_FP32 && rank == 2 && dims[0] == 1 && dims[1] == 2);
      CHECK(fabs(((const float*)data)[1] - kMushroomP) < 1e-6);
      CHECK(fabs(((const float*)data)[0] - (1 - kMushroomP)) < 1e-6);
    }
    modelrepo_infer_response_free(res);
    res = NULL;
    modelrepo_infer_request_free(req);
  }
}

/* Every numeric datatype gives the FP32 answer (the row is 0/1, exact in all of them). */
static void test_datatypes(modelrepo_repository* repo) {
  float base[126];
  unsigned char buf[126 * 8];
  int t, i;
  mushroom_row(base);
  for (t = 0; t < MODELREPO_TYPE_BYTES; ++t) {
    size_t size = modelrepo_datatype_size((modelrepo_datatype)t);
    for (i = 0; i < 126; ++i) {
      unsigned char* p = buf + i * size;
      int one = base[i] != 0.0f;
      switch (t) {
        case MODELREPO_TYPE_BOOL: case MODELREPO_TYPE_UINT8: case MODELREPO_TYPE_INT8:
          *p = (unsigned char)one; break;
        case MODELREPO_TYPE_UINT16: case MODELREPO_TYPE_INT16: {
          uint16_t v = (uint16_t)one; memcpy(p, &v, 2); break;
        }
        case MODELREPO_TYPE_FP16: {
          uint16_t v = one ? 0x3C00 : 0; memcpy(p, &v, 2); break; /* half 1.0 */
        }
        case MODELREPO_TYPE_UINT32: case MODELREPO_TYPE_INT32: {
          uint32_t v = (uint32_t)one; memcpy(p, &v, 4); break;
        }
        case MODELREPO_TYPE_FP32: {
          float v = (float)one; memcpy(p, &v, 4); break;
        }
        case MODELREPO_TYPE_UINT64: case MODELREPO_TYPE_INT64: {
          uint64_t v = (uint64_t)one; memcpy(p, &v, 8); break;
        }
        case MODELREPO_TYPE_FP64: {
          double v = one; memcpy(p, &v, 8); break;
        }
        default: break;
      }
    }
    {
      double p = mushroom_p(repo, (modelrepo_datatype)t, buf, 126 * size);
      if (!(fabs(p - kMushroomP) < 1e-6)) {
        fprintf(stderr, "datatype %s gave %g\n", modelrepo_datatype_name((modelrepo_datatype)t), p);
      }
      CHECK(fabs(p - kMushroomP) < 1e-6);
    }
  }
}

/* Appends one BYTES element (4-byte little-endian length, then the bytes) at `p`. */
static size_t put_bytes_element(unsigned char* p, const char* s) {
  size_t len = strlen(s);
  p[0] = (unsigned char)(len & 0xff);
  p[1] = (unsigned char)((len >> 8) & 0xff);
  p[2] = (unsigned char)((len >> 16) & 0xff);
  p[3] = (unsigned char)((len >> 24) & 0xff);
  memcpy(p + 4, s, len);
  return 4 + len;
}

static void test_request_errors(modelrepo_repository* repo) {
  modelrepo_infer_request* req = NULL;
  modelrepo_infer_response* res = NULL;
  float row[126];
  float small[10] = {0};
  int64_t shape[2] = {1, 126};
  int64_t negative[2] = {-1, 126};
  int64_t huge[3] = {INT64_C(1) << 40, INT64_C(1) << 40, 1 << 20};
  int64_t big[2] = {INT64_C(1) << 61, 1};
  int64_t one_by_ten[2] = {1, 10};
  int64_t two[1] = {2};
  unsigned char bytes[64];
  size_t used;

  mushroom_row(row);
  CHECK_ERROR(modelrepo_infer_request_create(NULL, NULL, &req), MODELREPO_INVALID_ARGUMENT,
              "model");
  CHECK_ERROR(modelrepo_infer_request_create("mushroom-xgboost", NULL, NULL),
              MODELREPO_INVALID_ARGUMENT, "out");
  CHECK(req == NULL);
  CHECK_OK(modelrepo_infer_request_create("mushroom-xgboost", NULL, &req));

  /* add_input's checks. */
  CHECK_ERROR(modelrepo_infer_request_add_input(NULL, "x", MODELREPO_TYPE_FP32, shape, 2, row,
                                                sizeof row),
              MODELREPO_INVALID_ARGUMENT, "request");
  CHECK_ERROR(modelrepo_infer_request_add_input(req, NULL, MODELREPO_TYPE_FP32, shape, 2, row,
                                                sizeof row),
              MODELREPO_INVALID_ARGUMENT, "name");
  CHECK_ERROR(modelrepo_infer_request_add_input(req, "x", (modelrepo_datatype)13, shape, 2, row,
                                                sizeof row),
              MODELREPO_INVALID_ARGUMENT, "datatype");
  CHECK_ERROR(modelrepo_infer_request_add_input(req, "x", (modelrepo_datatype)-1, shape, 2, row,
                                                sizeof row),
              MODELREPO_INVALID_ARGUMENT, "datatype");
  CHECK_ERROR(modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_MIN_ENUM_, shape, 2, row,
                                                sizeof row),
              MODELREPO_INVALID_ARGUMENT, "datatype");
  CHECK_ERROR(modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_MAX_ENUM_, shape, 2, row,
                                                sizeof row),
              MODELREPO_INVALID_ARGUMENT, "datatype");
  CHECK_ERROR(modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_FP32, negative, 2, row,
                                                sizeof row),
              MODELREPO_INVALID_ARGUMENT, "negative");
  CHECK_ERROR(modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_FP32, huge, 3, row,
                                                sizeof row),
              MODELREPO_INVALID_ARGUMENT, "overflow");
  CHECK_ERROR(modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_FP64, big, 2, row,
                                                sizeof row),
              MODELREPO_INVALID_ARGUMENT, "x");
  CHECK_ERROR(modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_FP32, shape, 2, row,
                                                sizeof row - 1),
              MODELREPO_INVALID_ARGUMENT, "503 bytes");
  CHECK_ERROR(modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_FP64, shape, 2, row,
                                                sizeof row),
              MODELREPO_INVALID_ARGUMENT, "1008");
  CHECK_ERROR(modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_FP32, NULL, 2, row,
                                                sizeof row),
              MODELREPO_INVALID_ARGUMENT, "shape");
  CHECK_ERROR(modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_FP32, shape, 2, NULL,
                                                sizeof row),
              MODELREPO_INVALID_ARGUMENT, "data");
  /* BYTES: length-prefixed elements, exactly as many as the shape says. */
  used = put_bytes_element(bytes, "abc");
  CHECK_ERROR(modelrepo_infer_request_add_input(req, "s", MODELREPO_TYPE_BYTES, two, 1, bytes,
                                                used),
              MODELREPO_INVALID_ARGUMENT, "1 elements");
  CHECK_ERROR(modelrepo_infer_request_add_input(req, "s", MODELREPO_TYPE_BYTES, two, 1, bytes,
                                                used - 1),
              MODELREPO_INVALID_ARGUMENT, "only 2 remain");
  used += put_bytes_element(bytes + used, "de");
  CHECK_ERROR(modelrepo_infer_request_add_input(req, "s", MODELREPO_TYPE_BYTES, two, 1, bytes,
                                                used + 2),
              MODELREPO_INVALID_ARGUMENT, "length prefix");
  CHECK(req != NULL);

  /* No input was added by the failures: the request still has none. */
  CHECK_ERROR(modelrepo_repository_infer(repo, req, &res), MODELREPO_INVALID_ARGUMENT,
              "mushroom-xgboost");

  /* A well-formed BYTES input reaches the model, which refuses it. */
  CHECK_OK(modelrepo_infer_request_add_input(req, "s", MODELREPO_TYPE_BYTES, two, 1, bytes, used));
  CHECK_ERROR(modelrepo_repository_infer(repo, req, &res), MODELREPO_INVALID_ARGUMENT,
              "mushroom-xgboost");
  CHECK_ERROR(modelrepo_infer_request_add_input(req, "s", MODELREPO_TYPE_FP32, shape, 2, row,
                                                sizeof row),
              MODELREPO_INVALID_ARGUMENT, "twice");
  modelrepo_infer_request_free(req);
  req = NULL;

  /* Two inputs for a one-input model. */
  CHECK_OK(modelrepo_infer_request_create("mushroom-xgboost", NULL, &req));
  CHECK_OK(modelrepo_infer_request_add_input(req, "a", MODELREPO_TYPE_FP32, shape, 2, row,
                                             sizeof row));
  CHECK_OK(modelrepo_infer_request_add_input(req, "b", MODELREPO_TYPE_FP32, shape, 2, row,
                                             sizeof row));
  CHECK_ERROR(modelrepo_repository_infer(repo, req, &res), MODELREPO_INVALID_ARGUMENT,
              "mushroom-xgboost");
  modelrepo_infer_request_free(req);
  req = NULL;

  /* A zero-sized tensor with NULL data is well-formed. */
  CHECK_OK(modelrepo_infer_request_create("mushroom-xgboost", NULL, &req));
  shape[0] = 0;
  CHECK_OK(modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_FP32, shape, 2, NULL, 0));
  modelrepo_infer_request_free(req);
  req = NULL;
  shape[0] = 1;

  /* Wrong feature count, unknown output, unknown model and version. */
  CHECK_OK(modelrepo_infer_request_create("mushroom-xgboost", NULL, &req));
  CHECK_OK(modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_FP32, one_by_ten, 2, small,
                                             sizeof small));
  CHECK_ERROR(modelrepo_repository_infer(repo, req, &res), MODELREPO_INVALID_ARGUMENT, "126");
  modelrepo_infer_request_free(req);
  req = NULL;

  CHECK_OK(modelrepo_infer_request_create("mnist-svm", NULL, &req));
  {
    double digits[64];
    int64_t dshape[2] = {1, 64};
    digit_row(digits);
    CHECK_OK(modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_FP64, dshape, 2, digits,
                                               sizeof digits));
  }
  CHECK_OK(modelrepo_infer_request_add_output(req, "predict_proba"));
  CHECK_ERROR(modelrepo_infer_request_add_output(req, "predict_proba"), MODELREPO_INVALID_ARGUMENT,
              "twice");
  CHECK_ERROR(modelrepo_infer_request_add_output(req, NULL), MODELREPO_INVALID_ARGUMENT, "name");
  CHECK_ERROR(modelrepo_infer_request_add_output(NULL, "predict"), MODELREPO_INVALID_ARGUMENT,
              "request");
  CHECK_ERROR(modelrepo_repository_infer(repo, req, &res), MODELREPO_INVALID_ARGUMENT,
              "predict_proba");
  modelrepo_infer_request_free(req);
  req = NULL;

  CHECK_OK(modelrepo_infer_request_create("no-such-model", NULL, &req));
  CHECK_OK(modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_FP32, shape, 2, row,
                                             sizeof row));
  CHECK_ERROR(modelrepo_repository_infer(repo, req, &res), MODELREPO_NOT_FOUND, "no-such-model");
  modelrepo_infer_request_free(req);
  req = NULL;
  CHECK_OK(modelrepo_infer_request_create("mushroom-xgboost", "v9", &req));
  CHECK_OK(modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_FP32, shape, 2, row,
                                             sizeof row));
  CHECK_ERROR(modelrepo_repository_infer(repo, req, &res), MODELREPO_NOT_FOUND, "v9");

  CHECK_ERROR(modelrepo_repository_infer(NULL, req, &res), MODELREPO_INVALID_ARGUMENT, "repo");
  CHECK_ERROR(modelrepo_repository_infer(repo, NULL, &res), MODELREPO_INVALID_ARGUMENT, "request");
  CHECK_ERROR(modelrepo_repository_infer(repo, req, NULL), MODELREPO_INVALID_ARGUMENT, "out");
  CHECK(res == NULL);
  modelrepo_infer_request_free(req);
}

/* ---- A repository made on the fly: a broken model and load_models_at_startup = 0 ---------- */

static void write_file(const char* path, const char* text) {
  FILE* f = fopen(path, "w");
  CHECK(f != NULL);
  if (!f) return;
  fputs(text, f);
  fclose(f);
}

static int g_log_lines = 0;
static int g_log_errors = 0;
static pthread_mutex_t g_log_mu = PTHREAD_MUTEX_INITIALIZER;

static void count_log(void* user_data, modelrepo_log_level level, const char* message) {
  pthread_mutex_lock(&g_log_mu);
  CHECK(user_data == &g_log_lines);
  CHECK(message != NULL && message[0] != '\0');
  ++g_log_lines;
  if (level == MODELREPO_LOG_ERROR) ++g_log_errors;
  pthread_mutex_unlock(&g_log_mu);
}

static void test_broken_model_and_options(const char* tmp) {
  char dir[1024], path[2048], why[512];
  modelrepo_repository* repo = NULL;
  modelrepo_open_options* options = NULL;
  int ready = -1;

  snprintf(dir, sizeof dir, "%s/broken", tmp);
  CHECK(mkdir(dir, 0755) == 0);
  snprintf(path, sizeof path, "%s/model-settings.json", dir);
  write_file(path, "{\"name\": \"broken\", \"implementation\": \"libsvm\"}");
  snprintf(path, sizeof path, "%s/model.libsvm", dir);
  write_file(path, "this is not a libsvm model\n");

  /* Loading at open: the failure is recorded, the open succeeds, the logger hears of it. */
  CHECK_OK(modelrepo_open_options_create(&options));
  CHECK_OK(modelrepo_open_options_set_logger(options, count_log, &g_log_lines));
  CHECK_OK(modelrepo_repository_open(tmp, options, &repo));
  modelrepo_open_options_free(options);
  if (!repo) return;
  CHECK(g_log_errors >= 1);
  CHECK(index_state(repo, "broken", why, sizeof why) == MODELREPO_STATE_UNAVAILABLE);
  CHECK(strlen(why) > 0 && strcmp(why, "unloaded") != 0);
  CHECK_ERROR(modelrepo_repository_load(repo, "broken"), MODELREPO_INVALID_ARGUMENT, "");
  CHECK_OK(modelrepo_repository_is_ready(repo, "broken", NULL, &ready));
  CHECK(ready == 0);
  CHECK_ERROR(modelrepo_repository_unload(repo, "broken"), MODELREPO_NOT_FOUND, "broken");
  modelrepo_repository_close(repo);
  repo = NULL;

  /* The example repository without loading at open: everything UNAVAILABLE until loaded. */
  repo = open_repo(g_models_dir, 0);
  if (!repo) return;
  CHECK(index_state(repo, "mushroom-xgboost", NULL, 0) == MODELREPO_STATE_UNAVAILABLE);
  CHECK(index_state(repo, "mnist-svm", NULL, 0) == MODELREPO_STATE_UNAVAILABLE);
  CHECK_OK(modelrepo_repository_is_ready(repo, "mnist-svm", NULL, &ready));
  CHECK(ready == 0);
  {
    float row[126];
    mushroom_row(row);
    modelrepo_infer_request* req = NULL;
    modelrepo_infer_response* res = NULL;
    int64_t shape[2] = {1, 126};
    CHECK_OK(modelrepo_infer_request_create("mushroom-xgboost", NULL, &req));
    CHECK_OK(modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_FP32, shape, 2, row,
                                               sizeof row));
    CHECK_ERROR(modelrepo_repository_infer(repo, req, &res), MODELREPO_NOT_FOUND,
                "mushroom-xgboost");
    modelrepo_infer_request_free(req);
    CHECK_OK(modelrepo_repository_load(repo, "mushroom-xgboost"));
    CHECK(index_state(repo, "mushroom-xgboost", NULL, 0) == MODELREPO_STATE_READY);
    CHECK(index_state(repo, "mnist-svm", NULL, 0) == MODELREPO_STATE_UNAVAILABLE);
    CHECK(fabs(mushroom_p(repo, MODELREPO_TYPE_FP32, row, sizeof row) - kMushroomP) < 1e-6);
  }
  modelrepo_repository_close(repo);

  snprintf(path, sizeof path, "%s/model-settings.json", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/model.libsvm", dir);
  unlink(path);
  rmdir(dir);
}

/* ---- Threads ---------------------------------------------------------------------------------- */

struct worker {
  modelrepo_repository* repo;
  const modelrepo_infer_request* request; /* shared between the workers */
  int expect_label;                       /* mnist-svm */
  int tolerate_unloaded;                  /* mushroom-xgboost while another thread reloads it */
  int ok, failed, refused;
};

static void* infer_worker(void* arg) {
  struct worker* w = (struct worker*)arg;
  int i;
  for (i = 0; i < 200; ++i) {
    modelrepo_infer_response* res = NULL;
    modelrepo_status* st = modelrepo_repository_infer(w->repo, w->request, &res);
    if (st) {
      modelrepo_code code = modelrepo_status_code(st);
      if (w->tolerate_unloaded && (code == MODELREPO_NOT_FOUND || code == MODELREPO_UNAVAILABLE)) {
        ++w->refused;
      } else {
        ++w->failed;
      }
      modelrepo_status_free(st);
      continue;
    }
    {
      const void* data = NULL;
      modelrepo_datatype type;
      size_t bytes = 0;
      modelrepo_status* out = modelrepo_infer_response_output(res, 0, NULL, &type, NULL, NULL,
                                                              &data, &bytes);
      int good = out == NULL;
      modelrepo_status_free(out);
      if (good && w->expect_label) {
        good = type == MODELREPO_TYPE_INT64 && bytes == 8 &&
               *(const int64_t*)data == w->expect_label;
      } else if (good) {
        good = type == MODELREPO_TYPE_FP32 && bytes == 4 &&
               fabs(*(const float*)data - kMushroomP) < 1e-6;
      }
      if (good) ++w->ok; else ++w->failed;
    }
    modelrepo_infer_response_free(res);
  }
  return NULL;
}

struct reloader {
  modelrepo_repository* repo;
  int rounds, failed;
};

static void* reload_worker(void* arg) {
  struct reloader* r = (struct reloader*)arg;
  int i;
  for (i = 0; i < r->rounds; ++i) {
    modelrepo_status* st = modelrepo_repository_unload(r->repo, "mushroom-xgboost");
    if (st) ++r->failed;
    modelrepo_status_free(st);
    st = modelrepo_repository_load(r->repo, "mushroom-xgboost");
    if (st) ++r->failed;
    modelrepo_status_free(st);
  }
  return NULL;
}

static void test_threads(modelrepo_repository* repo) {
  enum { kWorkers = 4 };
  modelrepo_infer_request *svm_req = NULL, *xgb_req = NULL;
  struct worker workers[kWorkers];
  pthread_t threads[kWorkers + 1];
  struct reloader reloader;
  double digits[64];
  float row[126];
  int64_t dshape[2] = {1, 64}, mshape[2] = {1, 126};
  int i, total_ok = 0;

  digit_row(digits);
  mushroom_row(row);
  CHECK_OK(modelrepo_infer_request_create("mnist-svm", NULL, &svm_req));
  CHECK_OK(modelrepo_infer_request_add_input(svm_req, "x", MODELREPO_TYPE_FP64, dshape, 2, digits,
                                             sizeof digits));
  CHECK_OK(modelrepo_infer_request_create("mushroom-xgboost", NULL, &xgb_req));
  CHECK_OK(modelrepo_infer_request_add_input(xgb_req, "x", MODELREPO_TYPE_FP32, mshape, 2, row,
                                             sizeof row));
  for (i = 0; i < kWorkers; ++i) {
    memset(&workers[i], 0, sizeof workers[i]);
    workers[i].repo = repo;
    workers[i].request = i % 2 ? svm_req : xgb_req;
    workers[i].expect_label = i % 2 ? 8 : 0;
    workers[i].tolerate_unloaded = i % 2 == 0;
    CHECK(pthread_create(&threads[i], NULL, infer_worker, &workers[i]) == 0);
  }
  reloader.repo = repo;
  reloader.rounds = 20;
  reloader.failed = 0;
  CHECK(pthread_create(&threads[kWorkers], NULL, reload_worker, &reloader) == 0);
  for (i = 0; i <= kWorkers; ++i) pthread_join(threads[i], NULL);
  for (i = 0; i < kWorkers; ++i) {
    CHECK(workers[i].failed == 0);
    if (i % 2) CHECK(workers[i].ok == 200); /* mnist-svm is never touched */
    total_ok += workers[i].ok;
  }
  CHECK(reloader.failed == 0);
  CHECK(total_ok >= 400);
  CHECK(index_state(repo, "mushroom-xgboost", NULL, 0) == MODELREPO_STATE_READY);
  modelrepo_infer_request_free(svm_req);
  modelrepo_infer_request_free(xgb_req);
}

/* Objects read from a repository outlive it. */
static void test_outlive_repository(void) {
  modelrepo_repository* repo = open_repo(g_models_dir, 1);
  modelrepo_index* index = NULL;
  modelrepo_metadata* md = NULL;
  modelrepo_infer_request* req = NULL;
  modelrepo_infer_response* res = NULL;
  double digits[64];
  int64_t dshape[2] = {1, 64};
  const char* name = NULL;
  const void* data = NULL;
  size_t n = 0;
  if (!repo) return;
  digit_row(digits);
  CHECK_OK(modelrepo_repository_index(repo, 0, &index));
  CHECK_OK(modelrepo_repository_metadata(repo, "mnist-svm", NULL, &md));
  CHECK_OK(modelrepo_infer_request_create("mnist-svm", NULL, &req));
  CHECK_OK(modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_FP64, dshape, 2, digits,
                                             sizeof digits));
  CHECK_OK(modelrepo_repository_infer(repo, req, &res));
  modelrepo_repository_close(repo);
  CHECK_OK(modelrepo_index_size(index, &n));
  CHECK(n == 2);
  CHECK_OK(modelrepo_metadata_model(md, &name, NULL));
  CHECK(strcmp(name, "mnist-svm") == 0);
  if (res) {
    CHECK_OK(modelrepo_infer_response_output(res, 0, NULL, NULL, NULL, NULL, &data, NULL));
    CHECK(data && *(const int64_t*)data == 8);
  }
  modelrepo_index_free(index);
  modelrepo_metadata_free(md);
  modelrepo_infer_response_free(res);
  modelrepo_infer_request_free(req);
}

int main(int argc, char** argv) {
  char tmp[] = "/tmp/modelrepo-c-api-test-XXXXXX";
  modelrepo_repository* repo;
  if (argc != 2) {
    fprintf(stderr, "usage: %s EXAMPLES_MODELS_DIR\n", argv[0]);
    return 2;
  }
  g_models_dir = argv[1];
  if (mkdtemp(tmp) == NULL) {
    perror("mkdtemp");
    return 2;
  }

  test_versions_and_names();
  test_null_objects();
  test_open_errors(tmp);
  test_walkthrough();
  repo = open_repo(g_models_dir, 1);
  if (repo) {
    test_metadata(repo);
    test_infer(repo);
    test_datatypes(repo);
    test_request_errors(repo);
    test_threads(repo);
    modelrepo_repository_close(repo);
  }
  test_broken_model_and_options(tmp);
  test_outlive_repository();

  rmdir(tmp);
  return test_summary("c_api_test");
}
