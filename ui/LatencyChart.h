#pragma once

#include "store/UsageHistory.h"

#include <QChartView>
#include <QHash>
#include <QList>
#include <QPointF>

#include <optional>

class QDateTimeAxis;
class QLineSeries;
class QValueAxis;

namespace relay::ui {

// p50 (solid) and p95 (dashed) latency of named flows (tenants or upstreams), one colour per
// flow, against clock time: the last five minutes live (a point per second, from the engine's
// snapshots), or an hour, a day or a week from the usage history (GET /admin/v1/history). The
// y axis scales to what is drawn, on round numbers; the legend has one entry per flow, and a
// click on it hides or shows that flow; hovering a line shows its value and clock time.
// Each redraw rebuilds every series with replace(): one repaint per series, however many points.
class LatencyChart : public QChartView
{
    Q_OBJECT
public:
    static constexpr qint64 kLiveWindowMs = 5 * 60 * 1000;

    explicit LatencyChart(const QString &title, QWidget *parent = nullptr);

    struct Sample
    {
        QString name;
        double p50Ms = 0;
        double p95Ms = 0;
    };
    // The figures of one live tick at `wallMs` (ms since the epoch); flows without traffic in
    // that tick are left out and show a gap-free line to their next point. Kept for five minutes
    // whatever the chart shows.
    void addTick(qint64 wallMs, const QList<Sample> &samples);
    // What the chart shows: the live five minutes (nullopt), or `series` over a history window
    // ending at `nowMs` (only the series of this chart's kind are given).
    void showLive();
    void showHistory(UsageHistory::Window window, const QList<HistorySeries> &series, qint64 nowMs);
    std::optional<UsageHistory::Window> window() const { return m_window; }

    // Points plotted now for a flow's p95 line.
    int pointCount(const QString &name) const;
    // The y axis's top (ms).
    double axisTop() const;
    // Legend clicks: a hidden flow's lines are not drawn (nor counted for the y axis).
    void setFlowVisible(const QString &name, bool visible);
    bool isFlowVisible(const QString &name) const;
    // What hovering `point` of a flow's line shows: "prod p95: 812 ms at 14:03:22".
    QString hoverText(const QString &name, bool p95, const QPointF &point) const;

protected:
    void showEvent(QShowEvent *event) override;

private:
    struct Flow
    {
        QLineSeries *p50 = nullptr;
        QLineSeries *p95 = nullptr;
        QList<QPointF> p50Live; // x: ms since the epoch
        QList<QPointF> p95Live;
        QList<QPointF> p50History;
        QList<QPointF> p95History;
        bool visible = true;
    };
    Flow &flow(const QString &name);
    void redraw();

    QHash<QString, Flow> m_flows;
    QDateTimeAxis *m_x = nullptr;
    QValueAxis *m_y = nullptr;
    std::optional<UsageHistory::Window> m_window; // nullopt: live
    qint64 m_liveNowMs = 0;
    qint64 m_historyNowMs = 0;
};

} // namespace relay::ui
