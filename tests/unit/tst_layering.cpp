// The engine library must never depend on a GUI module (design.md, "Layout and dependency
// direction"): no QtWidgets / QtGui / QtCharts include anywhere under relaycore/, and no such
// module in its CMake files. And inside relaycore, folders depend one way (design.md, "Where each
// stage lives"): each folder includes only the folders below it in kLayers.

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QLibraryInfo>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

#include <optional>

namespace {

const QStringList kGuiModules = {"QtGui",           "QtWidgets",      "QtCharts", "QtOpenGL",
                                 "QtOpenGLWidgets", "QtPrintSupport", "QtSvg",    "QtSvgWidgets",
                                 "QtQuick",         "QtQuickWidgets"};
const QStringList kEngineModules = {"QtCore", "QtNetwork", "QtSql"};

// Used when Qt's headers are not installed where QLibraryInfo says.
const QStringList kKnownGuiHeaders = {"QWidget",
                                      "QApplication",
                                      "QGuiApplication",
                                      "QMainWindow",
                                      "QDialog",
                                      "QLabel",
                                      "QPixmap",
                                      "QImage",
                                      "QIcon",
                                      "QColor",
                                      "QFont",
                                      "QPainter",
                                      "QPalette",
                                      "QBrush",
                                      "QPen",
                                      "QCursor",
                                      "QClipboard",
                                      "QScreen",
                                      "QChart",
                                      "QChartView",
                                      "QLineSeries",
                                      "QValueAxis",
                                      "QAction",
                                      "QKeySequence",
                                      "QTableView",
                                      "QSystemTrayIcon",
                                      "QMessageBox",
                                      "QStandardItemModel"};

QStringList headersOf(const QString &module)
{
    const QDir dir(QLibraryInfo::path(QLibraryInfo::HeadersPath) + QLatin1Char('/') + module);
    return dir.entryList(QDir::Files);
}

// Header names that only a GUI module provides.
QSet<QString> guiHeaderNames()
{
    QSet<QString> gui(kKnownGuiHeaders.cbegin(), kKnownGuiHeaders.cend());
    for (const QString &m : kGuiModules) {
        gui.insert(m);
        for (const QString &h : headersOf(m))
            gui.insert(h);
    }
    for (const QString &m : kEngineModules)
        for (const QString &h : headersOf(m))
            gui.remove(h);
    return gui;
}

// (No raw strings in this file: moc 6.4 misreads a backslash inside one.)
// The GUI includes of one source file, as "line N: #include ..." entries.
QStringList guiIncludes(const QByteArray &source, const QSet<QString> &guiHeaders)
{
    static const QRegularExpression include(
        QStringLiteral("^\\s*#\\s*include\\s*[<\"]([^>\"]+)[>\"]"),
        QRegularExpression::MultilineOption);
    QStringList hits;
    const QString text = QString::fromUtf8(source);
    for (auto it = include.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        const QString header = m.captured(1).trimmed();
        const QString module = header.section(QLatin1Char('/'), 0, 0);
        const bool viaModule = header.contains(QLatin1Char('/')) && kGuiModules.contains(module);
        if (viaModule || guiHeaders.contains(header)) {
            const int line = int(text.left(m.capturedStart()).count(QLatin1Char('\n'))) + 1;
            hits.append(QStringLiteral("line %1: %2").arg(line).arg(m.captured(0).trimmed()));
        }
    }
    return hits;
}

// GUI modules named in a CMake file outside comments.
QStringList guiModulesInCMake(const QByteArray &cmake)
{
    static const QRegularExpression comment(QStringLiteral("#[^\n]*"));
    static const QRegularExpression module(
        QStringLiteral("\\bQt[56]?(?:::)?(Widgets|Gui|Charts|OpenGLWidgets|PrintSupport)\\b"));
    QString text = QString::fromUtf8(cmake);
    text.remove(comment);
    QStringList hits;
    for (auto it = module.globalMatch(text); it.hasNext();)
        hits.append(it.next().captured(0));
    return hits;
}

// relaycore's folders, top to bottom: a folder may include its own headers and those of the
// folders in lower rows, never a folder in its own row or above. The simulator stands apart: it
// uses core only, so that it never parses with the relay's own HTTP code, which it exists to test.
const QList<QStringList> kLayers = {
    {"demo"},               // the sample tenants and traffic of --demo
    {"relay"},              // the engine: assembles the stages, config reload, alerts
    {"admin"},              // the admin API: the admin service's HTTP front
    {"proxy"},              // Authenticator, Admission, ProxyCall, RetryPolicy
    {"upstream"},           // slots, connections, circuit breaker, provider adapters
    {"ingress"},            // client dialects: request bodies, fronts, translators
    {"http"},               // server, connections, parsers: no product logic
    {"metering"},           // UsageMeter, stream usage filters
    {"limits", "budget"},   // the policies admission consults (no HTTP in them)
    {"store"},              // database, migrations, usage writer, admin service
    {"billing"},            // prices, costs, budget periods
    {"tenants", "metrics"}, // the tenant directory; histograms and circuit states
    {"core"},               // clock, ids, random source, header lists, SSE framing
};
const QHash<QString, QStringList> kApart = {{"sim", {"core"}}};
// The simulated provider serves --demo.
const QHash<QString, QStringList> kAlsoAllowed = {{"demo", {"sim"}}};

// The folders `folder` may include, or nullopt for a folder the table does not know.
std::optional<QStringList> allowedFor(const QString &folder)
{
    if (kApart.contains(folder))
        return kApart.value(folder);
    for (qsizetype i = 0; i < kLayers.size(); ++i) {
        if (!kLayers[i].contains(folder))
            continue;
        QStringList below;
        for (qsizetype j = i + 1; j < kLayers.size(); ++j)
            below += kLayers[j];
        return below + kAlsoAllowed.value(folder);
    }
    return std::nullopt;
}

// The relaycore folders one source file includes ("folder/File.h" includes).
QStringList includedFolders(const QByteArray &source)
{
    static const QRegularExpression include(
        QStringLiteral("^\\s*#\\s*include\\s*\"([a-z_]+)/[^\"]+\""),
        QRegularExpression::MultilineOption);
    QStringList folders;
    for (auto it = include.globalMatch(QString::fromUtf8(source)); it.hasNext();)
        folders.append(it.next().captured(1));
    return folders;
}

// "from -> to" for each include of `source` (a file in `folder`) the table forbids.
QStringList forbiddenIncludes(const QString &folder, const QByteArray &source)
{
    const std::optional<QStringList> allowed = allowedFor(folder);
    if (!allowed)
        return {folder + QStringLiteral(" is not in the table")};
    QStringList hits;
    for (const QString &to : includedFolders(source))
        if (to != folder && !allowed->contains(to))
            hits.append(folder + QStringLiteral(" -> ") + to);
    return hits;
}

QString relaycoreDir()
{
    const QString root = qEnvironmentVariable("TENANTRELAY_SOURCE_DIR");
    return root.isEmpty() ? QString() : root + QStringLiteral("/relaycore");
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestLayering : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void detectorCatchesGuiIncludes_data()
    {
        QTest::addColumn<QByteArray>("source");
        QTest::addColumn<bool>("caught");
        QTest::newRow("QWidget") << QByteArray("#include <QWidget>\n") << true;
        QTest::newRow("QApplication") << QByteArray("#include <QApplication>\n") << true;
        QTest::newRow("QGuiApplication") << QByteArray("#include <QGuiApplication>\n") << true;
        QTest::newRow("QtWidgets path") << QByteArray("#include <QtWidgets/QLabel>\n") << true;
        QTest::newRow("QtGui quoted, spaced")
            << QByteArray("  #  include \"QtGui/qimage.h\"\n") << true;
        QTest::newRow("module header") << QByteArray("#include <QtCharts>\n") << true;
        QTest::newRow("QChartView") << QByteArray("#include <QChartView>\n") << true;
        QTest::newRow("QPixmap") << QByteArray("#include <QPixmap>\n") << true;
        QTest::newRow("QImage") << QByteArray("#include <QImage>\n") << true;
        QTest::newRow("QIcon") << QByteArray("#include <QIcon>\n") << true;
        QTest::newRow("QColor") << QByteArray("#include <QColor>\n") << true;
        QTest::newRow("QFont") << QByteArray("#include <QFont>\n") << true;
        QTest::newRow("lower-case header") << QByteArray("#include <qpainter.h>\n") << true;
        QTest::newRow("after code") << QByteArray("#pragma once\n\n#include <QObject>\n"
                                                  "#include <QPalette>\n")
                                    << true;
        QTest::newRow("QObject") << QByteArray("#include <QObject>\n") << false;
        QTest::newRow("QTcpSocket") << QByteArray("#include <QTcpSocket>\n") << false;
        QTest::newRow("QSqlQuery") << QByteArray("#include <QSqlQuery>\n") << false;
        QTest::newRow("QtCore path") << QByteArray("#include <QtCore/QString>\n") << false;
        QTest::newRow("own header") << QByteArray("#include \"http/HttpMessage.h\"\n") << false;
        QTest::newRow("commented out") << QByteArray("// #include <QWidget>\n") << false;
    }
    void detectorCatchesGuiIncludes()
    {
        QFETCH(QByteArray, source);
        QFETCH(bool, caught);
        QCOMPARE(!guiIncludes(source, guiHeaderNames()).isEmpty(), caught);
    }

    void detectorCatchesGuiLinks_data()
    {
        QTest::addColumn<QByteArray>("cmake");
        QTest::addColumn<bool>("caught");
        QTest::newRow("Qt6::Widgets")
            << QByteArray("target_link_libraries(relaycore PUBLIC Qt6::Core Qt6::Widgets)") << true;
        QTest::newRow("Qt::Gui") << QByteArray("target_link_libraries(x PRIVATE Qt::Gui)") << true;
        QTest::newRow("Qt6::Charts") << QByteArray("target_link_libraries(x Qt6::Charts)") << true;
        QTest::newRow("engine modules")
            << QByteArray("target_link_libraries(x PUBLIC Qt6::Core Qt6::Network Qt6::Sql)")
            << false;
        QTest::newRow("in a comment") << QByteArray("# never link Qt6::Widgets here\n") << false;
    }
    void detectorCatchesGuiLinks()
    {
        QFETCH(QByteArray, cmake);
        QFETCH(bool, caught);
        QCOMPARE(!guiModulesInCMake(cmake).isEmpty(), caught);
    }

    void relaycoreIncludesNoGuiHeader()
    {
        const QString dir = relaycoreDir();
        QVERIFY2(!dir.isEmpty(), "TENANTRELAY_SOURCE_DIR is not set");
        QVERIFY2(QFile::exists(dir + QStringLiteral("/CMakeLists.txt")), qPrintable(dir));
        const QSet<QString> gui = guiHeaderNames();
        QVERIFY(gui.contains(QStringLiteral("QWidget")));
        QStringList problems;
        int scanned = 0;
        QDirIterator it(dir,
                        {"*.h", "*.hpp", "*.hh", "*.hxx", "*.cpp", "*.cc", "*.cxx", "*.c", "*.inl",
                         "*.ipp", "*.tpp"},
                        QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            ++scanned;
            for (const QString &hit : guiIncludes(readAll(path), gui))
                problems.append(QDir(dir).relativeFilePath(path) + QLatin1Char(' ') + hit);
        }
        // Guards against walking the wrong folder and passing on nothing.
        QVERIFY2(scanned >= 10, qPrintable(QString::number(scanned)));
        QVERIFY2(problems.isEmpty(),
                 qPrintable("relaycore includes GUI headers:\n  " + problems.join("\n  ")));
    }

    void detectorCatchesUpwardIncludes_data()
    {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<QByteArray>("source");
        QTest::addColumn<bool>("caught");
        QTest::newRow("proxy uses upstream")
            << "proxy" << QByteArray("#include \"upstream/UpstreamCall.h\"\n") << false;
        QTest::newRow("own folder, relative")
            << "proxy" << QByteArray("#include \"Admission.h\"\n") << false;
        QTest::newRow("store uses budget")
            << "store" << QByteArray("#include \"budget/BudgetPeriod.h\"\n") << true;
        QTest::newRow("budget uses relay")
            << "budget" << QByteArray("#include \"relay/RelayContext.h\"\n") << true;
        QTest::newRow("same row") << "limits" << QByteArray("#include \"budget/BudgetTracker.h\"\n")
                                  << true;
        QTest::newRow("limits uses http")
            << "limits" << QByteArray("#include \"http/HttpMessage.h\"\n") << true;
        QTest::newRow("sim uses http")
            << "sim" << QByteArray("#include \"http/HttpServer.h\"\n") << true;
        QTest::newRow("sim uses core")
            << "sim" << QByteArray("#include \"core/Clock.h\"\n") << false;
        QTest::newRow("demo uses sim")
            << "demo" << QByteArray("#include \"sim/Simulator.h\"\n") << false;
        QTest::newRow("proxy uses sim")
            << "proxy" << QByteArray("#include \"sim/Simulator.h\"\n") << true;
        QTest::newRow("unknown folder") << "misc" << QByteArray("#include <QObject>\n") << true;
    }
    void detectorCatchesUpwardIncludes()
    {
        QFETCH(QString, folder);
        QFETCH(QByteArray, source);
        QFETCH(bool, caught);
        QCOMPARE(!forbiddenIncludes(folder, source).isEmpty(), caught);
    }

    // Every folder of relaycore is in the table, and no file includes upwards.
    void relaycoreFoldersDependOneWay()
    {
        const QString dir = relaycoreDir();
        QVERIFY2(!dir.isEmpty(), "TENANTRELAY_SOURCE_DIR is not set");
        QStringList problems;
        int scanned = 0;
        for (const QString &folder : QDir(dir).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            QDirIterator it(dir + QLatin1Char('/') + folder, {"*.h", "*.cpp"}, QDir::Files,
                            QDirIterator::Subdirectories);
            while (it.hasNext()) {
                const QString path = it.next();
                ++scanned;
                for (const QString &hit : forbiddenIncludes(folder, readAll(path)))
                    problems.append(QDir(dir).relativeFilePath(path) + QStringLiteral(": ") + hit);
            }
        }
        QVERIFY2(scanned >= 50, qPrintable(QString::number(scanned)));
        problems.removeDuplicates();
        QVERIFY2(problems.isEmpty(),
                 qPrintable("relaycore's folders include against the table:\n  " +
                            problems.join("\n  ")));
    }

    void relaycoreLinksNoGuiModule()
    {
        const QString dir = relaycoreDir();
        QVERIFY2(!dir.isEmpty(), "TENANTRELAY_SOURCE_DIR is not set");
        QStringList problems;
        int scanned = 0;
        QDirIterator it(dir, {"CMakeLists.txt", "*.cmake"}, QDir::Files,
                        QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            ++scanned;
            for (const QString &hit : guiModulesInCMake(readAll(path)))
                problems.append(QDir(dir).relativeFilePath(path) + QStringLiteral(": ") + hit);
        }
        QVERIFY(scanned >= 1);
        QVERIFY2(problems.isEmpty(),
                 qPrintable("relaycore's CMake names GUI modules:\n  " + problems.join("\n  ")));
    }
};

QTEST_GUILESS_MAIN(TestLayering)
#include "tst_layering.moc"
