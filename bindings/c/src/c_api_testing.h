/* Fault injection for testing the C API's error paths. Only the test build of the library
 * (modelrepo_c_fault_injection, compiled with MODELREPO_C_FAULT_INJECTION) has this function;
 * libmodelrepo_c.so does not. */
#ifndef MODELREPO_C_API_TESTING_H_
#define MODELREPO_C_API_TESTING_H_

#include "modelrepo/c_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Faults other than a status code. */
#define MODELREPO_TESTING_THROW_BAD_ALLOC (-1)     /* std::bad_alloc */
#define MODELREPO_TESTING_THROW_STD_EXCEPTION (-2) /* std::runtime_error */
#define MODELREPO_TESTING_THROW_OTHER (-3)         /* an exception not derived from std::exception */

/* Arms a fault for the next call of the entry point named `function` (e.g.
 * "modelrepo_repository_infer"): that call raises the exception `fault` inside its guarded body,
 * or, for a positive `fault`, fails with that status code and the message "injected status".
 * One fault at a time, used once; NULL disarms. */
MODELREPO_C_EXPORT modelrepo_status* modelrepo_testing_inject_fault(const char* function, int fault);

#ifdef __cplusplus
}
#endif

#endif /* MODELREPO_C_API_TESTING_H_ */
