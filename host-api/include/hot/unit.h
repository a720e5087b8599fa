// hotengine: macros a reloadable unit may use. They compile to ordinary (unused) static functions
// in a native build, so the same source builds with or without the engine.
//
// Order on a reload of unit U (all on the thread that applies the reload):
//   1. HOT_ON_UNLOAD of U's running version      (hand resources over: stop threads, ...)
//   2. initializers of globals new in this version (once each)
//   3. HOT_MIGRATE(var) of the new version, for each kept global whose layout changed
//   4. every stub of U moves to the new version   (one atomic store each)
//   5. HOT_ON_LOAD of the new version             (take resources back, restart threads)
// On the first load only 2 and 5 run. Use the macros at global scope (not inside a namespace). A hook that throws is reported; the reload still applies.
#pragma once

/// Runs after this version became live (and after the first load).
#define HOT_ON_LOAD() [[gnu::used]] static void hot_on_load()
/// Runs in the running version just before a newer version replaces it.
#define HOT_ON_UNLOAD() [[gnu::used]] static void hot_on_unload()
/// Carries global `var` over a layout change. In the body, `var` is the new storage (already
/// initialized by its initializer) and `hot_old` points to the old bytes (`hot_old_size` bytes).
/// Without it, a layout change of a kept global is refused.
#define HOT_MIGRATE(var)                                                                           \
  [[gnu::used]] static void hot_migrate_##var([[maybe_unused]] const void *hot_old,               \
                                              [[maybe_unused]] unsigned long hot_old_size)
/// Declares that `var` may simply be re-initialized when its layout changes.
#define HOT_RESET_ON_LAYOUT_CHANGE(var) HOT_MIGRATE(var) {}
