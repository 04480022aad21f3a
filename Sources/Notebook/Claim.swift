/// `{{check deep.final_loss < baseline.final_loss}}` in prose: a statement about results that the
/// runtime checks after every run, so prose cannot silently drift from its numbers.
///
///     claim      := ["quick:"] comparison ("and" comparison)*
///     comparison := operand ("<" | "<=" | ">" | ">=" | "==") operand ["within" number ["%"]]
///     operand    := number | cell.field
///
/// `within t` relaxes a comparison by t (a percentage: of the right side's magnitude): `a < b
/// within t` holds when a < b + t, `a == b within t` when |a − b| ≤ t. `quick:` marks a claim that
/// depends on the quick profile's budget; other profiles leave it unchecked.
public struct Claim: Sendable, Hashable {
    public enum Operand: Sendable, Hashable {
        case number(Double)
        /// `cell.field`; `offset` is its byte offset in the claim's text, braces included.
        case field(cell: String, field: String, offset: Int)
    }
    public enum Comparison: String, Sendable, Hashable, CaseIterable {
        case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "=="
    }
    public struct Tolerance: Sendable, Hashable {
        public var amount: Double
        /// A percentage of the right side's magnitude.
        public var relative: Bool
        public init(amount: Double, relative: Bool) { self.amount = amount; self.relative = relative }
    }
    public struct Term: Sendable, Hashable {
        public var left: Operand
        public var comparison: Comparison
        public var right: Operand
        public var tolerance: Tolerance?
        public init(left: Operand, comparison: Comparison, right: Operand, tolerance: Tolerance?) {
            self.left = left; self.comparison = comparison; self.right = right; self.tolerance = tolerance
        }
    }

    public var terms: [Term]
    /// The profile the claim is checked in only (`quick:`); nil for every profile.
    public var onlyProfile: String?
    /// Of the first `{`.
    public var location: SourceLocation
    /// As written, braces included.
    public var text: String

    /// The `cell.field` operands with their byte offsets in `text`.
    public var fields: [(cell: String, field: String, offset: Int)] {
        terms.flatMap { [$0.left, $0.right] }.compactMap { operand in
            if case let .field(cell, field, offset) = operand { (cell, field, offset) } else { nil }
        }
    }

    /// Why a claim's text cannot be read, and where (a byte offset in the text, braces included).
    public struct SyntaxError: Error, Sendable, Hashable {
        public var offset: Int
        public var reason: String
    }

    /// The keyword that makes `{{…}}` a claim rather than a reference.
    public static let keyword = "check"
    static let profiles = ["quick", "full"]

    /// Parses `{{check …}}` (the whole text, braces included); the location is filled in by the caller.
    public static func parse(_ text: String, at location: SourceLocation) -> Result<Claim, SyntaxError> {
        let bytes = Array(text.utf8)
        var tokens = ClaimTokens(bytes: bytes, start: 2, end: bytes.count - 2)
        guard case .word("check")? = tokens.next()?.token else { return .failure(.init(offset: 2, reason: "a claim starts with 'check'")) }
        var onlyProfile: String?
        if case .word(let w)? = tokens.peek()?.token, profiles.contains(w), tokens.peek(1)?.token == .colon {
            onlyProfile = w
            _ = tokens.next(); _ = tokens.next()
        }
        var terms: [Term] = []
        repeat {
            switch parseTerm(&tokens) {
            case .success(let term): terms.append(term)
            case .failure(let error): return .failure(error)
            }
        } while tokens.skip(.word("and"))
        if let extra = tokens.next() {
            return .failure(.init(offset: extra.offset, reason: "expected 'and' or the end of the claim, found '\(extra.text)'"))
        }
        return .success(Claim(terms: terms, onlyProfile: onlyProfile, location: location, text: text))
    }

    private static func parseTerm(_ tokens: inout ClaimTokens) -> Result<Term, SyntaxError> {
        let left: Operand, right: Operand, comparison: Comparison
        switch operand(&tokens, after: nil) { case .success(let o): left = o; case .failure(let e): return .failure(e) }
        guard let op = tokens.next() else { return .failure(.init(offset: tokens.end, reason: "expected a comparison (<, <=, >, >=, ==) at the end")) }
        guard case .comparison(let c) = op.token else {
            return .failure(.init(offset: op.offset, reason: "expected a comparison (<, <=, >, >=, ==), found '\(op.text)'"))
        }
        comparison = c
        switch operand(&tokens, after: c.rawValue) { case .success(let o): right = o; case .failure(let e): return .failure(e) }
        var tolerance: Tolerance?
        if tokens.skip(.word("within")) {
            let t = tokens.next()
            guard let t, case .number(let amount) = t.token, amount >= 0 else {
                return .failure(.init(offset: t?.offset ?? tokens.lastEnd, reason: "expected a non-negative number after 'within'"))
            }
            tolerance = Tolerance(amount: amount, relative: tokens.skip(.percent))
        }
        return .success(Term(left: left, comparison: comparison, right: right, tolerance: tolerance))
    }

