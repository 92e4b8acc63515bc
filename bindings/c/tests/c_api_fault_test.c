/* Every fallible entry point of the C API, made to fail from inside: a C++ exception of each kind
 * (std::bad_alloc, a std::exception, something else) and each status code. The exception must be
 * caught at the boundary and come back as MODELREPO_INTERNAL, with out-parameters untouched.
 * Runs against the fault-injection build of the library. Usage: c_api_fault_test MODELS_DIR */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "c_api_testing.h"
#include "modelrepo/c_api.h"
#include "test_util.h"

static const char* g_models_dir;
static modelrepo_repository* g_repo;
static modelrepo_open_options* g_options;
static modelrepo_index* g_index;
static modelrepo_metadata* g_metadata;
static modelrepo_infer_request* g_request;
static modelrepo_infer_response* g_response;

/* A value no call writes: out-parameters are set to it and must keep it on error. */
static char g_sentinel_storage;
#define SENTINEL ((void*)&g_sentinel_storage)

/* Each call returns its status and sets *touched when it changed an out-parameter. Objects a
 * call creates on success are freed at once. */
typedef modelrepo_status* (*call_fn)(int* touched);

static modelrepo_status* call_open_options_create(int* touched) {
  modelrepo_open_options* out = (modelrepo_open_options*)SENTINEL;
  modelrepo_status* st = modelrepo_open_options_create(&out);
  *touched = out != (modelrepo_open_options*)SENTINEL;
  if (!st) modelrepo_open_options_free(out);
  return st;
}
static modelrepo_status* call_set_load(int* touched) {
  *touched = 0;
  return modelrepo_open_options_set_load_models_at_startup(g_options, 1);
}
static modelrepo_status* call_set_logger(int* touched) {
  *touched = 0;
  return modelrepo_open_options_set_logger(g_options, NULL, NULL);
}
static modelrepo_status* call_open(int* touched) {
  modelrepo_repository* out = (modelrepo_repository*)SENTINEL;
  modelrepo_status* st;
  CHECK_OK(modelrepo_open_options_set_load_models_at_startup(g_options, 0));
  st = modelrepo_repository_open(g_models_dir, g_options, &out);
  *touched = out != (modelrepo_repository*)SENTINEL;
  if (!st) modelrepo_repository_close(out);
  return st;
}
static modelrepo_status* call_root(int* touched) {
  const char* out = (const char*)SENTINEL;
  modelrepo_status* st = modelrepo_repository_root(g_repo, &out);
  *touched = out != (const char*)SENTINEL;
  return st;
}
static modelrepo_status* call_index(int* touched) {
  modelrepo_index* out = (modelrepo_index*)SENTINEL;
  modelrepo_status* st = modelrepo_repository_index(g_repo, 0, &out);
  *touched = out != (modelrepo_index*)SENTINEL;
  if (!st) modelrepo_index_free(out);
  return st;
}
static modelrepo_status* call_index_size(int* touched) {
  size_t out = 12345;
  modelrepo_status* st = modelrepo_index_size(g_index, &out);
  *touched = out != 12345;
  return st;
}
static modelrepo_status* call_index_entry(int* touched) {
  const char* name = (const char*)SENTINEL;
  modelrepo_status* st = modelrepo_index_entry(g_index, 0, &name, NULL, NULL, NULL);
  *touched = name != (const char*)SENTINEL;
  return st;
}
static modelrepo_status* call_load(int* touched) {
  *touched = 0;
  return modelrepo_repository_load(g_repo, "mnist-svm");
}
static modelrepo_status* call_unload(int* touched) {
  modelrepo_status* st;
  *touched = 0;
  st = modelrepo_repository_unload(g_repo, "mushroom-xgboost");
  if (!st) CHECK_OK(modelrepo_repository_load(g_repo, "mushroom-xgboost"));
  return st;
}
static modelrepo_status* call_is_ready(int* touched) {
  int out = 12345;
  modelrepo_status* st = modelrepo_repository_is_ready(g_repo, "mnist-svm", NULL, &out);
  *touched = out != 12345;
  return st;
}
static modelrepo_status* call_metadata(int* touched) {
  modelrepo_metadata* out = (modelrepo_metadata*)SENTINEL;
  modelrepo_status* st = modelrepo_repository_metadata(g_repo, "mnist-svm", NULL, &out);
  *touched = out != (modelrepo_metadata*)SENTINEL;
  if (!st) modelrepo_metadata_free(out);
  return st;
}
static modelrepo_status* call_metadata_model(int* touched) {
  const char* name = (const char*)SENTINEL;
  modelrepo_status* st = modelrepo_metadata_model(g_metadata, &name, NULL);
  *touched = name != (const char*)SENTINEL;
  return st;
}
static modelrepo_status* call_metadata_version_count(int* touched) {
  size_t out = 12345;
  modelrepo_status* st = modelrepo_metadata_version_count(g_metadata, &out);
  *touched = out != 12345;
  return st;
}
static modelrepo_status* call_metadata_version(int* touched) {
  const char* out = (const char*)SENTINEL;
  modelrepo_status* st = modelrepo_metadata_version(g_metadata, 0, &out);
  *touched = out != (const char*)SENTINEL;
  return st;
}
static modelrepo_status* call_metadata_input_count(int* touched) {
  size_t out = 12345;
  modelrepo_status* st = modelrepo_metadata_input_count(g_metadata, &out);
  *touched = out != 12345;
  return st;
}
static modelrepo_status* call_metadata_output_count(int* touched) {
  size_t out = 12345;
  modelrepo_status* st = modelrepo_metadata_output_count(g_metadata, &out);
  *touched = out != 12345;
  return st;
}
static modelrepo_status* call_metadata_input(int* touched) {
  const char* name = (const char*)SENTINEL;
  modelrepo_status* st = modelrepo_metadata_input(g_metadata, 0, &name, NULL, NULL, NULL);
  *touched = name != (const char*)SENTINEL;
  return st;
}
static modelrepo_status* call_metadata_output(int* touched) {
  const char* name = (const char*)SENTINEL;
  modelrepo_status* st = modelrepo_metadata_output(g_metadata, 0, &name, NULL, NULL, NULL);
  *touched = name != (const char*)SENTINEL;
  return st;
}
static modelrepo_status* call_request_create(int* touched) {
  modelrepo_infer_request* out = (modelrepo_infer_request*)SENTINEL;
  modelrepo_status* st = modelrepo_infer_request_create("mnist-svm", NULL, &out);
  *touched = out != (modelrepo_infer_request*)SENTINEL;
  if (!st) modelrepo_infer_request_free(out);
  return st;
}
static modelrepo_status* call_add_input(int* touched) {
  modelrepo_infer_request* req = NULL;
  double row[64] = {0};
  int64_t shape[2] = {1, 64};
  modelrepo_status* st;
  *touched = 0;
  CHECK_OK(modelrepo_infer_request_create("mnist-svm", NULL, &req));
  st = modelrepo_infer_request_add_input(req, "x", MODELREPO_TYPE_FP64, shape, 2, row, sizeof row);
  modelrepo_infer_request_free(req);
  return st;
}
static modelrepo_status* call_add_output(int* touched) {
  modelrepo_infer_request* req = NULL;
  modelrepo_status* st;
  *touched = 0;
  CHECK_OK(modelrepo_infer_request_create("mnist-svm", NULL, &req));
  st = modelrepo_infer_request_add_output(req, "predict");
  modelrepo_infer_request_free(req);
  return st;
}
static modelrepo_status* call_infer(int* touched) {
  modelrepo_infer_response* out = (modelrepo_infer_response*)SENTINEL;
  modelrepo_status* st = modelrepo_repository_infer(g_repo, g_request, &out);
  *touched = out != (modelrepo_infer_response*)SENTINEL;
  if (!st) modelrepo_infer_response_free(out);
  return st;
}
static modelrepo_status* call_response_model(int* touched) {
  const char* name = (const char*)SENTINEL;
  modelrepo_status* st = modelrepo_infer_response_model(g_response, &name, NULL);
  *touched = name != (const char*)SENTINEL;
  return st;
}
static modelrepo_status* call_response_output_count(int* touched) {
  size_t out = 12345;
  modelrepo_status* st = modelrepo_infer_response_output_count(g_response, &out);
  *touched = out != 12345;
  return st;
}
static modelrepo_status* call_response_output(int* touched) {
  const void* data = SENTINEL;
  modelrepo_status* st =
      modelrepo_infer_response_output(g_response, 0, NULL, NULL, NULL, NULL, &data, NULL);
  *touched = data != SENTINEL;
  return st;
}
static modelrepo_status* call_response_find_output(int* touched) {
  size_t out = 12345;
  modelrepo_status* st = modelrepo_infer_response_find_output(g_response, "predict", &out);
  *touched = out != 12345;
  return st;
}

