// Live game code: hotengine compiles this file at run time and recompiles it whenever you save it.
// Edit it while `hot_game` runs and watch the next frame change. Things to try:
//   * change kBanner or kBall below and save;
//   * change kGravity or kBounce (the update rule) and watch the ball's motion change;
//   * break the code (delete a ';') and save: the error is printed, the old code keeps running;
//   * fix it and save again.
#include "world.h"

#include <cmath>
#include <string>

namespace game {

// Tunables. `constexpr` values are constants: a reload uses the new values right away.
constexpr const char *kBanner = " hotengine v1 - edit live/world.cpp ";
constexpr char kBall = 'o';
constexpr char kTrail = '.';
constexpr double kGravity = 30;  // cells per second^2, pulling the ball down
constexpr double kBounce = 1.0;  // speed kept when the ball hits the floor (1 = no loss)

// A plain (mutable) global: hotengine keeps its value when this file is reloaded, so the frame
// counter keeps counting instead of starting over.
static long frames_drawn = 0;

long framesDrawn() { return frames_drawn; }

void update(World &w, double dt) {
  w.time += dt;
  w.vy += kGravity * dt;
  w.x += w.vx * dt;
  w.y += w.vy * dt;

  // Bounce off the walls of the box (inside the border: columns 0..kWidth-3, rows 0..kHeight-3).
  const double right = kWidth - 3, bottom = kHeight - 3;
  if (w.x < 0) { w.x = -w.x; w.vx = -w.vx; }
  if (w.x > right) { w.x = 2 * right - w.x; w.vx = -w.vx; }
  if (w.y < 0) { w.y = -w.y; w.vy = -w.vy; }
  if (w.y > bottom) { w.y = 2 * bottom - w.y; w.vy = -w.vy * kBounce; }
}

// Puts `ch` at cell (x, y) inside the border; cells outside the box are ignored.
static void plot(std::string *rows, double x, double y, char ch) {
  long col = std::lround(x), row = std::lround(y);
  if (col >= 0 && col < kWidth - 2 && row >= 0 && row < kHeight - 2) rows[1 + row][1 + col] = ch;
}

std::string render(const World &w) {
  ++frames_drawn;

  // A blank box: '+' corners, '-' and '|' edges.
  std::string rows[kHeight];
  for (int r = 0; r < kHeight; ++r) {
    bool edge = r == 0 || r == kHeight - 1;
    rows[r] = std::string(kWidth, edge ? '-' : ' ');
    rows[r].front() = rows[r].back() = edge ? '+' : '|';
  }

  // The banner slides back and forth along the top border.
  std::string banner = std::string(kBanner).substr(0, kWidth - 2);
  int room = kWidth - 2 - static_cast<int>(banner.size());  // free cells beside the banner
  int step = static_cast<int>(w.time * 8) % (2 * room + 1); // 0 .. 2*room
  int shift = step <= room ? step : 2 * room - step;        // 0 .. room .. 0
  rows[0].replace(1 + shift, banner.size(), banner);

  // A short trail behind the ball, then the ball itself.
  for (int k = 3; k >= 1; --k) plot(rows, w.x - w.vx * k * 0.03, w.y - w.vy * k * 0.03, kTrail);
  plot(rows, w.x, w.y, kBall);

  // Status line on the bottom border.
  std::string status = " frame " + std::to_string(frames_drawn) + "  t=" +
                       std::to_string(static_cast<int>(w.time)) + "s ";
  rows[kHeight - 1].replace(2, status.size(), status);

  std::string frame;
  for (const std::string &r : rows) frame += r + '\n';
  return frame;
}

} // namespace game
