// Header cache (precompiled preamble of a unit's #include prefix): a compile that reuses it
// must be indistinguishable from one that parses everything again.
#include "frontend/Frontend.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "FrontendSupport.h"
#include "llvm/IR/Function.h"
#include "llvm/Support/raw_ostream.h"

using hot::Severity;
using hot::fe::CompileJob;
using hot::fe::CompileResult;
using hot::fe::Frontend;
using hot::fe::HeaderCacheUse;
using hot::test::TempDir;
using hot::test::makeFrontend;
using hot::test::allDiagnostics;
using hot::test::jobFor;
using hot::test::returnedConstant;
using hot::test::writeFile;

namespace {

const hot::fe::FunctionInfo *findFunction(const CompileResult &r, const std::string &qualified) {
  for (const auto &[mangled, info] : r.functions)
    if (info.qualified_name == qualified) return &info;
  return nullptr;
}

void expectSameFunctions(const CompileResult &a, const CompileResult &b) {
  ASSERT_EQ(a.functions.size(), b.functions.size());
  for (const auto &[mangled, fa] : a.functions) {
    auto it = b.functions.find(mangled);
    ASSERT_NE(it, b.functions.end()) << mangled;
    const auto &fb = it->second;
    EXPECT_EQ(fa.qualified_name, fb.qualified_name) << mangled;
    EXPECT_EQ(fa.display, fb.display) << mangled;
    EXPECT_EQ(fa.type_encoding, fb.type_encoding) << mangled;
    EXPECT_EQ(fa.file, fb.file) << mangled;
    EXPECT_EQ(fa.line, fb.line) << mangled;
    EXPECT_EQ(fa.column, fb.column) << mangled;
    EXPECT_EQ(fa.in_system_header, fb.in_system_header) << mangled;
    EXPECT_EQ(fa.is_extern_c, fb.is_extern_c) << mangled;
  }
  ASSERT_EQ(a.globals.size(), b.globals.size());
  for (const auto &[mangled, ga] : a.globals) {
    auto it = b.globals.find(mangled);
    ASSERT_NE(it, b.globals.end()) << mangled;
    const auto &gb = it->second;
    EXPECT_EQ(ga.qualified_name, gb.qualified_name) << mangled;
    EXPECT_EQ(ga.cpp_type, gb.cpp_type) << mangled;
    EXPECT_EQ(ga.layout, gb.layout) << mangled;
    EXPECT_EQ(ga.file, gb.file) << mangled;
    EXPECT_EQ(ga.line, gb.line) << mangled;
    EXPECT_EQ(ga.column, gb.column) << mangled;
    EXPECT_EQ(ga.in_system_header, gb.in_system_header) << mangled;
  }
}

void expectSameDiagnostics(const CompileResult &a, const CompileResult &b) {
  ASSERT_EQ(a.diagnostics.size(), b.diagnostics.size()) << allDiagnostics(a) << "---\n" << allDiagnostics(b);
  for (size_t i = 0; i < a.diagnostics.size(); ++i) {
    const hot::Diagnostic &da = a.diagnostics[i], &db = b.diagnostics[i];
    EXPECT_EQ(da.severity, db.severity) << i;
    EXPECT_EQ(da.file, db.file) << i;
    EXPECT_EQ(da.line, db.line) << i;
    EXPECT_EQ(da.column, db.column) << i;
    EXPECT_EQ(da.message, db.message) << i;
    EXPECT_EQ(da.formatted, db.formatted) << i;
  }
}

/// A project with a header that declares a struct, an inline function and a warning.
struct Project {
  TempDir dir;
  CompileJob job;
  Project() {
    writeFile(dir.file("inc/model.h"), R"(#pragma once
#include <string>
namespace model {
struct Player { std::string name; int hp = 100; float x = 0, y = 0; };
inline int clampHp(int hp) { int unused_in_header; return hp < 0 ? 0 : hp; }
constexpr int kMaxPlayers = 4;
int spawned = 0;                          // non-inline definitions in a header: every includer
int spawn() { return ++spawned; }         // defines them, cached or not
static int local() { return kMaxPlayers; }
}
)");
    job.path = dir.file("src/game.cpp");
    job.args = {"-Wall", "-I" + dir.file("inc")};
  }
  CompileJob withBody(const std::string &body) {
    job.contents = "#include <vector>\n#include <string>\n#include \"model.h\"\n\n"
                   "model::Player player;\n"
                   "std::vector<model::Player> team(model::kMaxPlayers);\n"
                   "int hp() {\n" + body + "\n}\n";
    writeFile(job.path, job.contents);
    return job;
  }
};

} // namespace

