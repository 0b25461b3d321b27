// PostBox: work handed to an object's thread from other threads, refused once it is closed.

#include "core/PostBox.h"

#include <QObject>
#include <QTest>
#include <QThread>

#include <atomic>
#include <thread>

using relay::PostBox;

class TestPostBox : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void runsOnTheTargetsThread()
    {
        QThread thread;
        QObject target;
        target.moveToThread(&thread);
        thread.start();
        PostBox box(&target);
        std::atomic<QThread *> ranOn{nullptr};
        std::thread poster([&] { QVERIFY(box.post([&] { ranOn = QThread::currentThread(); })); });
        poster.join();
        QTRY_COMPARE(ranOn.load(), &thread);
        box.close();
        thread.quit();
        thread.wait();
        target.moveToThread(QThread::currentThread());
    }

    void refusedOnceClosed()
    {
        QObject target;
        PostBox box(&target);
        box.close();
        bool ran = false;
        QVERIFY(!box.post([&] { ran = true; }));
        QCoreApplication::processEvents();
        QVERIFY(!ran);
    }

    // Posters on other threads while the target closes its box and goes: each post either runs
    // before the target is gone or is refused; none reaches a deleted target (ASan would say).
    void postsRacingTheTargetsEnd()
    {
        for (int round = 0; round < 20; ++round) {
            QThread thread;
            auto *target = new QObject;
            target->moveToThread(&thread);
            thread.start();
            PostBox box(target);
            std::atomic<int> ran{0};
            std::atomic<int> refused{0};
            std::atomic<int> accepted{0};
            std::atomic<bool> go{false};
            std::vector<std::thread> posters;
            for (int p = 0; p < 3; ++p)
                posters.emplace_back([&] {
                    while (!go)
                        std::this_thread::yield();
                    for (int i = 0; i < 200; ++i) {
                        if (box.post([&] { ++ran; }))
                            ++accepted;
                        else
                            ++refused;
                    }
                });
            go = true;
            std::atomic<bool> gone{false};
            QMetaObject::invokeMethod(
                target,
                [&box, &gone, target] {
                    box.close();
                    delete target; // its queued posts go with it
                    gone = true;
                },
                Qt::QueuedConnection);
            for (std::thread &poster : posters)
                poster.join();
            // Quitting before the target's delete has run would leave it (and what was posted
            // to it) undeleted: a leak of the test's own making.
            QTRY_VERIFY(gone.load());
            thread.quit();
            thread.wait();
            QCOMPARE(accepted + refused, 600);
            QVERIFY(ran <= accepted);
        }
    }
};

QTEST_GUILESS_MAIN(TestPostBox)
#include "tst_postbox.moc"
