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
          {"transaction", e.transaction}, {"tier", e.tier}, {"diagnostics", diags}});
    return;
  }
  std::lock_guard<std::mutex> lock(print_mu);
  if (e.success) {
    if (!quiet_ && e.version > 1) // first loads are not news
      std::fprintf(stderr, "hot: %s: version %u live (compile %.1f ms, link %.1f ms)\n",
                   e.unit.c_str(), e.version, e.compile_ms, e.link_ms);
    return;
  }
  bool printed = false;
  for (auto &d : e.diagnostics)
    if (d.severity != hot::Severity::Note || printed) {
      std::fprintf(stderr, "%s\n", d.formatted.empty() ? d.message.c_str() : d.formatted.c_str());
      printed = true;
    }
  if (!printed) std::fprintf(stderr, "%s\n", e.message.c_str());
  std::fprintf(stderr, "hot: %s: %s; version %u keeps running\n", e.unit.c_str(),
               hot::toString(e.code), e.version);
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

void EventPrinter::onMessage(hot::Severity s, const std::string &text) {
  if (json_) {
    emit({{"event", "message"}, {"severity", severityName(s)}, {"message", text}});
    return;
  }
  std::lock_guard<std::mutex> lock(print_mu);
  std::fprintf(stderr, "hot: %s: %s\n", severityName(s), text.c_str());
}

} // namespace hot::cli
