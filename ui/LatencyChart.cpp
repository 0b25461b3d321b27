#include "LatencyChart.h"

#include "core/Format.h"

#include <QChart>
#include <QCursor>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPen>
#include <QToolTip>
#include <QValueAxis>

#include <cmath>

namespace relay::ui {

namespace {

const QList<QColor> kPalette{QColor(0x1f77b4), QColor(0xd62728), QColor(0x2ca02c),
                             QColor(0xff7f0e), QColor(0x9467bd), QColor(0x8c564b),
                             QColor(0xe377c2), QColor(0x17becf)};

void prune(QList<QPointF> &points, double from)
{
    qsizetype drop = 0;
    while (drop < points.size() && points.at(drop).x() < from)
        ++drop;
    points.remove(0, drop);
}

// The y axis for values up to `value` (10 ms at least): the smallest top of the form
// m × 10^n at or above it, with a tick count that puts the ticks on round numbers
// (6,000 ms: ticks every 2,000; 800: every 200).
struct YScale
{
    double top;
    int ticks;
};
YScale niceScale(double value)
{
    if (value <= 10)
        return {10, 6};
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    static constexpr YScale kSteps[] = {{1, 6}, {1.5, 4}, {2, 5}, {3, 4}, {4, 5},
                                        {5, 6}, {6, 4},   {8, 5}, {10, 6}};
    for (const YScale &step : kSteps)
        if (step.top * magnitude >= value)
            return {step.top * magnitude, step.ticks};
    return {10 * magnitude, 6};
}

qint64 windowMs(std::optional<UsageHistory::Window> window)
{
    return window ? UsageHistory::bucketMs(*window) * UsageHistory::bucketCount(*window)
                  : LatencyChart::kLiveWindowMs;
}

} // namespace

// The chart is handed to QChartView's constructor: QChartView(parent) would make a chart of its
// own, and setChart() releases the previous chart without deleting it.
LatencyChart::LatencyChart(const QString &title, QWidget *parent) : QChartView(new QChart, parent)
{
    QChart *chart = this->chart();
    chart->setTitle(title);
    chart->setMargins(QMargins(4, 4, 4, 4));
    // A compact legend under the plot, one entry per flow.
    chart->legend()->setAlignment(Qt::AlignBottom);
    QFont small = chart->legend()->font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    chart->legend()->setFont(small);
    m_x = new QDateTimeAxis(chart);
    m_x->setTitleText(
        tr("local time (%1)").arg(QDateTime::currentDateTime().timeZoneAbbreviation()));
    m_x->setLabelsFont(small);
    m_y = new QValueAxis(chart);
    m_y->setTitleText(tr("ms"));
    m_y->setLabelFormat(QStringLiteral("%d"));
    m_y->setLabelsFont(small);
    m_y->setRange(0, 100);
    m_y->setTickCount(6);
    chart->addAxis(m_x, Qt::AlignBottom);
    chart->addAxis(m_y, Qt::AlignLeft);
    setMinimumHeight(160);
    setRenderHint(QPainter::Antialiasing);
    setToolTip(tr("Solid: p50, dashed: p95. Click a name in the legend to hide or show it; "
                  "hover a line for its value."));
    showLive();
}

LatencyChart::Flow &LatencyChart::flow(const QString &name)
{
    auto it = m_flows.find(name);
    if (it != m_flows.end())
        return *it;
    Flow f;
    const QColor color = kPalette.at(m_flows.size() % kPalette.size());
    f.p50 = new QLineSeries(chart());
    f.p50->setName(name);
    f.p50->setPen(QPen(color, 2));
    f.p95 = new QLineSeries(chart());
    f.p95->setName(name + tr(" p95"));
    f.p95->setPen(QPen(color, 1.5, Qt::DashLine));
    for (QLineSeries *s : {f.p50, f.p95}) {
        chart()->addSeries(s);
        s->attachAxis(m_x);
        s->attachAxis(m_y);
        s->setUseOpenGL(false);
        const bool p95 = s == f.p95;
        connect(s, &QLineSeries::hovered, this, [this, name, p95](const QPointF &point, bool on) {
            if (on)
                QToolTip::showText(QCursor::pos(), hoverText(name, p95, point), this);
            else
                QToolTip::hideText();
        });
    }
    // One legend entry per flow (the p50 line's), which toggles both of its lines.
    for (QLegendMarker *marker : chart()->legend()->markers(f.p95))
        marker->setVisible(false);
    for (QLegendMarker *marker : chart()->legend()->markers(f.p50))
        connect(marker, &QLegendMarker::clicked, this,
                [this, name] { setFlowVisible(name, !isFlowVisible(name)); });
    return *m_flows.insert(name, f);
}

void LatencyChart::addTick(qint64 wallMs, const QList<Sample> &samples)
{
    for (const Sample &s : samples) {
        Flow &f = flow(s.name);
        f.p50Live.append(QPointF(double(wallMs), s.p50Ms));
        f.p95Live.append(QPointF(double(wallMs), s.p95Ms));
    }
    const double from = double(wallMs - kLiveWindowMs);
    for (Flow &f : m_flows) {
        prune(f.p50Live, from);
        prune(f.p95Live, from);
    }
    m_liveNowMs = wallMs;
    // A hidden chart, or one showing history, only keeps its points.
    if (!m_window && isVisible())
        redraw();
}

void LatencyChart::showLive()
{
    m_window.reset();
    m_x->setFormat(QStringLiteral("HH:mm:ss"));
    m_x->setTickCount(6);
    redraw();
}

void LatencyChart::showHistory(UsageHistory::Window window, const QList<HistorySeries> &series,
                               qint64 nowMs)
{
    m_window = window;
    m_historyNowMs = nowMs;
    m_x->setFormat(window == UsageHistory::Window::Week ? QStringLiteral("ddd HH:mm")
                                                        : QStringLiteral("HH:mm"));
    m_x->setTickCount(window == UsageHistory::Window::Week ? 8 : 7);
    for (Flow &f : m_flows) {
        f.p50History.clear();
        f.p95History.clear();
    }
    const double half = UsageHistory::bucketMs(window) / 2.0;
    for (const HistorySeries &s : series) {
        Flow &f = flow(s.name);
        for (const HistoryPoint &p : s.points) {
            // Buckets where nothing was served leave a gap-free line to the next one.
            if (p.p50Ms)
                f.p50History.append(QPointF(p.startMs + half, double(*p.p50Ms)));
            if (p.p95Ms)
                f.p95History.append(QPointF(p.startMs + half, double(*p.p95Ms)));
        }
    }
    redraw();
}

void LatencyChart::showEvent(QShowEvent *event)
{
    redraw();
    QChartView::showEvent(event);
}

void LatencyChart::redraw()
{
    const qint64 nowMs = m_window
                             ? m_historyNowMs
                             : (m_liveNowMs ? m_liveNowMs : QDateTime::currentMSecsSinceEpoch());
    double top = 0;
    for (Flow &f : m_flows) {
        const QList<QPointF> &p50 = m_window ? f.p50History : f.p50Live;
        const QList<QPointF> &p95 = m_window ? f.p95History : f.p95Live;
        // A hidden flow keeps its series (and so its legend entry) with no points.
        f.p50->replace(f.visible ? p50 : QList<QPointF>());
        f.p95->replace(f.visible ? p95 : QList<QPointF>());
        if (!f.visible)
            continue;
        for (const QPointF &p : p95)
            top = qMax(top, p.y());
        for (const QPointF &p : p50)
            top = qMax(top, p.y());
    }
    m_x->setRange(QDateTime::fromMSecsSinceEpoch(nowMs - windowMs(m_window)),
                  QDateTime::fromMSecsSinceEpoch(nowMs));
    // Fitted to what is drawn, with a tenth of headroom, on round ticks; laid out again only
    // when that moves.
    const YScale scale = niceScale(top * 1.1);
    if (scale.top != m_y->max()) {
        m_y->setRange(0, scale.top);
        m_y->setTickCount(scale.ticks);
    }
}

int LatencyChart::pointCount(const QString &name) const
{
    const auto it = m_flows.constFind(name);
    return it == m_flows.cend() ? 0 : int(it->p95->count());
}

double LatencyChart::axisTop() const
{
    return m_y->max();
}

void LatencyChart::setFlowVisible(const QString &name, bool visible)
{
    const auto it = m_flows.find(name);
    if (it == m_flows.end())
        return;
    it->visible = visible;
    // The legend keeps the entry, greyed out, so the flow can be shown again.
    for (QLegendMarker *marker : chart()->legend()->markers(it->p50)) {
        QBrush label = marker->labelBrush();
        label.setColor(visible ? palette().color(QPalette::WindowText) : QColor(Qt::gray));
        marker->setLabelBrush(label);
    }
    redraw();
}

bool LatencyChart::isFlowVisible(const QString &name) const
{
    const auto it = m_flows.constFind(name);
    return it != m_flows.cend() && it->visible;
}

QString LatencyChart::hoverText(const QString &name, bool p95, const QPointF &point) const
{
    // The console's one time format, its zone named, like every table's.
    return tr("%1 %2: %3 ms at %4")
        .arg(name, p95 ? QStringLiteral("p95") : QStringLiteral("p50"), Format::millis(point.y()),
             Format::dateTime(qint64(point.x())));
}

} // namespace relay::ui
