#pragma once

#include "AnthropicFront.h"

#include <optional>

namespace relay::anthropic_ingress {

// What a stream to an Anthropic client metered and how it ended, as the relay reads it after
// (or while) relaying: the base of AnthropicIngressStream and AnthropicUsageFilter.
class StreamMeter
{
public:
    // Usage arrived from the upstream.
    bool hasUsage() const { return m_hasUsage; }
    // Usage in Anthropic's terms.
    const MessageUsage &usage() const { return m_usage; }
    qint64 inputTokens() const { return m_usage.promptTokens(); } // cache tokens included
    qint64 outputTokens() const { return m_usage.outputTokens; }
    // The cost written as cost_usd, if one was.
    std::optional<double> costUsd() const { return m_costUsd; }
    // Unicode characters of text, reasoning and tool input relayed (to meter a cut stream).
    qint64 textChars() const { return m_textChars; }
    bool failed() const { return m_failed; }
    // Failed before anything was let out but the error event: the relay may still fail over.
    bool failedBeforeOutput() const { return m_failed && !m_emitted; }
    // The HTTP status of the error that ended the stream.
    int errorStatus() const { return m_errorStatus; }

protected:
    explicit StreamMeter(CostFunction cost) : m_cost(std::move(cost)) {}

    // Prices the usage read so far with the CostFunction, if there is one.
    void price()
    {
        if (m_cost)
            m_costUsd = m_cost(m_usage);
    }

    // The stream ended with an error of HTTP status `status`.
    void setFailed(int status)
    {
        m_failed = true;
        m_errorStatus = status;
    }

    CostFunction m_cost;
    bool m_hasUsage = false;
    MessageUsage m_usage;
    std::optional<double> m_costUsd;
    qint64 m_textChars = 0;
    bool m_emitted = false; // something but an error event went out
    bool m_failed = false;
    int m_errorStatus = 0;
};

} // namespace relay::anthropic_ingress
