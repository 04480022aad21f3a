/// Edit-distance suggestion for did-you-mean hints: the closest candidate within distance
/// ≤ max(1, name.count/3) (Damerau–Levenshtein, optimal string alignment, case-insensitive),
/// ties broken by candidate order; nil if none.
public func suggestion(for name: String, among candidates: [String]) -> String? {
    let target = Array(name.lowercased())
    var best: (candidate: String, distance: Int)?
    let limit = max(1, target.count / 3)
    for candidate in candidates {
        // The distance is at least the difference in length: skip those without computing it.
        let other = Array(candidate.lowercased())
        guard abs(other.count - target.count) <= limit else { continue }
        let distance = editDistance(target, other)
        if distance <= limit, distance < best?.distance ?? .max {
            best = (candidate, distance)
        }
    }
    return best?.candidate
}

/// The did-you-mean hint every message uses: " (did you mean 'x'?)" with the closest candidate
/// written as `spelled` writes it (e.g. "@fig-x"), or "" when none is close.
public func didYouMean(_ name: String, among candidates: [String], spelled: (String) -> String = { $0 }) -> String {
    didYouMean(suggestion(for: name, among: candidates).map(spelled))
}

/// The same hint for a suggestion found earlier (nil: no hint).
public func didYouMean(_ suggestion: String?) -> String {
    suggestion.map { " (did you mean '\($0)'?)" } ?? ""
}

/// Insertions, deletions, substitutions and adjacent transpositions, each costing 1.
private func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    // Three rolling rows: the transposition step looks two rows back.
    var beforePrevious = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                current[j] = min(current[j], beforePrevious[j - 2] + 1)
            }
        }
        (beforePrevious, previous, current) = (previous, current, beforePrevious)
    }
    return previous[b.count]
}