TEST(FrontendCache, ReusedCompileMatchesUncachedCompile) {
  Project p;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileJob job = p.withBody("  return model::clampHp(player.hp) + (int)team.size() + model::local();");
  job.use_header_cache = false;
  CompileResult plain = fe->compile(job);
  ASSERT_TRUE(plain.ok()) << allDiagnostics(plain);
  EXPECT_EQ(plain.header_cache, HeaderCacheUse::None);

  job.use_header_cache = true;
  CompileResult built = fe->compile(job);
  ASSERT_TRUE(built.ok()) << allDiagnostics(built);
  EXPECT_EQ(built.header_cache, HeaderCacheUse::Built);
  CompileResult reused = fe->compile(job);
  ASSERT_TRUE(reused.ok()) << allDiagnostics(reused);
  EXPECT_EQ(reused.header_cache, HeaderCacheUse::Reused);

  for (const CompileResult *r : {&built, &reused}) {
    expectSameFunctions(plain, *r);
    expectSameDiagnostics(plain, *r);
    EXPECT_EQ(plain.dependencies, r->dependencies);
  }
  // The header's warning is reported even though the header was not parsed again.
  ASSERT_FALSE(reused.diagnostics.empty());
  EXPECT_EQ(reused.diagnostics[0].file, p.dir.file("inc/model.h"));
  EXPECT_EQ(reused.diagnostics[0].line, 5u);
  EXPECT_NE(reused.diagnostics[0].formatted.find("In file included from " + job.path + ":3:"),
            std::string::npos) << reused.diagnostics[0].formatted;

  // Decls from the cached headers still map: location, system-ness, layout.
  const auto *clamp = findFunction(reused, "model::clampHp");
  ASSERT_TRUE(clamp);
  EXPECT_EQ(clamp->file, p.dir.file("inc/model.h"));
  EXPECT_EQ(clamp->line, 5u);
  EXPECT_FALSE(clamp->in_system_header);
  bool some_system = false;
  for (const auto &[mangled, info] : reused.functions) some_system |= info.in_system_header;
  EXPECT_TRUE(some_system);
  const hot::fe::GlobalInfo *player = nullptr;
  for (const auto &[mangled, g] : reused.globals)
    if (g.qualified_name == "player") player = &g;
  ASSERT_TRUE(player);
  EXPECT_EQ(player->cpp_type, "model::Player");
  EXPECT_NE(player->layout.find(";hp:int{4,4}@"), std::string::npos) << player->layout;
  EXPECT_EQ(player->line, 5u);
  EXPECT_EQ(player->file, job.path);
  // Header definitions are still emitted by every compile of the unit.
  for (const char *name : {"_ZN5model5spawnEv", "_ZN5modelL5localEv"}) {
    ASSERT_TRUE(reused.module->getFunction(name)) << name;
    EXPECT_FALSE(reused.module->getFunction(name)->isDeclaration()) << name;
  }
  ASSERT_TRUE(reused.module->getNamedGlobal("_ZN5model7spawnedE"));
  EXPECT_FALSE(reused.module->getNamedGlobal("_ZN5model7spawnedE")->isDeclaration());
  EXPECT_TRUE(reused.globals.count("_ZN5model7spawnedE"));
}

