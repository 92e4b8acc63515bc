// libmodelrepo's public API in one include.
#ifndef MODELREPO_MODELREPO_H_
#define MODELREPO_MODELREPO_H_

#include "modelrepo/repository.h"
#include "modelrepo/runtime.h"
#include "modelrepo/status.h"
#include "modelrepo/tabular.h"
#include "modelrepo/tensor.h"
#include "modelrepo/version.h"

#endif  // MODELREPO_MODELREPO_H_
