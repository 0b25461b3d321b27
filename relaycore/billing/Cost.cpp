#include "Cost.h"

#include <charconv>
#include <cmath>

namespace relay {

QByteArray costText(double usd)
{
    char digits[400]; // room for the largest double, 309 digits, and 12 decimals
    char *end;
    if (usd >= 0 && usd < 1e6) {
        // Below a million dollars the 12 decimals are whole picodollars, which fit an integer:
        // printed from it, which costs a fraction of formatting the double in fixed notation
        // (and differs from it by a picodollar at most, where the double lies on a half).
        constexpr quint64 perDollar = 1'000'000'000'000;
        const auto pico = quint64(std::llround(usd * double(perDollar)));
        end = std::to_chars(digits, digits + 20, pico / perDollar).ptr;
        *end++ = '.';
        quint64 fraction = pico % perDollar;
        for (int i = 11; i >= 0; --i, fraction /= 10)
            end[i] = char('0' + fraction % 10);
        end += 12;
    } else {
        end = std::to_chars(digits, digits + sizeof digits, usd, std::chars_format::fixed, 12).ptr;
    }
    QByteArrayView text(digits, end - digits);
    while (text.endsWith('0'))
        text.chop(1);
    if (text.endsWith('.'))
        text.chop(1);
    return text.toByteArray();
}

} // namespace relay
