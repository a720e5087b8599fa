// Frontend: in-process clang on real files in temp dirs.
#include "frontend/Frontend.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <typeinfo>

#include "FrontendSupport.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Instructions.h"

using hot::Severity;
using hot::fe::CompileJob;
using hot::fe::CompileResult;
using hot::fe::Frontend;
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

const hot::fe::GlobalInfo *findGlobal(const CompileResult &r, const std::string &qualified) {
  for (const auto &[mangled, info] : r.globals)
    if (info.qualified_name == qualified) return &info;
  return nullptr;
}

bool contains(const std::vector<std::string> &v, const std::string &s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

constexpr const char *kSimpleUnit = R"(int add(int a, int b) { return a + b; }
namespace game {
int update(float dt) { return static_cast<int>(dt); }
int tick() { static int calls = 0; return ++calls; }
struct Box { static double scale(const char *s); int get() const { return v; } int v = 0; };
double Box::scale(const char *) { return 2.0; }
int use_box() { Box b; return b.get(); }
}
extern "C" void c_entry() {}
int table[4] = {1, 2, 3, 4};
)";

} // namespace

TEST(Frontend, CompilesUnitAndMapsFunctionsToDecls) {
  TempDir dir;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileJob job = jobFor(dir, "simple.cpp", kSimpleUnit);
  CompileResult r = fe->compile(job);
  ASSERT_TRUE(r.ok()) << allDiagnostics(r);
  ASSERT_TRUE(r.context);
  std::printf("[ timing ] no-include unit: %.1f ms\n", r.frontend_ms);

  ASSERT_TRUE(r.functions.count("_Z3addii"));
  const auto &add = r.functions.at("_Z3addii");
  EXPECT_EQ(add.qualified_name, "add");
  EXPECT_EQ(add.display, "int add(int, int)");
  EXPECT_EQ(add.type_encoding, typeid(int(int, int)).name());
  EXPECT_EQ(add.file, job.path);
  EXPECT_EQ(add.line, 1u);
  EXPECT_EQ(add.column, 5u);
  EXPECT_FALSE(add.in_system_header);
  EXPECT_FALSE(add.is_extern_c);

  const auto *update = findFunction(r, "game::update");
  ASSERT_TRUE(update);
  EXPECT_EQ(update->mangled, "_ZN4game6updateEf");
  EXPECT_EQ(update->display, "int game::update(float)");
  EXPECT_EQ(update->type_encoding, typeid(int(float)).name());

  const auto *scale = findFunction(r, "game::Box::scale");
  ASSERT_TRUE(scale);
  EXPECT_EQ(scale->type_encoding, typeid(double(const char *)).name());
  EXPECT_EQ(scale->line, 6u); // the out-of-class definition, not the declaration
  const auto *get = findFunction(r, "game::Box::get");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->display, "int game::Box::get() const");
  EXPECT_EQ(get->type_encoding, typeid(int()).name()); // without `this` and its const

  const auto *tick = findFunction(r, "game::tick");
  ASSERT_TRUE(tick);
  EXPECT_EQ(tick->type_encoding, typeid(int()).name());

  ASSERT_TRUE(r.functions.count("c_entry"));
  EXPECT_TRUE(r.functions.at("c_entry").is_extern_c);
  EXPECT_EQ(r.functions.at("c_entry").qualified_name, "c_entry");
  EXPECT_EQ(r.functions.at("c_entry").type_encoding, typeid(void()).name());

  const auto *calls = findGlobal(r, "game::tick()::calls");
  ASSERT_TRUE(calls);
  EXPECT_EQ(calls->cpp_type, "int");
  const auto *table = findGlobal(r, "table");
  ASSERT_TRUE(table);
  EXPECT_EQ(table->cpp_type, "int[4]");
  EXPECT_EQ(table->line, 10u);

  // Every entry maps back to a Decl: no compiler-generated helpers with empty names.
  for (const auto &[mangled, info] : r.functions) EXPECT_FALSE(info.qualified_name.empty()) << mangled;
}

