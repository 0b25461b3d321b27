#pragma once

#include "MainWindow.h"
#include "RelayHarness.h"
#include "TestHttpClient.h"

#include <QSize>
#include <QTest>

#include <memory>

namespace relay::test {

// The console as the GUI tests drive it: the real engine on loopback (a RelayHarness, stats
// every 100 ms), optionally the simulator as upstream "sim", and the main window over it,
// receiving the engine's live figures. Tests add their own steps by deriving from it.
struct ConsoleUnderTest
{
    RelayHarness h;
    std::unique_ptr<ui::MainWindow> window;

    explicit ConsoleUnderTest(bool withUpstream = true)
    {
        if (withUpstream)
            h.addSimUpstream(QStringLiteral("sim"), h.sim());
    }
    // Starts the engine and shows the window (at `size` when given); false when either fails.
    bool start(const QSize &size = QSize())
    {
        EngineOptions options;
        options.statsIntervalMs = 100;
        if (!h.start(options))
            return false;
        window = std::make_unique<ui::MainWindow>(&h.engine(), h.dbPath());
        QObject::connect(&h.engine(), &Engine::statsUpdated, window.get(),
                         &ui::MainWindow::applyStats);
        window->showEngineStarted(h.engine().listenAddress(), h.dbPath(), 2);
        if (size.isValid())
            window->resize(size);
        window->show();
        return QTest::qWaitForWindowExposed(window.get());
    }
    // One chat completion with `key`; its HTTP status.
    int chat(const QString &key, const QString &model = QStringLiteral("gpt-4o"))
    {
        return request(h.port(), "POST", "/v1/chat/completions",
                       RelayHarness::chatBody(model, QStringLiteral("hi")),
                       TestHttpClient::bearer(key))
            .status;
    }
    template <typename T> T *find(const char *name)
    {
        return window->findChild<T *>(QLatin1String(name));
    }
};

} // namespace relay::test
