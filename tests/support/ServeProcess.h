#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>

namespace relay::test {

// A relay process as a user starts one: `tenantrelay --db DB serve --listen 127.0.0.1:PORT
// --workers 1 ARGS...` (port 0: any free one), stopped with SIGTERM when it goes away.
class ServeProcess
{
public:
    ~ServeProcess() { stop(); }

    // Waits until it says where it listens; false (with its stderr warned) when it does not.
    bool start(const QString &bin, const QString &db, const QStringList &args,
               const QProcessEnvironment &env, quint16 port = 0);
    void stop();
    // "http://127.0.0.1:PORT" or "https://…"; empty when it did not start.
    const QString &url() const { return m_url; }
    quint16 port() const { return m_port; }

private:
    QProcess m_process;
    QString m_err;
    QString m_url;
    quint16 m_port = 0;
};

} // namespace relay::test
