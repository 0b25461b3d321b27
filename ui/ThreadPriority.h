#pragma once

namespace relay::ui {

// How far the console lowers the relay's threads: with both cores busy serving, the window
// still gets a core first, so it does not stall (bench/console-stall measures it).
inline constexpr int kRelayThreadNice = 10;

// Puts every thread of the process that exists now, except the calling (GUI) thread, at nice
// `nice` (Linux schedules threads one by one). Threads started later inherit the nice of the
// thread that starts them. Best effort: a failure leaves the thread as it was.
void lowerOtherThreads(int nice);

} // namespace relay::ui
