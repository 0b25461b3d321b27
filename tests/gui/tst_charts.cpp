// The dashboard's latency charts: clock times on the x axis, a y axis fitted to what is drawn,
// one legend entry per flow that hides and shows it, hover values, and the window selector
// that swaps the live five minutes for the usage history of an hour, a day or a week.

#include "ConsoleUnderTest.h"
#include "DashboardPanel.h"
#include "LatencyChart.h"
#include "MainWindow.h"
#include "RelayHarness.h"
#include "TestHttpClient.h"
#include "core/Format.h"

#include <QChart>
#include <QComboBox>
#include <QDateTime>
#include <QLegend>
#include <QLegendMarker>
#include <QTest>

using namespace relay;
using namespace relay::test;
using namespace relay::ui;

namespace {

constexpr int kWait = 10'000;
constexpr qint64 kStart = 1'764'000'000'000; // a fixed wall time, ms

QList<QLegendMarker *> visibleMarkers(LatencyChart &chart)
{
    QList<QLegendMarker *> visible;
    for (QLegendMarker *marker : chart.chart()->legend()->markers())
        if (marker->isVisible())
            visible << marker;
    return visible;
}

} // namespace

class TestCharts : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // 300–800 ms fills the plot instead of sitting on the floor under an old spike: the axis
    // fits what the window shows, on round numbers.
    void yAxisFitsWhatIsDrawn()
    {
        LatencyChart chart(QStringLiteral("Latency per tenant"));
        chart.resize(600, 300);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        qint64 t = kStart;
        chart.addTick(t, {{QStringLiteral("batch"), 4000, 10'000}});
        QCOMPARE(chart.axisTop(), 15'000.0); // 11,000 rounded up to a readable top
        for (int i = 0; i < 60; ++i)
            chart.addTick(t += 1000, {{QStringLiteral("prod"), 300, 800}});
        QCOMPARE(chart.axisTop(), 15'000.0); // the spike is still in the last five minutes
        t += LatencyChart::kLiveWindowMs;
        chart.addTick(t, {{QStringLiteral("prod"), 300, 800}});
        QCOMPARE(chart.pointCount(QStringLiteral("batch")), 0);
        QCOMPARE(chart.axisTop(), 1000.0); // 800 ms and a tenth of headroom, rounded up

        // Hiding a flow leaves it out of the axis too.
        chart.addTick(t += 1000,
                      {{QStringLiteral("batch"), 2000, 3000}, {QStringLiteral("prod"), 300, 800}});
        QCOMPARE(chart.axisTop(), 4000.0);
        chart.setFlowVisible(QStringLiteral("batch"), false);
        QCOMPARE(chart.axisTop(), 1000.0);
        QCOMPARE(chart.pointCount(QStringLiteral("batch")), 0);
        chart.setFlowVisible(QStringLiteral("batch"), true);
        QCOMPARE(chart.pointCount(QStringLiteral("batch")), 1);
    }

    // One legend entry per flow (not one per line), and clicking it toggles the flow.
    void legendHasOneEntryPerFlowAndToggles()
    {
        LatencyChart chart(QStringLiteral("Latency per upstream"));
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.addTick(kStart, {{QStringLiteral("openai"), 200, 400},
                               {QStringLiteral("anthropic"), 250, 500}});
        const QList<QLegendMarker *> markers = visibleMarkers(chart);
        QCOMPARE(markers.size(), 2);
        QCOMPARE(markers.at(0)->label(), QStringLiteral("openai"));
        Q_EMIT markers.at(0)->clicked();
        QVERIFY(!chart.isFlowVisible(QStringLiteral("openai")));
        QCOMPARE(chart.pointCount(QStringLiteral("openai")), 0);
        QCOMPARE(visibleMarkers(chart).size(), 2); // still there, to show it again
        Q_EMIT markers.at(0)->clicked();
        QVERIFY(chart.isFlowVisible(QStringLiteral("openai")));
        QCOMPARE(chart.pointCount(QStringLiteral("openai")), 1);
    }

    void hoverShowsTheValueAndClockTime()
    {
        LatencyChart chart(QStringLiteral("Latency per tenant"));
        const QString text = chart.hoverText(QStringLiteral("prod"), true, QPointF(kStart, 812.4));
        // The console's time format: local, the zone named.
        QCOMPARE(text, QStringLiteral("prod p95: 812 ms at %1").arg(Format::dateTime(kStart)));
        QVERIFY2(text.contains(
                     QDateTime::fromMSecsSinceEpoch(kStart).toString(QStringLiteral("HH:mm:ss"))),
                 qPrintable(text));
    }

    // The window selector on a real relay: live points first, then the last hour from the
    // usage rows, and back.
    void windowSelectorShowsTheUsageHistory()
    {
        ConsoleUnderTest c;
        const QString key = c.h.addTenant(QStringLiteral("prod"));
        QVERIFY(c.start());
        MainWindow &window = *c.window;
        window.showPanel(QStringLiteral("dashboardPanel"));
        LatencyChart *tenants = window.dashboard()->tenantChart();
        LatencyChart *upstreams = window.dashboard()->upstreamChart();
        QVERIFY(QTest::qWaitFor(
            [&] {
                c.chat(key);
                return tenants->pointCount(QStringLiteral("prod")) >= 3;
            },
            kWait));
        auto *combo = window.findChild<QComboBox *>(QStringLiteral("chartWindowCombo"));
        QVERIFY(combo);
        combo->setCurrentIndex(combo->findData(int(UsageHistory::Window::Hour)));
        // One point per minute with traffic: a minute or two, however many seconds.
        QTRY_VERIFY_WITH_TIMEOUT(tenants->window() == UsageHistory::Window::Hour &&
                                     tenants->pointCount(QStringLiteral("prod")) >= 1 &&
                                     tenants->pointCount(QStringLiteral("prod")) <= 2,
                                 kWait);
        QVERIFY(upstreams->pointCount(QStringLiteral("sim")) >= 1);
        QVERIFY(upstreams->window() == UsageHistory::Window::Hour);
        combo->setCurrentIndex(0);
        QVERIFY(!tenants->window().has_value());
        QVERIFY(tenants->pointCount(QStringLiteral("prod")) >= 3);
    }
};

QTEST_MAIN(TestCharts)
#include "tst_charts.moc"
