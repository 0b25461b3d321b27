#pragma once

#include <QChartView>
#include <QHash>
#include <QList>
#include <QPointF>

class QLineSeries;
class QValueAxis;

namespace relay::ui {

// p50 and p95 latency of named flows (tenants or upstreams) over the last ten minutes, one
// point per second. Each tick rebuilds every series with replace(): one repaint per series,
// however many points.
class LatencyChart : public QChartView
{
    Q_OBJECT
public:
    static constexpr int kWindowSeconds = 600;

    explicit LatencyChart(const QString &title, QWidget *parent = nullptr);

    struct Sample
    {
        QString name;
        double p50Ms = 0;
        double p95Ms = 0;
    };
    // The figures of one tick at `seconds` (since the console started); flows without traffic
    // in that tick are left out and show a gap-free line to their next point.
    void addTick(double seconds, const QList<Sample> &samples);
    // Points currently plotted for a flow's p95 line (tests and tooltips).
    int pointCount(const QString &name) const;

protected:
    void showEvent(QShowEvent *event) override;

private:
    void redraw();

    struct Flow
    {
        QLineSeries *p50 = nullptr;
        QLineSeries *p95 = nullptr;
        QList<QPointF> p50Points;
        QList<QPointF> p95Points;
    };
    Flow &flow(const QString &name);

    QHash<QString, Flow> m_flows;
    QValueAxis *m_x = nullptr;
    QValueAxis *m_y = nullptr;
    double m_now = 0;
};

} // namespace relay::ui
