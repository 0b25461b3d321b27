#include "ServeProcess.h"

#include <QDebug>
#include <QRegularExpression>
#include <QTest>

namespace relay::test {

bool ServeProcess::start(const QString &bin, const QString &db, const QStringList &args,
                         const QProcessEnvironment &env, quint16 port)
{
    m_err.clear();
    m_url.clear();
    m_process.setProcessEnvironment(env);
    m_process.start(bin, QStringList{"--db", db, "serve", "--listen",
                                     QStringLiteral("127.0.0.1:%1").arg(port), "--workers", "1"} +
                             args);
    const QRegularExpression listening(
        QStringLiteral("listening on (https?)://127\\.0\\.0\\.1:(\\d+)/v1"));
    if (!m_process.waitForStarted())
        return false;
    QRegularExpressionMatch m;
    (void)QTest::qWaitFor(
        [&] {
            m_process.waitForReadyRead(100);
            m_err += QString::fromUtf8(m_process.readAllStandardError());
            m = listening.match(m_err);
            return m.hasMatch() || m_process.state() == QProcess::NotRunning;
        },
        60000);
    if (!m.hasMatch()) {
        qWarning() << "serve did not start:" << m_err;
        return false;
    }
    m_url = QStringLiteral("%1://127.0.0.1:%2").arg(m.captured(1), m.captured(2));
    m_port = quint16(m.captured(2).toUInt());
    return true;
}

void ServeProcess::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(15000)) {
        m_process.kill();
        m_process.waitForFinished();
    }
}

} // namespace relay::test
