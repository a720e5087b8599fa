// cli/: the control channel between `hot call` and a running `hot run`.
//
// Protocol
// --------
// Transport. While `hot run` runs the program's main(), it listens on a Unix domain stream
// socket at
//     <dir>/.hot/<pid>.sock
// where <dir> is the working directory `hot run` was started in and <pid> its process id.
// When <dir>/.hot cannot be used (<dir> is not writable, or .hot is there but is not a private
// folder of this user), the socket is at
//     <runtime>/<key>/<pid>.sock
// instead, and `hot run` says so on stderr. <runtime> is $XDG_RUNTIME_DIR/hot when
// XDG_RUNTIME_DIR is set and usable, else /tmp/hot-<uid>; <key> is the FNV-1a 64-bit hash of
// <dir>'s absolute path (as getcwd() returns it, symbolic links resolved), in 16 lower-case hex
// digits. A client looks in every place: <dir>/.hot, $XDG_RUNTIME_DIR/hot/<key>,
// /tmp/hot-<uid>/<key>.
//
// Trust. `hot run` creates each folder with mode 0700 (an existing one must be a folder of
// the same user; group and other bits are then cleared) and chmods the socket 0600. A client
// sends nothing unless
//   - the socket's folder (and, in the fallback, <runtime>) and the socket itself are owned by
//     the client's effective uid, are not symbolic links and have no group or other permission
//     bits, and
//   - the process serving the connected socket runs as that uid (SO_PEERCRED);
// otherwise it names the path and the reason and exits with status 1. The server checks the
// peer too: a connection from another uid is answered with
//     <- {"ok": false, "error": "...", "code": "permission denied"}
// and nothing else is done.
//
// Lifetime. The socket file (and its folder, once empty) is removed when `hot run` exits
// (normally, or through exit() in the program), only by the process that created it: a child
// the program forks may return from main() or call exit() and the parent's socket stays. A
// file left behind by a killed run is stale: its pid is not alive (clients skip it) and a new
// run with the same pid replaces it.
//
// Exchange. One request per connection: the client sends one JSON object on one line
// (terminated by "\n", or by closing its writing side), the server answers with one JSON object
// on one line and closes the connection. Each connection is served on a thread of its own, so
// a slow call or an idle client delays no other request; at most 16 are served at once (one
// more is answered {"ok": false, "code": "busy", ...} at once). A client must send its whole
// request within 10 seconds of connecting, or it is disconnected; a request line is limited
// to 1 MiB.
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
//        "invalid argument", ...), "bad request" for a malformed request, "busy" or
//        "permission denied" (see above).
//
// The called function runs on the connection's thread, concurrently with the program's own
// threads and with other calls (as with a debugger's "call"): it must be safe to call at any
// moment. A function that crashes takes the program down; one that blocks delays `hot run`'s
// exit until it returns.
#pragma once

#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

#include "hot/engine.h"

namespace hot::cli {

/// <dir>/.hot: where a run started in <dir> publishes its socket.
std::string controlDir(const std::string &dir);
/// <dir>/.hot/<pid>.sock
std::string controlSocketPath(const std::string &dir, pid_t pid);
/// The fallback roots, in the order a server tries them: $XDG_RUNTIME_DIR/hot (when set to an
/// absolute path), then /tmp/hot-<uid>.
std::vector<std::string> controlRuntimeRoots();
/// <root>/<key of dir>: the fallback folder under one root; `dir` must be absolute and
/// canonical (symbolic links resolved), as getcwd() returns it.
std::string fallbackControlDir(const std::string &root, const std::string &dir);
/// Every folder where a run started in `dir` may publish its socket: controlDir(dir), then the
/// fallback folder under each root (none when `dir` does not exist).
std::vector<std::string> controlDirs(const std::string &dir);
/// Why `path` is not a private folder (or socket) of the calling user (a symbolic link, owned
/// by another uid, group or other permission bits, not a folder or not a socket); "" when it
/// is one.
std::string privacyProblem(const std::string &path, bool folder);
/// Connects to a Unix socket path of any length (paths longer than sun_path go through
/// /proc/self/fd). Returns the socket fd or -1 with `error` set.
int connectControlSocket(const std::string &path, std::string &error);
/// Whether the process serving the connected socket `fd` runs as the calling user
/// (SO_PEERCRED); if not, `error` names `path`, its server's uid and pid. The folder checks
/// alone do not suffice: whoever can write the folder above .hot can swap .hot between the
/// check and the connect, but not the server's credentials.
bool checkControlPeer(int fd, const std::string &path, std::string &error);

/// Serves the protocol above for one engine. start() binds the socket and starts accepting;
/// the destructor (or process exit) stops it and removes the socket file, in the process that
/// started it only.
class ControlServer {
public:
  /// Serves `engine` on controlSocketPath(<current directory>, getpid()), or in the fallback
  /// folder when that cannot be used (then printing where on stderr). On failure returns null
  /// and sets `error` with the reason for each place tried (the program can run without it).
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
