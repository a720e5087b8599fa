// cli/: the control channel between `hot call` and a running `hot run`.
//
// Protocol
// --------
// Transport. While `hot run` runs the program's main(), it listens on a Unix domain stream
// socket at
//     <dir>/.hot/<pid>.sock
// where <dir> is the working directory `hot run` was started in and <pid> its process id. The
// .hot/ folder is created with mode 0700 and the socket is chmod 0600; only connections from
// the same user id are served (SO_PEERCRED). The socket file (and .hot/, once empty) is removed
// when `hot run` exits (normally, or through exit() in the program); a file left behind by a
// killed run is stale: its pid is not alive (clients skip it) and a new run with the same pid
// replaces it.
//
// Exchange. One request per connection: the client sends one JSON object on one line
// (terminated by "\n", or by closing its writing side), the server answers with one JSON object
// on one line and closes the connection. Requests are served one at a time, in order, on one
// background thread of `hot run`; a request line is limited to 1 MiB.
//
//   call a function:
//     -> {"call": "NAME", "args": ["3", "4.5"]}
//        NAME: a qualified C++ name ("game::score"), a mangled name or an extern "C" name.
//        "args" (optional, default []): the arguments as text, converted by the function's
//        parameter types (JSON numbers and booleans are accepted and used as their text).
//     <- {"ok": true, "result": "7.5"}
//        the return value as text: integers in decimal, bool as true/false, floating point in
//        shortest round-trip form, pointers as 0x-hex, const char* / std::string_view as the
//        text itself (a null const char* as "(null)"), void as "".
//   list the units:
//     -> {"units": true}
//     <- {"ok": true, "units": [{"path": "/abs/a.cpp", "version": 2, "tier": 0,
//                                "failed": false}, ...]}
//   any failure (unknown function, wrong argument count or type, unsupported signature,
//   malformed request):
//     <- {"ok": false, "error": "'int add(int, int)' takes 2 arguments, got 3",
//         "code": "invalid argument"}
//        "code" is hot::toString(ErrorCode) of the engine's status ("not found",
//        "invalid argument", ...), or "bad request" for a malformed request.
//
// The called function runs on the server's thread, concurrently with the program's own
// threads (as with a debugger's "call"): it must be safe to call at any moment. A function that
// crashes takes the program down; one that blocks delays `hot run`'s exit until it returns.
#pragma once

#include <memory>
#include <string>
#include <sys/types.h>

#include "hot/engine.h"

namespace hot::cli {

/// <dir>/.hot: where running programs publish their sockets.
std::string controlDir(const std::string &dir);
/// <dir>/.hot/<pid>.sock
std::string controlSocketPath(const std::string &dir, pid_t pid);
/// Connects to (client) or binds (server) a Unix socket path of any length (paths longer than
/// sun_path go through /proc/self/fd). Returns the socket fd or -1 with `error` set.
int connectControlSocket(const std::string &path, std::string &error);

/// Serves the protocol above for one engine. start() binds the socket and starts the thread;
/// the destructor (or process exit) stops it and removes the socket file.
class ControlServer {
public:
  /// Serves `engine` on controlSocketPath(<current directory>, getpid()). On failure returns
  /// null and sets `error` (the program can run without it).
  static std::unique_ptr<ControlServer> start(hot::HotEngine &engine, std::string &error);
  ~ControlServer();
  ControlServer(const ControlServer &) = delete;
  ControlServer &operator=(const ControlServer &) = delete;

  const std::string &path() const;
  /// Answers one request line (without the newline) with one reply line (without it either).
  static std::string handleRequest(hot::HotEngine &engine, const std::string &line);

  struct State;

private:
  explicit ControlServer(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

} // namespace hot::cli