    private static func operand(_ tokens: inout ClaimTokens, after previous: String?) -> Result<Operand, SyntaxError> {
        let place = previous.map { "after '\($0)'" } ?? "first"
        guard let t = tokens.next() else {
            return .failure(.init(offset: tokens.end, reason: "expected a cell.field or a number \(place)"))
        }
        switch t.token {
        case .number(let x): return .success(.number(x))
        case .field(let cell, let field): return .success(.field(cell: cell, field: field, offset: t.offset))
        default: return .failure(.init(offset: t.offset, reason: "expected a cell.field or a number \(place), found '\(t.text)'"))
        }
    }
}

/// The tokens of a claim's text: words, `cell.field`, numbers, comparisons, `%` and `:`.
private struct ClaimTokens {
    enum Token: Equatable {
        case word(String), field(String, String), number(Double), comparison(Claim.Comparison), percent, colon, other
    }
    let bytes: [UInt8]
    var position: Int
    let end: Int
    /// Where the last token returned ended.
    var lastEnd: Int
    private var lookahead: [(token: Token, offset: Int, text: String)] = []

    init(bytes: [UInt8], start: Int, end: Int) { self.bytes = bytes; position = start; self.end = end; lastEnd = start }

    mutating func peek(_ k: Int = 0) -> (token: Token, offset: Int, text: String)? {
        while lookahead.count <= k, let t = scan() { lookahead.append(t) }
        return k < lookahead.count ? lookahead[k] : nil
    }

    mutating func next() -> (token: Token, offset: Int, text: String)? {
        guard let t = peek() else { return nil }
        lookahead.removeFirst()
        lastEnd = t.offset + t.text.utf8.count
        return t
    }

    /// Consumes the next token if it is `token`.
    mutating func skip(_ token: Token) -> Bool {
        guard peek()?.token == token else { return false }
        _ = next()
        return true
    }

    private mutating func scan() -> (token: Token, offset: Int, text: String)? {
        while position < end, bytes[position] == 0x20 || bytes[position] == 0x09 { position += 1 }
        guard position < end else { return nil }
        let start = position
        func text() -> String { String(decoding: bytes[start..<position], as: UTF8.self) }
        let b = bytes[position]
        if b == UInt8(ascii: "<") || b == UInt8(ascii: ">") || b == UInt8(ascii: "=") {
            position += 1
            if position < end, bytes[position] == UInt8(ascii: "=") { position += 1 }
            let written = text()
            return (Claim.Comparison(rawValue: written).map(Token.comparison) ?? .other, start, written)
        }
        if b == UInt8(ascii: "%") { position += 1; return (.percent, start, "%") }
        if b == UInt8(ascii: ":") { position += 1; return (.colon, start, ":") }
        if isNumberStart(b) {
            while position < end, isNumberByte(bytes[position]) { position += 1 }
            let written = text()
            return (Double(written).map(Token.number) ?? .other, start, written)
        }
        if isNameStart(b) {
            while position < end, isNameByte(bytes[position]) || bytes[position] == UInt8(ascii: ".") { position += 1 }
            let written = text()
            let parts = written.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count == 1 { return (.word(written), start, written) }
            guard parts.allSatisfy({ !$0.isEmpty }) else { return (.other, start, written) }
            return (.field(String(parts[0]), parts.dropFirst().joined(separator: ".")), start, written)
        }
        // Anything else: one character, so the message can quote it.
        position += 1
        while position < end, bytes[position] & 0xC0 == 0x80 { position += 1 }
        return (.other, start, text())
    }

    private func isNumberStart(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") }
    private func isNumberByte(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
            || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
    }
    private func isNameStart(_ b: UInt8) -> Bool { (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) }
    private func isNameByte(_ b: UInt8) -> Bool { isNameStart(b) || (0x30...0x39).contains(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") }
}
