// Tiered compilation, the JVM way: an edit arrives at tier 0 (fast -O0 compile, call counters
// in every user function); a unit whose functions have been called `call_threshold` times is
// recompiled at tier 1 (-O2) on the engine thread from the very source text that runs, and its
// stubs move to the optimized bodies. State is the same storage (the same persistent-data rules
// as any reload), old tier-0 code is retired like any old version, and an edit starts again at
// tier 0.
#include "engine/EngineImpl.h"

#include <algorithm>

namespace hot {

void HotEngine::Impl::checkTiers() {
  std::vector<std::unique_ptr<Transaction>> work;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto &[path, u] : units_) {
      Version *v = u->current();
      if (!v || v->tier != 0 || u->failed) continue;
      std::uint64_t total = 0;
      std::vector<std::pair<std::uint64_t, std::string>> per_fn;
      for (auto &[sym, addr] : v->bodies) {
        SymbolRecord &rec = *symbols_[sym];
        if (!rec.is_user || rec.owner != int(u->id)) continue;
        std::uint64_t n = __atomic_load_n(stubs_->counter(rec.stub), __ATOMIC_RELAXED);
        total += n;
        if (n) per_fn.push_back({n, rec.display.empty() ? sym : rec.display});
      }
      if (total < config_.tiering.call_threshold) continue;
      std::sort(per_fn.rbegin(), per_fn.rend());
      std::vector<std::string> hot;
      for (size_t i = 0; i < per_fn.size() && i < 5; ++i) hot.push_back(per_fn[i].second);
      work.push_back(stageTierUp(*u, std::move(hot)));
    }
  }
  for (auto &tx : work) (void)runTransaction(std::move(tx), config_.apply_in_background);
}

/// A transaction that recompiles the running version's source at tier 1.
std::unique_ptr<Transaction> HotEngine::Impl::stageTierUp(Unit &u,
                                                          std::vector<std::string> hot_functions) {
  auto tx = std::make_unique<Transaction>();
  tx->id = next_tx_++;
  auto s = std::make_unique<Staged>();
  s->unit = &u;
  s->source = u.current()->source;
  s->hash = u.current()->hash;
  s->tier = 1;
  s->opt_level = config_.tiering.tier1_opt;
  s->hot_functions = std::move(hot_functions);
  s->tier_up = true;
  tx->units.push_back(std::move(s));
  return tx;
}

} // namespace hot
