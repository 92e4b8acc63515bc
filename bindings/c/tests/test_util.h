/* A few checking helpers shared by the C API tests (compiled as C99). */
#ifndef MODELREPO_C_TEST_UTIL_H_
#define MODELREPO_C_TEST_UTIL_H_

#include <stdio.h>
#include <string.h>

#include "modelrepo/c_api.h"

static int g_failures = 0;
static int g_checks = 0;

#define CHECK(cond)                                                               \
  do {                                                                            \
    ++g_checks;                                                                   \
    if (!(cond)) {                                                                \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);    \
      ++g_failures;                                                               \
    }                                                                             \
  } while (0)

/* Expects success; reports and frees an error. Evaluates to 1 on success. */
#define CHECK_OK(expr) check_ok_((expr), #expr, __FILE__, __LINE__)
/* Expects an error of `code` whose message contains `part` ("" for anything non-empty);
 * frees it. */
#define CHECK_ERROR(expr, code, part) check_error_((expr), (code), (part), #expr, __FILE__, __LINE__)

static int check_ok_(modelrepo_status* st, const char* expr, const char* file, int line) {
  ++g_checks;
  if (st == NULL) return 1;
  fprintf(stderr, "%s:%d: %s failed: %s: %s\n", file, line, expr,
          modelrepo_code_name(modelrepo_status_code(st)), modelrepo_status_message(st));
  ++g_failures;
  modelrepo_status_free(st);
  return 0;
}

static void check_error_(modelrepo_status* st, modelrepo_code code, const char* part,
                         const char* expr, const char* file, int line) {
  ++g_checks;
  if (st == NULL) {
    fprintf(stderr, "%s:%d: %s succeeded, expected %s\n", file, line, expr,
            modelrepo_code_name(code));
    ++g_failures;
    return;
  }
  if (modelrepo_status_code(st) != code) {
    fprintf(stderr, "%s:%d: %s gave %s (%s), expected %s\n", file, line, expr,
            modelrepo_code_name(modelrepo_status_code(st)), modelrepo_status_message(st),
            modelrepo_code_name(code));
    ++g_failures;
  } else if (modelrepo_status_message(st)[0] == '\0' ||
             strstr(modelrepo_status_message(st), part) == NULL) {
    fprintf(stderr, "%s:%d: %s: message \"%s\" lacks \"%s\"\n", file, line, expr,
            modelrepo_status_message(st), part);
    ++g_failures;
  }
  modelrepo_status_free(st);
}

static int test_summary(const char* name) {
  if (g_failures) {
    fprintf(stderr, "%s: %d of %d checks failed\n", name, g_failures, g_checks);
    return 1;
  }
  printf("%s: all %d checks passed\n", name, g_checks);
  return 0;
}

#endif /* MODELREPO_C_TEST_UTIL_H_ */