/* Every C API function that returns a status. The symbol test checks that this list names
 * each one the header declares. */
static const struct {
  const char* name;
  call_fn call;
} kEntryPoints[] = {
    {"modelrepo_open_options_create", call_open_options_create},
    {"modelrepo_open_options_set_load_models_at_startup", call_set_load},
    {"modelrepo_open_options_set_logger", call_set_logger},
    {"modelrepo_repository_open", call_open},
    {"modelrepo_repository_root", call_root},
    {"modelrepo_repository_index", call_index},
    {"modelrepo_index_size", call_index_size},
    {"modelrepo_index_entry", call_index_entry},
    {"modelrepo_repository_load", call_load},
    {"modelrepo_repository_unload", call_unload},
    {"modelrepo_repository_is_ready", call_is_ready},
    {"modelrepo_repository_metadata", call_metadata},
    {"modelrepo_metadata_model", call_metadata_model},
    {"modelrepo_metadata_version_count", call_metadata_version_count},
    {"modelrepo_metadata_version", call_metadata_version},
    {"modelrepo_metadata_input_count", call_metadata_input_count},
    {"modelrepo_metadata_output_count", call_metadata_output_count},
    {"modelrepo_metadata_input", call_metadata_input},
    {"modelrepo_metadata_output", call_metadata_output},
    {"modelrepo_infer_request_create", call_request_create},
    {"modelrepo_infer_request_add_input", call_add_input},
    {"modelrepo_infer_request_add_output", call_add_output},
    {"modelrepo_repository_infer", call_infer},
    {"modelrepo_infer_response_model", call_response_model},
    {"modelrepo_infer_response_output_count", call_response_output_count},
    {"modelrepo_infer_response_output", call_response_output},
    {"modelrepo_infer_response_find_output", call_response_find_output},
};

