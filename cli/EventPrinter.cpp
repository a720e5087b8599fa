#include "cli/Commands.h"

#include <cstdio>
#include <mutex>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace hot::cli {
namespace {
std::mutex print_mu;

const char *severityName(hot::Severity s) {
  return s == hot::Severity::Error ? "error" : s == hot::Severity::Warning ? "warning" : "note";
}

nlohmann::json toJson(const hot::Diagnostic &d) {
  return {{"file", d.file},       {"line", d.line},         {"column", d.column},
          {"severity", severityName(d.severity)}, {"message", d.message}};
}

void emit(const nlohmann::json &j) {
  std::lock_guard<std::mutex> lock(print_mu);
  std::fprintf(stderr, "%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}
} // namespace

void EventPrinter::onReload(const hot::ReloadEvent &e) {
  if (json_) {
    nlohmann::json diags = nlohmann::json::array();
    for (auto &d : e.diagnostics) diags.push_back(toJson(d));
    emit({{"event", "reload"},   {"unit", e.unit},         {"version", e.version},
          {"success", e.success}, {"error", e.success ? "" : hot::toString(e.code)},
          {"message", e.message}, {"compile_ms", e.compile_ms}, {"link_ms", e.link_ms},
          {"transaction", e.transaction}, {"tier", e.tier}, {"diagnostics", diags},
          {"waiting_for", e.waiting_for}, {"partial", e.partial},
          {"reused_functions", e.reused_functions}, {"from_cache", e.from_cache},
          {"phases", {{"header_cache_ms", e.phases.header_cache},
                      {"frontend_ms", e.phases.frontend},
                      {"transform_ms", e.phases.transform},
                      {"optimize_ms", e.phases.optimize},
                      {"codegen_ms", e.phases.codegen},
                      {"link_ms", e.phases.link}}}});
    return;
  }
  if (quiet_ && e.success) return;
  std::string text = hot::formatEvent(e);
  std::lock_guard<std::mutex> lock(print_mu);
  std::fputs(text.c_str(), stderr);
}

void EventPrinter::onTierChange(const hot::TierEvent &e) {
  if (json_) {
    emit({{"event", "tier"}, {"unit", e.unit}, {"functions", e.functions},
          {"from", e.from_tier}, {"to", e.to_tier}, {"compile_ms", e.compile_ms}});
    return;
  }
  if (quiet_) return;
  std::lock_guard<std::mutex> lock(print_mu);
  std::fprintf(stderr, "hot: %s: tier %d -> %d (%.1f ms)\n", e.unit.c_str(), e.from_tier,
               e.to_tier, e.compile_ms);
}

void EventPrinter::onProgress(unsigned done, unsigned total) {
  if (json_) {
    emit({{"event", "progress"}, {"done", done}, {"total", total}});
    return;
  }
  if (quiet_ || !isatty(STDERR_FILENO)) return;
  std::lock_guard<std::mutex> lock(print_mu);
  const int width = 30;
  int filled = int(width * done / (total ? total : 1));
  std::fprintf(stderr, "\rhot: compiling [%.*s%*s] %u/%u", filled,
               "##############################", width - filled, "", done, total);
  if (done == total) std::fprintf(stderr, "\n");
}

void EventPrinter::onCompiling(const std::string &unit, unsigned done, unsigned total) {
  if (json_ || quiet_ || !isatty(STDERR_FILENO)) return;
  std::lock_guard<std::mutex> lock(print_mu);
  // One line redrawn in place: progress, then the unit starting now (erase the rest).
  std::fprintf(stderr, "\rhot: compiling %u/%u %s\033[K", done, total, unit.c_str());
}

void EventPrinter::onMessage(hot::Severity s, const std::string &text) {
  if (json_) {
    emit({{"event", "message"}, {"severity", severityName(s)}, {"message", text}});
    return;
  }
  if (quiet_ && s == hot::Severity::Note) return;
  std::string line = hot::formatMessage(s, text);
  std::lock_guard<std::mutex> lock(print_mu);
  std::fputs(line.c_str(), stderr);
}

} // namespace hot::cli