TEST(Frontend, CompilesStandardLibraryUnit) {
  TempDir dir;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileJob job = jobFor(dir, "std.cpp", R"(#include <vector>
#include <string>
#include <iostream>
std::vector<std::string> names;
int count_names() { names.push_back("x"); std::cout << names.size() << "\n"; return (int)names.size(); }
)");
  CompileResult r = fe->compile(job);
  ASSERT_TRUE(r.ok()) << allDiagnostics(r);
  std::printf("[ timing ] <vector><string><iostream> unit: %.1f ms (first)\n", r.frontend_ms);
  CompileResult again = fe->compile(job);
  ASSERT_TRUE(again.ok());
  std::printf("[ timing ] <vector><string><iostream> unit: %.1f ms (again)\n", again.frontend_ms);

  const auto *user = findFunction(r, "count_names");
  ASSERT_TRUE(user);
  EXPECT_FALSE(user->in_system_header);
  bool some_system = false;
  for (const auto &[mangled, info] : r.functions) some_system |= info.in_system_header;
  EXPECT_TRUE(some_system) << "std:: instantiations should be marked as system code";
  const auto *names = findGlobal(r, "names");
  ASSERT_TRUE(names);
  EXPECT_NE(names->cpp_type.find("std::vector"), std::string::npos) << names->cpp_type;
  EXPECT_TRUE(r.dependencies.empty()) << r.dependencies.front();
}

TEST(Frontend, SyntaxErrorGivesLocatedDiagnostic) {
  TempDir dir;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileJob job = jobFor(dir, "bad.cpp", "int ok() { return 1; }\n\nint y = 3 +;\n");
  CompileResult r = fe->compile(job);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.module);
  EXPECT_TRUE(r.functions.empty());
  auto err = std::find_if(r.diagnostics.begin(), r.diagnostics.end(),
                          [](const hot::Diagnostic &d) { return d.severity == Severity::Error; });
  ASSERT_NE(err, r.diagnostics.end());
  EXPECT_EQ(err->file, job.path);
  EXPECT_EQ(err->line, 3u);
  EXPECT_EQ(err->column, 12u);
  EXPECT_EQ(err->message, "expected expression");
  EXPECT_NE(err->formatted.find(job.path + ":3:12: error: expected expression"), std::string::npos)
      << err->formatted;
  EXPECT_NE(err->formatted.find("    3 | int y = 3 +;"), std::string::npos) << err->formatted;
  EXPECT_NE(err->formatted.find('^'), std::string::npos) << err->formatted;
  // Our own formatter renders the same thing from the structured fields.
  EXPECT_EQ(hot::fe::formatDiagnostic(*err), err->formatted);
}

TEST(Frontend, CollectsWarningsAndNotes) {
  TempDir dir;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileResult warn = fe->compile(jobFor(dir, "warn.cpp", "int f() { int unused; return 0; }\n", {"-Wall"}));
  ASSERT_TRUE(warn.ok()) << allDiagnostics(warn);
  ASSERT_FALSE(warn.diagnostics.empty());
  EXPECT_EQ(warn.diagnostics[0].severity, Severity::Warning);
  EXPECT_NE(warn.diagnostics[0].formatted.find(":1:15: warning: unused variable 'unused'"),
            std::string::npos) << warn.diagnostics[0].formatted;

  CompileResult note = fe->compile(jobFor(dir, "note.cpp", "void g(int);\nvoid g(double);\nvoid h() { g(\"s\"); }\n"));
  EXPECT_FALSE(note.ok());
  bool has_note = std::any_of(note.diagnostics.begin(), note.diagnostics.end(),
                              [](const hot::Diagnostic &d) { return d.severity == Severity::Note; });
  EXPECT_TRUE(has_note) << allDiagnostics(note);
}

TEST(Frontend, ReportsProjectHeadersAsDependencies) {
  TempDir dir;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  writeFile(dir.file("inc/config.h"), "#pragma once\n#include \"detail/more.h\"\nconstexpr int kLimit = 3;\n");
  writeFile(dir.file("inc/detail/more.h"), "#pragma once\ninline int more() { return 1; }\n");
  const std::string src = "#include <vector>\n#include \"config.h\"\nint limit() { return kLimit + more(); }\n";
  CompileJob job = jobFor(dir, "src/main.cpp", src, {"-I" + dir.file("src/../inc")});
  CompileResult r = fe->compile(job);
  ASSERT_TRUE(r.ok()) << allDiagnostics(r);
  EXPECT_TRUE(contains(r.dependencies, dir.file("inc/config.h"))) << r.dependencies.size();
  EXPECT_TRUE(contains(r.dependencies, dir.file("inc/detail/more.h")));
  EXPECT_FALSE(contains(r.dependencies, job.path));
  for (const auto &d : r.dependencies) {
    EXPECT_EQ(d.find("/usr/"), std::string::npos) << d;
    EXPECT_EQ(d.find(".."), std::string::npos) << d;
  }

  job.track_system_headers = true;
  CompileResult with_system = fe->compile(job);
  ASSERT_TRUE(with_system.ok());
  EXPECT_TRUE(std::any_of(with_system.dependencies.begin(), with_system.dependencies.end(),
                          [](const std::string &d) { return d.find("/vector") != std::string::npos; }));

  // Still reported when the unit fails after the include.
  job.track_system_headers = false;
  job.contents = src + "int broken( { \n";
  CompileResult failed = fe->compile(job);
  EXPECT_FALSE(failed.ok());
  EXPECT_TRUE(contains(failed.dependencies, dir.file("inc/config.h")));
  EXPECT_TRUE(contains(failed.dependencies, dir.file("inc/detail/more.h")));
}

