// Frontend: a compile against the running version's outline compiles only the bodies the edit
// affects: an edited body, or a body naming an edited declaration. A new declaration, a flag
// or header change, or a directive in the edit makes it a full compile.
#include "support/FrontendSupport.h"

#include "frontend/Outline.h"

namespace {
using hot::test::allDiagnostics;
using hot::test::jobFor;
using hot::test::returnedConstant;

const char *kUnit = R"(#include <vector>
#include "helper.h"
static int twice(int x) { return 2 * x; }
constexpr int kScale = 3;
constexpr int kDouble = kScale * 2;
struct Acc {
  std::vector<int> v;
  int sum() const { int s = 0; for (int x : v) s += x; return s; }
};
int value() { return @V@; }
int other() { Acc a; a.v.push_back(twice(3)); return a.sum() + kHelper; }
int scaled() { return kScale; }
int doubled() { return kDouble; }
#define SCALE_PLUS_ONE (kScale + 1)
int viaMacro() { return SCALE_PLUS_ONE; }
)";

std::string unit(int v, const std::string &extra = "") {
  std::string s = kUnit;
  s.replace(s.find("@V@"), 3, std::to_string(v));
  return s + extra;
}

std::string edited(std::string text, const std::string &from, const std::string &to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "test bug: no '" << from << "'";
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

bool defines(const hot::fe::CompileResult &r, const std::string &mangled) {
  auto *f = r.module ? r.module->getFunction(mangled) : nullptr;
  return f && !f->isDeclaration();
}

bool skipped(const hot::fe::CompileResult &r, const std::string &mangled, bool local) {
  for (auto &[name, is_local] : r.skipped)
    if (name == mangled) return is_local == local;
  return false;
}

class BodyEditTest : public ::testing::Test {
protected:
  hot::test::TempDir dir;
  std::unique_ptr<hot::fe::Frontend> fe = hot::test::makeFrontend();
  void SetUp() override { hot::test::writeFile(dir.file("helper.h"), "constexpr int kHelper = 1;\n"); }

  /// unit(1) compiled in full: the base the edits below are compiled against.
  std::shared_ptr<const hot::fe::Outline> baseline() {
    auto full = compile(unit(1), nullptr);
    EXPECT_TRUE(full.ok()) << allDiagnostics(full);
    return full.outline;
  }

  hot::fe::CompileResult compile(const std::string &text,
                                 std::shared_ptr<const hot::fe::Outline> base) {
    auto job = jobFor(dir, "unit.cpp", text);
    job.base = std::move(base);
    return fe->compile(job);
  }
};

TEST_F(BodyEditTest, OnlyTheEditedBodyIsCompiled) {
  auto full = compile(unit(1), nullptr);
  ASSERT_TRUE(full.ok()) << allDiagnostics(full);
  EXPECT_FALSE(full.patch);
  EXPECT_TRUE(defines(full, "_Z5otherv"));
  ASSERT_TRUE(full.outline);
  EXPECT_EQ(full.outline->bodies.size(), 7u); // twice, Acc::sum, value, other, scaled, doubled, viaMacro

  auto patch = compile(unit(2), full.outline);
  ASSERT_TRUE(patch.ok()) << allDiagnostics(patch);
  EXPECT_TRUE(patch.patch);
  EXPECT_EQ(patch.bodies_changed, 1u);
  EXPECT_EQ(returnedConstant(patch), 2);
  EXPECT_FALSE(defines(patch, "_Z5otherv"));
  EXPECT_FALSE(defines(patch, "_ZNK3Acc3sumEv"));
  EXPECT_TRUE(skipped(patch, "_Z5otherv", false));
  EXPECT_TRUE(skipped(patch, "_ZL5twicei", true));
  EXPECT_TRUE(patch.diagnostics.empty()) << allDiagnostics(patch); // no "unused" noise

  // A patch's outline is the base of the next one (offsets moved with the edit).
  auto again = compile(unit(12345), patch.outline);
  ASSERT_TRUE(again.ok()) << allDiagnostics(again);
  EXPECT_TRUE(again.patch);
  EXPECT_EQ(returnedConstant(again), 12345);
}

TEST_F(BodyEditTest, EditedBodyThatNowCallsASkippedFunctionDeclaresIt) {
  auto base = baseline();
  ASSERT_TRUE(base);
  std::string text = edited(unit(1), "return 1;", "return twice(21);");
  auto patch = compile(text, base);
  ASSERT_TRUE(patch.ok()) << allDiagnostics(patch);
  EXPECT_TRUE(patch.patch);
  llvm::Function *callee = patch.module->getFunction("_ZL5twicei");
  ASSERT_NE(callee, nullptr);
  EXPECT_TRUE(callee->isDeclaration());
}

TEST_F(BodyEditTest, ConstantEditCompilesTheBodiesThatNameItDirectlyOrNot) {
  auto base = baseline();
  ASSERT_TRUE(base);
  std::string text = edited(unit(1), "kScale = 3;", "kScale = 40;");
  auto r = compile(text, base);
  ASSERT_TRUE(r.ok()) << allDiagnostics(r);
  EXPECT_TRUE(r.patch);
  EXPECT_EQ(r.bodies_changed, 3u);
  EXPECT_EQ(returnedConstant(r, "_Z6scaledv"), 40);
  EXPECT_EQ(returnedConstant(r, "_Z7doubledv"), 80) << "names kDouble, which names kScale";
  EXPECT_EQ(returnedConstant(r, "_Z8viaMacrov"), 41) << "uses a macro that names kScale";
  EXPECT_FALSE(defines(r, "_Z5otherv"));
  EXPECT_FALSE(defines(r, "_Z5valuev"));

  // The outline of that compile is a valid base: a body edit after it is a patch again.
  auto again = compile(edited(text, "return 1;", "return 9;"), r.outline);
  ASSERT_TRUE(again.ok()) << allDiagnostics(again);
  EXPECT_TRUE(again.patch);
  EXPECT_EQ(again.bodies_changed, 1u);
  EXPECT_EQ(returnedConstant(again), 9);
}

TEST_F(BodyEditTest, MemberTypeEditCompilesTheClassUsers) {
  auto base = baseline();
  ASSERT_TRUE(base);
  std::string text = edited(unit(1), "std::vector<int> v;", "std::vector<long> v;");
  auto r = compile(text, base);
  ASSERT_TRUE(r.ok()) << allDiagnostics(r);
  EXPECT_TRUE(r.patch);
  EXPECT_TRUE(defines(r, "_Z5otherv")) << "other() uses Acc";
  EXPECT_TRUE(defines(r, "_ZNK3Acc3sumEv")) << "a member of the edited class";
  EXPECT_FALSE(defines(r, "_Z6scaledv"));
}

TEST_F(BodyEditTest, NewDeclarationIsAFullCompile) {
  auto base = baseline();
  ASSERT_TRUE(base);
  std::string text = edited(unit(1), "std::vector<int> v;", "std::vector<int> v; int n = 0;");
  auto r = compile(text, base);
  ASSERT_TRUE(r.ok()) << allDiagnostics(r);
  EXPECT_FALSE(r.patch);
  EXPECT_TRUE(defines(r, "_Z5otherv"));
  auto added = compile(unit(1, "int added() { return 3; }\n"), base);
  ASSERT_TRUE(added.ok()) << allDiagnostics(added);
  EXPECT_FALSE(added.patch); // a new function is a new declaration
}

TEST_F(BodyEditTest, HeaderOrFlagChangeIsAFullCompile) {
  auto full = compile(unit(1), nullptr);
  ASSERT_TRUE(full.ok()) << allDiagnostics(full);
  hot::test::writeFile(dir.file("helper.h"), "constexpr int kHelper = 2;\n");
  auto r = compile(unit(2), full.outline);
  ASSERT_TRUE(r.ok()) << allDiagnostics(r);
  EXPECT_FALSE(r.patch);
  EXPECT_TRUE(defines(r, "_Z5otherv"));

  auto job = jobFor(dir, "unit.cpp", unit(3), {"-DEXTRA=1"});
  job.base = r.outline;
  auto flags = fe->compile(job);
  ASSERT_TRUE(flags.ok()) << allDiagnostics(flags);
  EXPECT_FALSE(flags.patch);
}

TEST_F(BodyEditTest, HeaderEditCompilesTheBodiesThatNameWhatItChanged) {
  auto full = compile(unit(1), nullptr);
  ASSERT_TRUE(full.ok()) << allDiagnostics(full);
  hot::test::writeFile(dir.file("helper.h"), "constexpr int kHelper = 2000;\n");
  auto r = compile(unit(1), full.outline);
  ASSERT_TRUE(r.ok()) << allDiagnostics(r);
  EXPECT_TRUE(r.patch);
  EXPECT_TRUE(defines(r, "_Z5otherv")) << "other() names kHelper";
  EXPECT_FALSE(defines(r, "_Z5valuev"));
  EXPECT_FALSE(defines(r, "_Z6scaledv"));

  // A header is parsed before the bodies, so what a new declaration declares is known: the
  // bodies that name it (where overload resolution could change) are compiled.
  hot::test::writeFile(dir.file("helper.h"),
                       "constexpr int kHelper = 2000;\nint value(int);\n");
  auto added = compile(unit(1), r.outline);
  ASSERT_TRUE(added.ok()) << allDiagnostics(added);
  EXPECT_TRUE(added.patch);
  EXPECT_TRUE(defines(added, "_Z5valuev"));
  EXPECT_FALSE(defines(added, "_Z5otherv"));

  // A directive in the edit can change anything: full compile.
  hot::test::writeFile(dir.file("helper.h"),
                       "constexpr int kHelper = 2000;\n#define HELPER_TWICE 2\nint value(int);\n");
  auto directive = compile(unit(1), added.outline);
  ASSERT_TRUE(directive.ok()) << allDiagnostics(directive);
  EXPECT_FALSE(directive.patch);
}

TEST_F(BodyEditTest, DirectiveInsideAnEditedBodyIsAFullCompile) {
  auto base = baseline();
  ASSERT_TRUE(base);
  std::string text = edited(unit(1), "return 1;", "\n#define ONE 1\nreturn ONE;");
  auto r = compile(text, base);
  ASSERT_TRUE(r.ok()) << allDiagnostics(r);
  EXPECT_FALSE(r.patch);
  EXPECT_EQ(returnedConstant(r), 1);
}

TEST(PatchPlan, BracesInStringsAndCommentsDoNotConfuseIt) {
  hot::fe::Outline base;
  base.text = "int f() { return 1; }\nint g() { return 2; }\n";
  base.bodies = {{0, 4, 8, 20}, {22, 26, 30, 42}};
  auto plan = hot::fe::detail::planPatch(
      base, "int f() { const char *s = \"}\"; /* } */ return 1; }\nint g() { return 2; }\n");
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->changed, 1u);
  ASSERT_EQ(plan->bodies.size(), 2u);
  EXPECT_EQ(plan->skip.count(plan->bodies[1].name), 1u);
  EXPECT_FALSE(plan->declarations);
  // Unbalanced braces are no body edit (the compile then reports the error).
  auto broken = hot::fe::detail::planPatch(base, "int f() { return 1; \nint g() { return 2; }\n");
  EXPECT_TRUE(!broken || broken->declarations);
}

} // namespace
