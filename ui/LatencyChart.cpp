#include "LatencyChart.h"

#include <QChart>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPen>
#include <QValueAxis>

#include <cmath>

namespace relay::ui {

namespace {

const QList<QColor> kPalette{QColor(0x1f77b4), QColor(0xd62728), QColor(0x2ca02c),
                             QColor(0xff7f0e), QColor(0x9467bd), QColor(0x8c564b)};

void prune(QList<QPointF> &points, double from)
{
    qsizetype drop = 0;
    while (drop < points.size() && points.at(drop).x() < from)
        ++drop;
    points.remove(0, drop);
}

} // namespace

// The chart is handed to QChartView's constructor: QChartView(parent) would make a chart of its
// own, and setChart() releases the previous chart without deleting it.
LatencyChart::LatencyChart(const QString &title, QWidget *parent) : QChartView(new QChart, parent)
{
    QChart *chart = this->chart();
    chart->setTitle(title);
    chart->legend()->setAlignment(Qt::AlignRight);
    chart->setMargins(QMargins(4, 4, 4, 4));
    m_x = new QValueAxis(chart);
    m_x->setTitleText(tr("seconds ago"));
    m_x->setLabelFormat(QStringLiteral("%d"));
    m_x->setRange(-kWindowSeconds, 0);
    m_y = new QValueAxis(chart);
    m_y->setTitleText(tr("ms"));
    m_y->setLabelFormat(QStringLiteral("%d"));
    m_y->setRange(0, 100);
    m_y->setTickCount(6);
    chart->addAxis(m_x, Qt::AlignBottom);
    chart->addAxis(m_y, Qt::AlignLeft);
    setMinimumHeight(200);
    setToolTip(tr("p50 (solid) and p95 (dashed) latency, last 10 minutes, one point per second"));
}

LatencyChart::Flow &LatencyChart::flow(const QString &name)
{
    auto it = m_flows.find(name);
    if (it != m_flows.end())
        return *it;
    Flow f;
    const QColor color = kPalette.at(m_flows.size() % kPalette.size());
    f.p50 = new QLineSeries(chart());
    f.p50->setName(name + tr(" p50"));
    f.p50->setPen(QPen(color, 1.5));
    f.p95 = new QLineSeries(chart());
    f.p95->setName(name + tr(" p95"));
    f.p95->setPen(QPen(color, 1.5, Qt::DashLine));
    for (QLineSeries *s : {f.p50, f.p95}) {
        chart()->addSeries(s);
        s->attachAxis(m_x);
        s->attachAxis(m_y);
        s->setUseOpenGL(false);
    }
    return *m_flows.insert(name, f);
}

void LatencyChart::addTick(double seconds, const QList<Sample> &samples)
{
    for (const Sample &s : samples) {
        Flow &f = flow(s.name);
        f.p50Points.append(QPointF(seconds, s.p50Ms));
        f.p95Points.append(QPointF(seconds, s.p95Ms));
    }
    const double from = seconds - kWindowSeconds;
    for (Flow &f : m_flows) {
        prune(f.p50Points, from);
        prune(f.p95Points, from);
    }
    m_now = seconds;
    // A hidden chart only keeps its points; it redraws when it is shown.
    if (isVisible())
        redraw();
}

void LatencyChart::showEvent(QShowEvent *event)
{
    redraw();
    QChartView::showEvent(event);
}

// The x axis counts seconds back from now, so every point moves each tick: one replace() per
// series.
void LatencyChart::redraw()
{
    double top = 100;
    for (Flow &f : m_flows) {
        QList<QPointF> p50;
        QList<QPointF> p95;
        p50.reserve(f.p50Points.size());
        p95.reserve(f.p95Points.size());
        for (const QPointF &p : std::as_const(f.p50Points))
            p50.append(QPointF(p.x() - m_now, p.y()));
        for (const QPointF &p : std::as_const(f.p95Points)) {
            p95.append(QPointF(p.x() - m_now, p.y()));
            top = qMax(top, p.y());
        }
        f.p50->replace(p50);
        f.p95->replace(p95);
    }
    // A headroom of 10 %, on round numbers; the axis is laid out again only when that moves.
    if (top * 1.1 > m_y->max() || top * 1.1 < m_y->max() / 3) {
        m_y->setRange(0, top * 1.1);
        m_y->applyNiceNumbers();
    }
}

int LatencyChart::pointCount(const QString &name) const
{
    const auto it = m_flows.constFind(name);
    return it == m_flows.cend() ? 0 : int(it->p95->count());
}

} // namespace relay::ui