TEST(Frontend, LayoutFingerprintTracksFieldsNotBodies) {
  TempDir dir;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  auto unit = [](const std::string &fields, const std::string &body) {
    return "struct Base { long id; };\nstruct Player : Base { " + fields + " };\n"
           "Player player;\nint hp() { " + body + " }\n";
  };
  auto layoutOf = [&](const std::string &text) {
    CompileResult r = fe->compile(jobFor(dir, "layout.cpp", text));
    EXPECT_TRUE(r.ok()) << allDiagnostics(r);
    const auto *g = findGlobal(r, "player");
    EXPECT_TRUE(g);
    if (g) EXPECT_EQ(g->cpp_type, "Player");
    return g ? g->layout : std::string();
  };
  std::string base = layoutOf(unit("int hp; float x;", "return player.hp;"));
  EXPECT_FALSE(base.empty());
  EXPECT_EQ(layoutOf(unit("int hp; float x;", "return player.hp * 2 + 1;")), base);
  EXPECT_NE(layoutOf(unit("int hp; float x; float y;", "return player.hp;")), base);
  EXPECT_NE(layoutOf(unit("int hp; float y;", "return player.hp;")), base);   // renamed field
  EXPECT_NE(layoutOf(unit("float x; int hp;", "return player.hp;")), base);   // reordered
  EXPECT_NE(layoutOf(unit("int hp; double x;", "return player.hp;")), base);  // retyped
}

TEST(Frontend, DefineInArgsSelectsBranch) {
  TempDir dir;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  const std::string src = "#ifdef FEATURE\nint with_feature() { return FEATURE; }\n#else\n"
                          "int without_feature() { return 0; }\n#endif\n";
  CompileResult on = fe->compile(jobFor(dir, "def.cpp", src, {"-DFEATURE=7"}));
  ASSERT_TRUE(on.ok()) << allDiagnostics(on);
  EXPECT_TRUE(findFunction(on, "with_feature"));
  EXPECT_FALSE(findFunction(on, "without_feature"));
  CompileResult off = fe->compile(jobFor(dir, "def.cpp", src));
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(findFunction(off, "with_feature"));
  EXPECT_TRUE(findFunction(off, "without_feature"));
}

TEST(Frontend, CompilesContentsNotDisk) {
  TempDir dir;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileJob job = jobFor(dir, "mem.cpp", "int on_disk() { return 1; }\n");
  job.contents = "int in_memory() { return 2; }\n";
  CompileResult r = fe->compile(job);
  ASSERT_TRUE(r.ok()) << allDiagnostics(r);
  EXPECT_TRUE(findFunction(r, "in_memory"));
  EXPECT_FALSE(findFunction(r, "on_disk"));

  // A main file that exists only in memory compiles too.
  job.path = dir.file("never_written.cpp");
  CompileResult virt = fe->compile(job);
  ASSERT_TRUE(virt.ok()) << allDiagnostics(virt);
  EXPECT_TRUE(findFunction(virt, "in_memory"));
}

TEST(Frontend, OptLevelShapesUnoptimizedModule) {
  TempDir dir;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileJob job = jobFor(dir, "opt.cpp", "int sq(int x) { return x * x; }\n");
  CompileResult o0 = fe->compile(job);
  ASSERT_TRUE(o0.ok());
  EXPECT_TRUE(o0.module->getFunction("_Z2sqi")->hasFnAttribute(llvm::Attribute::OptimizeNone));
  job.opt_level = 2;
  CompileResult o2 = fe->compile(job);
  ASSERT_TRUE(o2.ok());
  llvm::Function *f = o2.module->getFunction("_Z2sqi");
  EXPECT_FALSE(f->hasFnAttribute(llvm::Attribute::OptimizeNone));
  // Not optimized yet: the parameter still goes through an alloca.
  EXPECT_TRUE(std::any_of(f->front().begin(), f->front().end(),
                          [](const llvm::Instruction &i) { return llvm::isa<llvm::AllocaInst>(i); }));
  hot::fe::optimizeModule(*o2.module, 2);
  EXPECT_FALSE(std::any_of(f->front().begin(), f->front().end(),
                           [](const llvm::Instruction &i) { return llvm::isa<llvm::AllocaInst>(i); }));
}

