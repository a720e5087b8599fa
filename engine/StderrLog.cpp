// engine/: the text form of engine events (what `hot run` prints), and the listener an engine
// without one uses so that a host that set none still learns why an edit did not apply.
#include "engine/EngineImpl.h"

#include <cstdio>
#include <mutex>

namespace hot {

namespace {
const char *severityName(Severity s) {
  return s == Severity::Error ? "error" : s == Severity::Warning ? "warning" : "note";
}

std::string withNewline(std::string text) {
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}
} // namespace

std::string formatEvent(const ReloadEvent &e) {
  char line[256];
  if (e.success) {
    if (e.version <= 1) return ""; // a first load is not news
    std::snprintf(line, sizeof line, " (compile %.1f ms, link %.1f ms)\n", e.compile_ms, e.link_ms);
    return "hot: " + e.unit + ": version " + std::to_string(e.version) + " live" + line;
  }
  if (!e.waiting_for.empty()) return "hot: " + e.unit + ": " + e.message + "\n";
  std::string out;
  bool printed = false;
  for (const Diagnostic &d : e.diagnostics)
    if (d.severity != Severity::Note || printed) {
      out += withNewline(d.formatted.empty() ? d.message : d.formatted);
      printed = true;
    }
  if (!printed) out += withNewline(e.message);
  std::string outcome = e.version == 0 ? std::string("not started: ") + toString(e.code)
                                       : std::string(toString(e.code)) + "; version " +
                                             std::to_string(e.version) + " keeps running";
  return out + "hot: " + e.unit + ": " + outcome + "\n";
}

std::string formatMessage(Severity s, const std::string &text) {
  return std::string("hot: ") + severityName(s) + ": " + withNewline(text);
}

namespace {
/// Prints what formatEvent()/formatMessage() say, one event at a time.
class StderrListener : public Listener {
public:
  void onReload(const ReloadEvent &e) override { print(formatEvent(e)); }
  void onTierChange(const TierEvent &e) override {
    char line[64];
    std::snprintf(line, sizeof line, ": tier %d -> %d\n", e.from_tier, e.to_tier);
    print("hot: " + e.unit + line);
  }
  void onMessage(Severity s, const std::string &text) override { print(formatMessage(s, text)); }

private:
  void print(const std::string &text) {
    if (text.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    std::fputs(text.c_str(), stderr);
  }
  std::mutex mu_;
};
} // namespace

Listener *HotEngine::Impl::sink() {
  if (listener) return listener;
  if (!config_.log_to_stderr) return nullptr;
  static StderrListener fallback;
  return &fallback;
}

} // namespace hot
