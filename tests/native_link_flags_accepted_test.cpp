// A native link line's -lpthread -ldl -lrt -lutil -lm works under `hot run` as it does for a
// native build: glibc has the first four built in (Debian 12 ships no libpthread.so), libm is
// loaded.
#include <gtest/gtest.h>

#include "RunProcess.h"
#include "TestSupport.h"

TEST(NativeLinkFlags, PthreadDlRtUtilAndMAreAccepted) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("main.cpp"), R"(#include <cmath>
#include <cstdio>
#include <pthread.h>
static void *work(void *arg) { *static_cast<double *>(arg) = std::sqrt(81.0); return nullptr; }
int main() {
  double r = 0;
  pthread_t t;
  pthread_create(&t, nullptr, work, &r);
  pthread_join(t, nullptr);
  std::printf("%g\n", r);
  return 0;
}
)");
  auto o = hot::test::runCommand(hot::test::hotBinary() + " run --quiet " + dir.path().string() +
                                 " -l pthread -ldl -l rt -lutil -l m 2>&1");
  EXPECT_EQ(o.out, "9\n");
  EXPECT_EQ(o.status, 0);
}

TEST(NativeLinkFlags, AMissingLibraryIsStillAnError) {
  hot::test::TempDir dir;
  hot::test::writeFile(dir.file("main.cpp"), "int main() { return 0; }\n");
  auto o = hot::test::runCommand(hot::test::hotBinary() + " run --quiet " + dir.path().string() +
                                 " -l hot_no_such_library 2>&1");
  EXPECT_NE(o.status, 0);
  EXPECT_NE(o.out.find("cannot load library 'hot_no_such_library'"), std::string::npos) << o.out;
}