namespace {
std::set<std::string> definedSymbols(const llvm::Module &m) {
  std::set<std::string> out;
  for (const llvm::GlobalValue &g : m.global_values())
    if (!g.isDeclaration()) out.insert(g.getName().str());
  return out;
}
} // namespace

TEST(FrontendCache, SevenStandardHeadersSameModuleContents) {
  TempDir dir;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileJob job;
  job.path = dir.file("heavy.cpp");
  job.contents = R"(#include <vector>
#include <string>
#include <unordered_map>
#include <algorithm>
#include <iostream>
#include <memory>
#include <functional>
namespace game {
struct Entity { std::string name; int hp = 0; };
std::vector<Entity> entities;
std::unordered_map<std::string, int> index;
std::function<int(int)> scale = [](int x) { return x * 2; };
int update(int n) {
  auto e = std::make_unique<Entity>();
  e->name = "e" + std::to_string(n);
  entities.push_back(*e);
  index[e->name] = n;
  std::sort(entities.begin(), entities.end(),
            [](const Entity &a, const Entity &b) { return a.name < b.name; });
  std::cout << "update " << entities.size() << "\n";
  return scale(n);
}
}
)";
  job.use_header_cache = false;
  CompileResult plain = fe->compile(job);
  ASSERT_TRUE(plain.ok()) << allDiagnostics(plain);
  job.use_header_cache = true;
  fe->compile(job);
  CompileResult cached = fe->compile(job);
  ASSERT_TRUE(cached.ok()) << allDiagnostics(cached);
  EXPECT_EQ(cached.header_cache, HeaderCacheUse::Reused);
  expectSameFunctions(plain, cached);
  expectSameDiagnostics(plain, cached);
  EXPECT_EQ(definedSymbols(*plain.module), definedSymbols(*cached.module));
  EXPECT_GT(cached.functions.size(), 100u);
}

TEST(FrontendCache, BodyEditsReuseTheCache) {
  Project p;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  ASSERT_TRUE(fe->compile(p.withBody("  return 1;")).ok());
  for (int v : {2, 3, 40}) {
    CompileResult r = fe->compile(p.withBody("  return " + std::to_string(v) + ";"));
    ASSERT_TRUE(r.ok()) << allDiagnostics(r);
    EXPECT_EQ(r.header_cache, HeaderCacheUse::Reused);
    llvm::Function *f = r.module->getFunction("_Z2hpv");
    ASSERT_TRUE(f);
    std::string ir;
    llvm::raw_string_ostream os(ir);
    f->print(os);
    EXPECT_NE(ir.find("ret i32 " + std::to_string(v)), std::string::npos) << ir;
  }
}

TEST(FrontendCache, ErrorAfterTheIncludesKeepsItsLocation) {
  Project p;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  ASSERT_TRUE(fe->compile(p.withBody("  return 1;")).ok());
  CompileJob job = p.withBody("  int y = 3 +;\n  return y;");
  CompileResult cached = fe->compile(job);
  EXPECT_EQ(cached.header_cache, HeaderCacheUse::Reused);
  EXPECT_FALSE(cached.ok());
  EXPECT_TRUE(cached.functions.empty());
  job.use_header_cache = false;
  CompileResult plain = fe->compile(job);
  EXPECT_FALSE(plain.ok());
  expectSameDiagnostics(plain, cached);
  auto err = std::find_if(cached.diagnostics.begin(), cached.diagnostics.end(),
                          [](const hot::Diagnostic &d) { return d.severity == Severity::Error; });
  ASSERT_NE(err, cached.diagnostics.end());
  EXPECT_EQ(err->file, job.path);
  EXPECT_EQ(err->line, 8u);
  EXPECT_EQ(err->column, 14u);
  EXPECT_NE(err->formatted.find(job.path + ":8:14: error: expected expression"), std::string::npos)
      << err->formatted;
  EXPECT_NE(err->formatted.find("    8 |   int y = 3 +;"), std::string::npos) << err->formatted;
  // Dependencies are still reported for a failed compile.
  EXPECT_EQ(cached.dependencies, std::vector<std::string>{p.dir.file("inc/model.h")});
}

