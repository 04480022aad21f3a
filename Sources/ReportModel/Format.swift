/// Number, byte and duration formatting, each written once and used by every module: no
/// Foundation locale, so the report reads the same everywhere.

/// 1234567 → "1,234,567"
public func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out += "," }
        out.append(ch)
    }
    return n < 0 ? "-" + out : out
}

/// Fixed-point formatting without Foundation's locale-dependent String(format:).
/// Magnitudes from 1e15 up (a diverging loss, say) are written by Swift's shortest form instead,
/// e.g. "1.5e+20": their digits would not fit an Int.
public func formatFixed(_ x: Double, _ decimals: Int) -> String {
    guard x.isFinite, abs(x) < 1e15 else { return String(x) }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(x) * scale).rounded()
    let whole = Int(scaled / scale), frac = Int(scaled - Double(whole) * scale)
    let fracText = decimals > 0 ? "." + String(repeating: "0", count: decimals - String(frac).count) + String(frac) : ""
    return (x < 0 && scaled > 0 ? "-" : "") + String(whole) + fracText
}

/// A duration in seconds.
public func seconds(_ d: Duration) -> Double {
    let c = d.components
    return Double(c.seconds) + Double(c.attoseconds) * 1e-18
}

/// Lowercase hexadecimal, two digits per byte (SHA-256 digests, cache keys).
public func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
    return String(decoding: out, as: UTF8.self)
}

/// An integer in hexadecimal, zero-padded to `width` digits: 0x0803 magic numbers, 64-bit hashes.
public func hex<N: BinaryInteger>(_ value: N, width: Int, uppercase: Bool = false) -> String {
    let digits = String(value, radix: 16, uppercase: uppercase)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// A mistake or a failure a person must act on: what went wrong, and how to put it right. The
/// wording is the error's; the layout is here, once: the message, then on its own line
/// `hint: …`. Commands put `error: ` before it; a failed cell shows it at the cell.
public protocol UserError: Error, CustomStringConvertible {
    var message: String { get }
    var hint: String? { get }
}

extension UserError {
    public var hint: String? { nil }
    public var description: String { message + (hint.map { "\nhint: " + $0 } ?? "") }
}