TEST(Frontend, ConcurrentFrontendsOnTwoThreads) {
  TempDir dir;
  CompileJob a = jobFor(dir, "a.cpp", "#include <vector>\nint a() { std::vector<int> v{1,2}; return v[1]; }\n");
  CompileJob b = jobFor(dir, "b.cpp", kSimpleUnit);
  bool ok_a = false, ok_b = false;
  auto run = [](const CompileJob &job, bool &ok) {
    auto fe = Frontend::create();
    if (!fe) return llvm::consumeError(fe.takeError());
    ok = true;
    for (int i = 0; i < 3; ++i) {
      CompileResult r = (*fe)->compile(job);
      ok &= r.ok() && !r.functions.empty();
      if (r.ok()) {
        hot::fe::optimizeModule(*r.module, 1);
        auto obj = hot::fe::emitObject(*r.module, 1, false);
        ok &= static_cast<bool>(obj);
        if (!obj) llvm::consumeError(obj.takeError());
      }
    }
  };
  std::thread ta(run, std::cref(a), std::ref(ok_a));
  std::thread tb(run, std::cref(b), std::ref(ok_b));
  ta.join();
  tb.join();
  EXPECT_TRUE(ok_a);
  EXPECT_TRUE(ok_b);
}

TEST(Frontend, EmitsElfObject) {
  TempDir dir;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  for (int level : {0, 2}) {
    for (bool native : {false, true}) {
      CompileJob job = jobFor(dir, "obj.cpp", kSimpleUnit);
      job.opt_level = level;
      CompileResult r = fe->compile(job);
      ASSERT_TRUE(r.ok()) << allDiagnostics(r);
      hot::fe::optimizeModule(*r.module, level);
      auto obj = hot::fe::emitObject(*r.module, level, native);
      ASSERT_TRUE(static_cast<bool>(obj)) << llvm::toString(obj.takeError());
      llvm::StringRef bytes = (*obj)->getBuffer();
      ASSERT_GT(bytes.size(), 64u);
      EXPECT_TRUE(bytes.starts_with("\x7f" "ELF"));
      EXPECT_NE(bytes.find("_Z3addii"), llvm::StringRef::npos);
    }
  }
}

TEST(Frontend, DriverErrorsBecomeDiagnostics) {
  TempDir dir;
  auto fe = makeFrontend();
  ASSERT_TRUE(fe);
  CompileResult r = fe->compile(jobFor(dir, "x.cpp", "int x;\n", {"-fno-such-flag-at-all"}));
  EXPECT_FALSE(r.ok());
  ASSERT_FALSE(r.diagnostics.empty());
  EXPECT_EQ(r.diagnostics[0].severity, Severity::Error);
  EXPECT_NE(r.diagnostics[0].message.find("-fno-such-flag-at-all"), std::string::npos)
      << r.diagnostics[0].formatted;
}

TEST(Frontend, CreateRejectsMissingDriver) {
  auto fe = Frontend::create("/nonexistent/clang++");
  EXPECT_FALSE(static_cast<bool>(fe));
  if (!fe) llvm::consumeError(fe.takeError());
}

TEST(FormatDiagnostic, MatchesClangLayout) {
  TempDir dir;
  writeFile(dir.file("f.cpp"), "int main() {\n\tfoo();\n}\n");
  hot::Diagnostic d;
  d.file = dir.file("f.cpp");
  d.line = 2;
  d.column = 2;
  d.severity = Severity::Error;
  d.message = "use of undeclared identifier 'foo'";
  EXPECT_EQ(hot::fe::formatDiagnostic(d),
            d.file + ":2:2: error: use of undeclared identifier 'foo'\n"
                     "    2 |         foo();\n"
                     "      |         ^\n");
  d.file = dir.file("missing.cpp");
  d.severity = Severity::Warning;
  EXPECT_EQ(hot::fe::formatDiagnostic(d), d.file + ":2:2: warning: use of undeclared identifier 'foo'\n");
  hot::Diagnostic bare;
  bare.message = "link failed";
  EXPECT_EQ(hot::fe::formatDiagnostic(bare), "error: link failed\n");
}
