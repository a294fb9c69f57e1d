/// Levenshtein distance, for "did you mean" suggestions on unknown keys and values.
enum EditDistance {
    /// The number of single-character insertions, deletions and substitutions from `a` to `b`.
    /// - Parameters:
    ///   - a: one word.
    ///   - b: another word.
    /// - Returns: the edit distance (0 when equal).
    static func between(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// The closest candidate, if it is close enough to be a plausible typo
    /// (distance ≤ 2, and less than half the word's length).
    /// - Parameters:
    ///   - word: what was written.
    ///   - candidates: the accepted spellings.
    /// - Returns: the best candidate, or `nil`.
    static func suggestion(for word: String, among candidates: [String]) -> String? {
        var best: (String, Int)?
        for candidate in candidates {
            let d = between(word.lowercased(), candidate.lowercased())
            if d <= 2, d * 2 < max(word.count, 2), best.map({ d < $0.1 }) ?? true { best = (candidate, d) }
        }
        return best?.0
    }
}