TEST(FrontendCache, ErrorInsideAHeaderTemplateIsLocatedInTheHeader) {
  TempDir dir;
  writeFile(dir.file("box.h"), "#pragma once\ntemplate <typename T>\nint unbox(T t) {\n  return t.value;\n}\n");
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileJob job;
  job.path = dir.file("main.cpp");
  job.contents = "#include <vector>\n#include \"box.h\"\nint ok() { return 1; }\n";
  ASSERT_TRUE(fe->compile(job).ok());
  job.contents = "#include <vector>\n#include \"box.h\"\nint bad() { return unbox(3); }\n";
  CompileResult cached = fe->compile(job);
  EXPECT_EQ(cached.header_cache, HeaderCacheUse::Reused);
  EXPECT_FALSE(cached.ok());
  job.use_header_cache = false;
  CompileResult plain = fe->compile(job);
  expectSameDiagnostics(plain, cached);
  ASSERT_FALSE(cached.diagnostics.empty());
  EXPECT_EQ(cached.diagnostics[0].file, dir.file("box.h"));
  EXPECT_EQ(cached.diagnostics[0].line, 4u);
  EXPECT_EQ(cached.diagnostics[0].column, 11u);
  bool note_in_main = std::any_of(cached.diagnostics.begin(), cached.diagnostics.end(),
                                  [&](const hot::Diagnostic &d) {
                                    return d.severity == Severity::Note && d.file == job.path && d.line == 3;
                                  });
  EXPECT_TRUE(note_in_main) << allDiagnostics(cached);
}

TEST(FrontendCache, SystemDependenciesAreListedWhenTracked) {
  Project p;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileJob job = p.withBody("  return 1;");
  job.track_system_headers = true;
  job.use_header_cache = false;
  CompileResult plain = fe->compile(job);
  job.use_header_cache = true;
  CompileResult built = fe->compile(job);
  CompileResult reused = fe->compile(job);
  ASSERT_TRUE(plain.ok() && built.ok() && reused.ok());
  EXPECT_EQ(reused.header_cache, HeaderCacheUse::Reused);
  EXPECT_EQ(plain.dependencies, built.dependencies);
  EXPECT_EQ(plain.dependencies, reused.dependencies);
  EXPECT_TRUE(std::any_of(reused.dependencies.begin(), reused.dependencies.end(),
                          [](const std::string &d) { return d.find("/vector") != std::string::npos; }));
  // Untracked: the same compile, same cache entry, only the project header.
  job.track_system_headers = false;
  CompileResult untracked = fe->compile(job);
  EXPECT_EQ(untracked.header_cache, HeaderCacheUse::Reused);
  EXPECT_EQ(untracked.dependencies, std::vector<std::string>{p.dir.file("inc/model.h")});
}

TEST(FrontendCache, IncludesAfterTheFirstDeclarationAreCompiledNormally) {
  TempDir dir;
  writeFile(dir.file("late.h"), "#pragma once\ninline int late() { return 5; }\n");
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileJob job;
  job.path = dir.file("main.cpp");
  job.contents = "#include <string>\nint early() { return 1; }\n#include \"late.h\"\n"
                 "int both() { return early() + late(); }\n";
  CompileResult a = fe->compile(job);
  CompileResult b = fe->compile(job);
  ASSERT_TRUE(a.ok() && b.ok()) << allDiagnostics(a) << allDiagnostics(b);
  EXPECT_EQ(b.header_cache, HeaderCacheUse::Reused);
  EXPECT_TRUE(findFunction(b, "late"));
  EXPECT_EQ(b.dependencies, std::vector<std::string>{dir.file("late.h")});
}

