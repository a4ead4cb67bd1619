import TDSWire

/// Java's `toString` of the objects mssql-jdbc returns, which the upstream
/// runner prints: `Double`, `Float`, `BigDecimal`, `java.sql.Timestamp`,
/// `java.sql.Date`, `java.sql.Time`.
enum JavaFormat {
    /// `Double.toString`: the shortest digits that round-trip, plain between
    /// 10^-3 and 10^7, else `d.dddE±n`. (JDK 19+ digits; older JDKs
    /// occasionally print one more digit — see KnownLimits.)
    static func double(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        let (digits, exponent) = shortestDigits(value.magnitude.description)
        return (value < 0 ? "-" : "") + layout(digits: digits, exponent: exponent, plain: value.magnitude >= 1e-3 && value.magnitude < 1e7)
    }

    /// `Float.toString`, the same rules with float digits.
    static func float(_ value: Float) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        let (digits, exponent) = shortestDigits(value.magnitude.description)
        return (value < 0 ? "-" : "") + layout(digits: digits, exponent: exponent, plain: value.magnitude >= 1e-3 && value.magnitude < 1e7)
    }

    /// Digits without leading or trailing zeros and the decimal exponent of
    /// the first one, from Swift's shortest round-trip description
    /// ("123.45", "1e-05", "1.5e+20").
    static func shortestDigits(_ text: String) -> (digits: [Character], exponent: Int) {
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        let point = mantissa.firstIndex(of: ".")
        let integerPart = point.map { mantissa[..<$0] } ?? mantissa
        let fraction = point.map { mantissa[mantissa.index(after: $0)...] } ?? ""
        var digits = Array(integerPart) + Array(fraction)
        var firstExponent = exponent + integerPart.count - 1
        while let first = digits.first, first == "0", digits.count > 1 {
            digits.removeFirst()
            firstExponent -= 1
        }
        while let last = digits.last, last == "0", digits.count > 1 { digits.removeLast() }
        return (digits, firstExponent)
    }

    private static func layout(digits: [Character], exponent: Int, plain: Bool) -> String {
        if plain {
            if exponent >= 0 {
                let integerDigits = exponent + 1
                let integer = String(digits.prefix(integerDigits)) + String(repeating: "0", count: max(0, integerDigits - digits.count))
                let fraction = digits.count > integerDigits ? String(digits.dropFirst(integerDigits)) : "0"
                return integer + "." + fraction
            }
            return "0." + String(repeating: "0", count: -exponent - 1) + String(digits)
        }
        let rest = digits.count > 1 ? String(digits.dropFirst()) : "0"
        return "\(digits[0]).\(rest)E\(exponent)"
    }

    /// `BigDecimal.toString` of an unscaled integer and a non-negative scale:
    /// plain unless the adjusted exponent is below -6, then `d.dddE-n`.
    static func bigDecimal(negative: Bool, unscaledDigits: String, scale: Int) -> String {
        let sign = negative && unscaledDigits != "0" ? "-" : ""
        let adjusted = unscaledDigits.count - 1 - scale
        if scale == 0 { return sign + unscaledDigits }
        if adjusted >= -6 {
            if unscaledDigits.count > scale {
                return sign + unscaledDigits.dropLast(scale) + "." + unscaledDigits.suffix(scale)
            }
            return sign + "0." + String(repeating: "0", count: scale - unscaledDigits.count) + unscaledDigits
        }
        let first = unscaledDigits.prefix(1)
        let rest = unscaledDigits.dropFirst()
        return sign + first + (rest.isEmpty ? "" : "." + rest) + "E\(adjusted)"
    }

    static func bigDecimal(_ value: TDSDecimal) -> String {
        bigDecimal(negative: value.negative, unscaledDigits: value.unscaledDigits, scale: Int(value.scale))
    }

    /// Money: `new BigDecimal(unscaled, 4)`.
    static func money(_ tenThousandths: Int64) -> String {
        bigDecimal(negative: tenThousandths < 0, unscaledDigits: String(tenThousandths.magnitude), scale: 4)
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value.magnitude)
        return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// A wall-clock date as `java.util.Date`-based objects print it. Java's
    /// default calendar skips 1582-10-05...14 (Julian to Gregorian): those
    /// dates, built from their fields, come out ten days later.
    static func javaCalendarDate(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let date = CivilDate.fromDaysSinceYear1(days)
        if date.year == 1582 && date.month == 10 && (5...14).contains(date.day) {
            return CivilDate.fromDaysSinceYear1(days + 10)
        }
        return date
    }

    static func date(_ days: Int) -> String {
        let date = javaCalendarDate(days)
        return "\(pad(date.year, 4))-\(pad(date.month, 2))-\(pad(date.day, 2))"
    }

    static func clock(_ seconds: Int) -> String {
        "\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2))"
    }

    /// `java.sql.Timestamp.toString`: date, time, then the nanoseconds with
    /// trailing zeros removed (".0" when there are none).
    static func timestamp(days: Int, secondsOfDay: Int, nanos: Int) -> String {
        var fraction = ".0"
        if nanos != 0 {
            var digits = pad(nanos, 9)
            while digits.hasSuffix("0") { digits.removeLast() }
            fraction = "." + digits
        }
        return date(days) + " " + clock(secondsOfDay) + fraction
    }

    /// mssql-jdbc's fractional seconds: exactly `scale` digits (none for scale 0).
    static func fraction(nanos: UInt64, scale: UInt8) -> String {
        if scale == 0 { return "" }
        let digits = pad(Int(nanos), 9)
        return "." + digits.prefix(Int(scale))
    }
}
