// The game's shared data: included by the host (host.cpp, compiled ahead of time) and by the live
// code (world.cpp, compiled by hotengine at run time).
//
// The host owns the World object and passes it by reference to the live functions, so the struct's
// layout is fixed when the host is built. Edit world.cpp freely while the game runs; if you change
// this header (add or reorder fields), rebuild and restart the host too.
#pragma once

#include <string>

namespace game {

/// Size of the ASCII frame, border included.
constexpr int kWidth = 48;
constexpr int kHeight = 14;

/// Everything the simulation remembers between ticks. Plain data: no pointers into JIT code.
struct World {
  double time = 0;          ///< Seconds simulated so far.
  double x = 4, y = 3;      ///< Ball position, in cells (x: column, y: row inside the border).
  double vx = 17, vy = 0;   ///< Ball velocity, in cells per second.
};

// The live functions, defined in world.cpp. The host calls them through hotengine handles, so
// every call reaches the newest version of their bodies.

/// Advances the simulation by `dt` seconds.
void update(World &world, double dt);
/// Draws the world as kHeight lines of kWidth characters (each line ends with '\n').
std::string render(const World &world);
/// How many frames render() has drawn since the game started (kept across reloads).
long framesDrawn();

} // namespace game
