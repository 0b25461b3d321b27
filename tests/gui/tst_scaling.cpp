// The console on a 1366×768 screen at 1.5× scaling (QT_SCALE_FACTOR=1.5 and an offscreen screen
// of that size, set for this test in CMake): every panel, the Usage panel's two logs and the
// dialogs keep each table at three rows or more in sight, never squeeze a widget below the size
// it needs for its text, never cut an example placeholder, and fit the screen.

#include "ConsoleUnderTest.h"
#include "MainWindow.h"
#include "RowTableModel.h"
#include "TenantDialog.h"
#include "TenantView.h"
#include "TenantsPanel.h"
#include "UpstreamDialog.h"
#include "UpstreamsPanel.h"
#include "store/AdminService.h"

#include <QAbstractButton>
#include <QAbstractScrollArea>
#include <QAbstractSpinBox>
#include <QApplication>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QStyle>
#include <QStyleOptionFrame>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace relay;
using namespace relay::test;
using namespace relay::ui;

namespace {

constexpr int kWait = 10'000;

QString describe(const QWidget *w)
{
    QStringList path;
    for (const QWidget *p = w; p && !p->isWindow(); p = p->parentWidget())
        if (!p->objectName().isEmpty() && !p->objectName().startsWith(QLatin1String("qt_")))
            path.prepend(p->objectName());
    QString text;
    if (const auto *label = qobject_cast<const QLabel *>(w))
        text = label->text();
    else if (const auto *button = qobject_cast<const QAbstractButton *>(w))
        text = button->text();
    else if (const auto *edit = qobject_cast<const QLineEdit *>(w))
        text = edit->placeholderText();
    return QStringLiteral("%1 %2 '%3'")
        .arg(QString::fromLatin1(w->metaObject()->className()), path.join(QLatin1Char('/')),
             text.left(60));
}

// What the user would not see whole in `root` (a panel or a dialog), one line each.
QStringList layoutProblems(const QWidget *root)
{
    QStringList problems;
    for (const QWidget *w : root->findChildren<QWidget *>()) {
        if (!w->isVisible() || w->isWindow() || w->width() == 0)
            continue;
        // Tables: their header and three rows in sight at least.
        if (const auto *view = qobject_cast<const QTableView *>(w)) {
            const int row = view->verticalHeader()->defaultSectionSize();
            if (view->viewport()->height() < 3 * row)
                problems << QStringLiteral("%1: %2 px for rows of %3 px")
                                .arg(describe(w))
                                .arg(view->viewport()->height())
                                .arg(row);
            continue;
        }
        // A panel scrolls up and down on a small screen, never sideways.
        if (const auto *scroll = qobject_cast<const QScrollArea *>(w);
            scroll && scroll->horizontalScrollBar()->isVisible())
            problems << QStringLiteral("%1: scrolls sideways, %2 px wide for %3")
                            .arg(describe(w))
                            .arg(scroll->viewport()->width())
                            .arg(scroll->widget()->minimumSizeHint().width());
        // The parts of a scrolling view (its headers, bars, viewport) and of a spin box (its
        // line edit) are that widget's business.
        if (qobject_cast<const QHeaderView *>(w) || qobject_cast<const QScrollBar *>(w) ||
            qobject_cast<const QAbstractScrollArea *>(w->parentWidget()) ||
            qobject_cast<const QAbstractSpinBox *>(w->parentWidget()) ||
            w->objectName() == QLatin1String("qt_scrollarea_vcontainer") ||
            w->objectName() == QLatin1String("qt_scrollarea_hcontainer"))
            continue;
        // Squeezed below what its text and frame need (what a layout gives a widget unless the
        // window is forced smaller than the layout allows). A policy that ignores the size hint
        // says the widget copes (an elided path).
        const QSize need = w->minimumSizeHint().expandedTo(w->minimumSize());
        const QSizePolicy policy = w->sizePolicy();
        const bool ignoreWidth = policy.horizontalPolicy() == QSizePolicy::Ignored;
        const bool ignoreHeight = policy.verticalPolicy() == QSizePolicy::Ignored;
        if (need.isValid() && ((!ignoreWidth && w->width() < need.width()) ||
                               (!ignoreHeight && w->height() < need.height())))
            problems << QStringLiteral("%1: %2×%3 for %4×%5")
                            .arg(describe(w))
                            .arg(w->width())
                            .arg(w->height())
                            .arg(need.width())
                            .arg(need.height());
        // Wrapped text as tall as its lines.
        if (const auto *label = qobject_cast<const QLabel *>(w);
            label && label->wordWrap() && !label->text().isEmpty() &&
            label->height() < label->heightForWidth(label->width()))
            problems << QStringLiteral("%1: %2 px high for %3")
                            .arg(describe(w))
                            .arg(label->height())
                            .arg(label->heightForWidth(label->width()));
        // An empty field's example, drawn whole (QLineEdit elides it to the room it has).
        if (const auto *edit = qobject_cast<const QLineEdit *>(w);
            edit && edit->text().isEmpty() && !edit->placeholderText().isEmpty()) {
            QStyleOptionFrame option;
            option.initFrom(edit);
            option.rect = edit->rect();
            option.lineWidth =
                edit->hasFrame()
                    ? edit->style()->pixelMetric(QStyle::PM_DefaultFrameWidth, &option, edit)
                    : 0;
            const QRect contents = edit->style()
                                       ->subElementRect(QStyle::SE_LineEditContents, &option, edit)
                                       .marginsRemoved(edit->textMargins());
            const int room = contents.width() - 4; // QLineEdit's 2 px each side
            const int text = edit->fontMetrics().horizontalAdvance(edit->placeholderText());
            // Elided as QLineEdit elides it when it paints.
            if (edit->fontMetrics().elidedText(edit->placeholderText(), Qt::ElideRight, room) !=
                edit->placeholderText())
                problems << QStringLiteral("%1: %2 px for a placeholder of %3")
                                .arg(describe(w))
                                .arg(room)
                                .arg(text);
        }
    }
    return problems;
}

// Lets layouts settle (and the panels' first reads arrive).
void settle()
{
    QTest::qWait(300);
    QApplication::processEvents();
}

} // namespace

