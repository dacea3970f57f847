#pragma once

namespace mmresync::testing {

// A TCP port on 127.0.0.1 that was free a moment ago: binds port 0, reads the port the
// kernel chose, closes the socket. Another process can take the port before the caller
// binds it (a small race, accepted; MariadbInstance retries with a new port when its
// server reports "Address already in use"). Returns 0 if no socket could be bound.
int FreeLoopbackPort();

}  // namespace mmresync::testing