TEST(FrontendCache, PrefixWithDefinesAndUnguardedHeaders) {
  TempDir dir;
  // An X-macro list: no include guard, included twice on purpose.
  writeFile(dir.file("colors.def"), "COLOR(red, 1)\nCOLOR(green, 2)\n");
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileJob job;
  job.path = dir.file("main.cpp");
  const std::string prefix =
      "#define SCALE 3\n#include <vector>\n"
      "#define COLOR(n, v) constexpr int n = v * SCALE;\n#include \"colors.def\"\n#undef COLOR\n"
      "#define COLOR(n, v) +n\n";
  job.contents = prefix + "int sum() { return 0\n#include \"colors.def\"\n; }\n";
  CompileResult a = fe->compile(job);
  ASSERT_TRUE(a.ok()) << allDiagnostics(a);
  job.contents = prefix + "int sum() { return 100\n#include \"colors.def\"\n; }\n";
  CompileResult b = fe->compile(job);
  ASSERT_TRUE(b.ok()) << allDiagnostics(b);
  EXPECT_EQ(b.header_cache, HeaderCacheUse::Reused);
  std::string ir;
  llvm::raw_string_ostream os(ir);
  b.module->getFunction("_Z3sumv")->print(os);
  EXPECT_NE(ir.find("ret i32 109"), std::string::npos) << ir; // 100 + 3 + 6
}

TEST(FrontendCache, UnitOnlyInMemoryUsesTheCache) {
  TempDir dir;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileJob job;
  job.path = dir.file("never_written.cpp");
  job.contents = "#include <string>\nint len() { return (int)std::string(\"abc\").size(); }\n";
  CompileResult a = fe->compile(job);
  CompileResult b = fe->compile(job);
  ASSERT_TRUE(a.ok() && b.ok()) << allDiagnostics(a) << allDiagnostics(b);
  EXPECT_EQ(b.header_cache, HeaderCacheUse::Reused);
  EXPECT_TRUE(findFunction(b, "len"));
}

TEST(FrontendCache, FrontendsOnSeveralThreadsShareOneBuild) {
  Project p;
  CompileJob job = p.withBody("  return model::clampHp(7);");
  constexpr int kThreads = 3;
  std::atomic<int> built{0}, reused{0}, ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      auto fe = Frontend::create();
      if (!fe) return llvm::consumeError(fe.takeError());
      for (int i = 0; i < 2; ++i) {
        CompileResult r = (*fe)->compile(job);
        ok += r.ok() && findFunction(r, "hp") && findFunction(r, "model::clampHp");
        built += r.header_cache == HeaderCacheUse::Built;
        reused += r.header_cache == HeaderCacheUse::Reused;
      }
    });
  for (auto &t : threads) t.join();
  EXPECT_EQ(ok, 2 * kThreads);
  EXPECT_EQ(built, 1);
  EXPECT_EQ(reused, 2 * kThreads - 1);
}

TEST(FrontendCache, UnitThatIsOnlyAPrefix) {
  TempDir dir;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileJob job;
  job.path = dir.file("only.cpp");
  for (std::string text : {"#include <string>\n", "#include <string>", "#include <string>\n#define X 1\n"}) {
    job.contents = text;
    CompileResult a = fe->compile(job);
    CompileResult b = fe->compile(job);
    ASSERT_TRUE(a.ok() && b.ok()) << allDiagnostics(a) << allDiagnostics(b);
    // The first text builds the unit's preamble; after a prefix change the shared PCH of
    // <string> stands in.
    EXPECT_TRUE(b.header_cache == HeaderCacheUse::Reused ||
                b.header_cache == HeaderCacheUse::SharedReused);
    job.contents = text + "\nint after() { return 2; }\n";
    CompileResult c = fe->compile(job);
    ASSERT_TRUE(c.ok()) << allDiagnostics(c);
    EXPECT_TRUE(findFunction(c, "after"));
  }
}

TEST(FrontendCache, UnitWithoutIncludesDoesNotUseIt) {
  TempDir dir;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileJob job;
  job.path = dir.file("plain.cpp");
  job.contents = "int f() { return 1; }\n";
  CompileResult r = fe->compile(job);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.header_cache, HeaderCacheUse::None);
}
