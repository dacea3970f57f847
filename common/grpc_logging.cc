#include "common/grpc_logging.h"

#include <grpc/support/log.h>

#include "common/log.h"

namespace mmresync {
namespace {

void Drop(gpr_log_func_args*) {}

void Forward(gpr_log_func_args* args) {
  log::Level level =
      args->severity == GPR_LOG_SEVERITY_ERROR ? log::Level::kWarning : log::Level::kDebug;
  log::Write(level, absl::StrCat("grpc: ", args->file == nullptr ? "" : args->file, ":", args->line,
                                 ": ", args->message == nullptr ? "" : args->message));
}

}  // namespace

void RouteGrpcLogging(bool debug) {
  if (debug) {
    log::SetMinLevel(log::Level::kDebug);
    gpr_set_log_verbosity(GPR_LOG_SEVERITY_INFO);
    gpr_set_log_function(Forward);
  } else {
    gpr_set_log_verbosity(GPR_LOG_SEVERITY_ERROR);
    gpr_set_log_function(Drop);
  }
}

}  // namespace mmresync
