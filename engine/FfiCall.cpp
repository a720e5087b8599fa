// hot call: invoking a reloadable function by name with arguments given as text (libffi).
#include "engine/EngineImpl.h"

namespace hot {
Result<std::string> HotEngine::Impl::callByName(std::string_view name,
                                                const std::vector<std::string> &) {
  return Status(ErrorCode::Internal, "callByName('" + std::string(name) + "'): not built yet");
}
} // namespace hot