static const int kFaults[] = {
    MODELREPO_TESTING_THROW_BAD_ALLOC, MODELREPO_TESTING_THROW_STD_EXCEPTION,
    MODELREPO_TESTING_THROW_OTHER,     MODELREPO_INVALID_ARGUMENT,
    MODELREPO_NOT_FOUND,               MODELREPO_UNAVAILABLE,
    MODELREPO_UNIMPLEMENTED,           MODELREPO_INTERNAL,
    MODELREPO_PERMISSION_DENIED,
};

static void run_entry_point(const char* name, call_fn call) {
  size_t f;
  int touched = 0;
  modelrepo_status* st;
  /* Unarmed, the call succeeds and fills its out-parameter. */
  st = call(&touched);
  if (!CHECK_OK(st)) fprintf(stderr, "  (entry point %s)\n", name);

  for (f = 0; f < sizeof kFaults / sizeof kFaults[0]; ++f) {
    int fault = kFaults[f];
    modelrepo_code expected = fault < 0 ? MODELREPO_INTERNAL : (modelrepo_code)fault;
    const char* message_part = fault == MODELREPO_TESTING_THROW_BAD_ALLOC       ? "out of memory"
                               : fault == MODELREPO_TESTING_THROW_STD_EXCEPTION ? "injected failure"
                               : fault == MODELREPO_TESTING_THROW_OTHER         ? name
                                                                                : "injected status";
    CHECK_OK(modelrepo_testing_inject_fault(name, fault));
    touched = 0;
    st = call(&touched);
    if (modelrepo_status_code(st) != expected || touched) {
      fprintf(stderr, "%s with fault %d: got %s (%s), out-parameter %s\n", name, fault,
              modelrepo_code_name(modelrepo_status_code(st)), modelrepo_status_message(st),
              touched ? "changed" : "untouched");
    }
    CHECK(!touched);
    CHECK_ERROR(st, expected, message_part);
    /* The fault fires once: the next call succeeds again. */
    st = call(&touched);
    if (!CHECK_OK(st)) fprintf(stderr, "  (entry point %s after fault %d)\n", name, fault);
  }
}

int main(int argc, char** argv) {
  size_t i;
  double row[64] = {0};
  int64_t shape[2] = {1, 64};
  if (argc != 2) {
    fprintf(stderr, "usage: %s EXAMPLES_MODELS_DIR\n", argv[0]);
    return 2;
  }
  g_models_dir = argv[1];
  if (!CHECK_OK(modelrepo_repository_open(g_models_dir, NULL, &g_repo))) {
    return test_summary("c_api_fault_test");
  }
  CHECK_OK(modelrepo_open_options_create(&g_options));
  CHECK_OK(modelrepo_repository_index(g_repo, 0, &g_index));
  CHECK_OK(modelrepo_repository_metadata(g_repo, "mnist-svm", NULL, &g_metadata));
  CHECK_OK(modelrepo_infer_request_create("mnist-svm", NULL, &g_request));
  CHECK_OK(modelrepo_infer_request_add_input(g_request, "x", MODELREPO_TYPE_FP64, shape, 2, row,
                                             sizeof row));
  CHECK_OK(modelrepo_repository_infer(g_repo, g_request, &g_response));

  for (i = 0; i < sizeof kEntryPoints / sizeof kEntryPoints[0]; ++i) {
    run_entry_point(kEntryPoints[i].name, kEntryPoints[i].call);
  }

  /* A fault armed for another function does not fire; NULL disarms. */
  CHECK_OK(modelrepo_testing_inject_fault("modelrepo_repository_load", MODELREPO_INTERNAL));
  {
    int touched = 0;
    CHECK_OK(call_index(&touched));
  }
  CHECK_OK(modelrepo_testing_inject_fault(NULL, 0));
  {
    int touched = 0;
    CHECK_OK(call_load(&touched));
  }

  modelrepo_infer_response_free(g_response);
  modelrepo_infer_request_free(g_request);
  modelrepo_metadata_free(g_metadata);
  modelrepo_index_free(g_index);
  modelrepo_open_options_free(g_options);
  modelrepo_repository_close(g_repo);
  return test_summary("c_api_fault_test");
}
