/* The same walkthrough through libmodelrepo's C API (modelrepo::c).
 *   app_c MODEL_REPOSITORY_FOLDER */
#include <stdint.h>
#include <stdio.h>

#include <modelrepo/c_api.h>

/* Prints and frees `st`; returns 1 when it was an error. */
static int failed(modelrepo_status* st, const char* what) {
  if (st == NULL) return 0;
  fprintf(stderr, "%s failed: %s: %s\n", what, modelrepo_code_name(modelrepo_status_code(st)),
          modelrepo_status_message(st));
  modelrepo_status_free(st);
  return 1;
}

static int print_index(modelrepo_repository* repo) {
  modelrepo_index* index = NULL;
  size_t n = 0, i;
  if (failed(modelrepo_repository_index(repo, 0, &index), "index")) return 1;
  if (failed(modelrepo_index_size(index, &n), "index size")) n = 0;
  for (i = 0; i < n; ++i) {
    const char *name, *version, *reason;
    modelrepo_model_state state;
    if (failed(modelrepo_index_entry(index, i, &name, &version, &state, &reason), "entry")) break;
    printf("  %s %s %s%s%s%s\n", name, version, modelrepo_model_state_name(state),
           reason[0] ? " (" : "", reason, reason[0] ? ")" : "");
  }
  modelrepo_index_free(index);
  return 0;
}

int main(int argc, char** argv) {
  static const int ones[] = {0,  8,  18, 20, 23, 33, 35, 38,  41,  52,  55,
                             64, 68, 76, 85, 87, 91, 94, 101, 105, 116, 121};
  float row[126] = {0};
  int64_t shape[2] = {1, 126};
  modelrepo_repository* repo = NULL;
  modelrepo_infer_request* req = NULL;
  modelrepo_infer_response* res = NULL;
  const void* data = NULL;
  size_t i, bytes = 0;
  int major, minor, patch, status = 1;

  if (argc != 2) {
    fprintf(stderr, "usage: %s MODEL_REPOSITORY_FOLDER\n", argv[0]);
    return 2;
  }
  modelrepo_c_api_version(&major, &minor, &patch);
  printf("libmodelrepo %s, C API %d.%d.%d, repository %s\n", modelrepo_library_version(), major,
         minor, patch, argv[1]);
  if (failed(modelrepo_repository_open(argv[1], NULL, &repo), "open")) return 1;
  printf("== 1. index\n");
  if (print_index(repo)) goto done;
  printf("== 2. unload mushroom-xgboost\n");
  if (failed(modelrepo_repository_unload(repo, "mushroom-xgboost"), "unload")) goto done;
  printf("== 3. index\n");
  if (print_index(repo)) goto done;
  printf("== 4. load mushroom-xgboost\n");
  if (failed(modelrepo_repository_load(repo, "mushroom-xgboost"), "load")) goto done;
  printf("== 5. index\n");
  if (print_index(repo)) goto done;

  printf("== 6. infer mushroom-xgboost, output predict_proba\n");
  for (i = 0; i < sizeof ones / sizeof ones[0]; ++i) row[ones[i]] = 1.0f;
  if (failed(modelrepo_infer_request_create("mushroom-xgboost", NULL, &req), "request") ||
      failed(modelrepo_infer_request_add_input(req, "input-0", MODELREPO_TYPE_FP32, shape, 2, row,
                                               sizeof row), "input") ||
      failed(modelrepo_infer_request_add_output(req, "predict_proba"), "output") ||
      failed(modelrepo_repository_infer(repo, req, &res), "infer") ||
      failed(modelrepo_infer_response_output(res, 0, NULL, NULL, NULL, NULL, &data, &bytes),
             "read output")) {
    goto done;
  }
  printf("  predict_proba FP32 [1,2]: %.6f %.6f\n", ((const float*)data)[0],
         ((const float*)data)[1]);
  status = 0;

done:
  modelrepo_infer_response_free(res);
  modelrepo_infer_request_free(req);
  modelrepo_repository_close(repo);
  return status;
}