class TestScaling : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_config.isValid());
        qputenv("XDG_CONFIG_HOME", m_config.path().toLocal8Bit());
        // The environment this test is about (tests/gui/CMakeLists.txt).
        QCOMPARE(qgetenv("QT_SCALE_FACTOR"), QByteArray("1.5"));
        const QScreen *screen = QGuiApplication::primaryScreen();
        QVERIFY(screen);
        const QSize physical = screen->geometry().size() * 1.5;
        QVERIFY2(qAbs(physical.width() - 1366) <= 2 && qAbs(physical.height() - 768) <= 2,
                 qPrintable(QStringLiteral("%1×%2").arg(physical.width()).arg(physical.height())));
    }

    void everyPanelAndDialogFitsAt150Percent()
    {
        ConsoleUnderTest c;
        RelayHarness &h = c.h;
        // Enough to fill the tables a little: three tenants with limits, a route, an alias.
        TenantChanges limits;
        limits.rpm = LimitValue(600);
        limits.budgetUsd = BudgetValue(50.0);
        const QString key = h.addTenant(QStringLiteral("prod-chatbot"), limits);
        h.addTenant(QStringLiteral("nightly-batch"));
        h.addTenant(QStringLiteral("internal-dev-tools"));
        QVERIFY(h.admin().setRoute(QStringLiteral("gpt-4o"), {QStringLiteral("sim")}).ok);
        QVERIFY(h.admin().setAlias(QStringLiteral("gpt-4"), QStringLiteral("gpt-4o")).ok);
        QVERIFY(c.start()); // the window sizes itself for the screen, as it does for users
        QCOMPARE(c.window->devicePixelRatioF(), 1.5);
        const QRect available = c.window->screen()->availableGeometry();
        QVERIFY2(c.window->width() <= available.width() && c.window->height() <= available.height(),
                 qPrintable(QStringLiteral("%1×%2 on %3×%4")
                                .arg(c.window->width())
                                .arg(c.window->height())
                                .arg(available.width())
                                .arg(available.height())));
        for (int i = 0; i < 3; ++i)
            QCOMPARE(c.chat(key), 200);
        QTRY_COMPARE_WITH_TIMEOUT(c.window->tenants()->tenantModel()->rowCount(), 3, kWait);

        auto *tabs = c.find<QTabWidget>("panelTabs");
        QVERIFY(tabs);
        QStringList problems;
        for (int i = 0; i < tabs->count(); ++i) {
            tabs->setCurrentIndex(i);
            settle();
            QWidget *panel = tabs->currentWidget();
            // The Usage panel: both logs.
            if (auto *logs = panel->findChild<QTabWidget *>(QStringLiteral("usageTabs"))) {
                for (int j = 0; j < logs->count(); ++j) {
                    logs->setCurrentIndex(j);
                    settle();
                    for (const QString &p : layoutProblems(logs->currentWidget()))
                        problems << panel->objectName() + QStringLiteral(": ") + p;
                }
                continue;
            }
            for (const QString &p : layoutProblems(panel))
                problems << panel->objectName() + QStringLiteral(": ") + p;
        }

        // New tenant, new upstream, the tenant view: each fits the screen, whole.
        const auto checkWindow = [&](QWidget *window) {
            QVERIFY(window);
            QVERIFY(QTest::qWaitForWindowExposed(window));
            settle();
            if (window->width() > available.width() || window->height() > available.height())
                problems << QStringLiteral("%1: %2×%3 on a screen of %4×%5")
                                .arg(window->objectName())
                                .arg(window->width())
                                .arg(window->height())
                                .arg(available.width())
                                .arg(available.height());
            for (const QString &p : layoutProblems(window))
                problems << window->objectName() + QStringLiteral(": ") + p;
        };
        c.window->showPanel(QStringLiteral("tenantsPanel"));
        c.window->tenants()->addTenant();
        checkWindow(c.window->tenants()->dialog());
        c.window->tenants()->dialog()->reject();
        c.window->showPanel(QStringLiteral("upstreamsPanel"));
        c.window->upstreams()->addUpstream();
        UpstreamDialog *upstream = nullptr;
        QVERIFY(QTest::qWaitFor(
            [&] { return (upstream = c.find<UpstreamDialog>("upstreamDialog")) != nullptr; },
            kWait));
        checkWindow(upstream);
        upstream->reject();
        c.window->showPanel(QStringLiteral("tenantsPanel"));
        auto *tenants = c.find<QTableView>("tenantTable");
        tenants->setCurrentIndex(tenants->model()->index(0, 0));
        c.find<QPushButton>("viewTenantButton")->click();
        checkWindow(c.find<TenantView>("tenantView"));

        for (const QString &p : std::as_const(problems))
            qWarning().noquote() << p;
        QVERIFY2(problems.isEmpty(), "see the warnings above");
    }

private:
    QTemporaryDir m_config;
};

QTEST_MAIN(TestScaling)
#include "tst_scaling.moc"
