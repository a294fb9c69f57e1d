/// Edit distance (Levenshtein plus adjacent transpositions), for "did you mean" suggestions on unknown keys and values.
enum EditDistance {
    /// The number of single-character insertions, deletions, substitutions and transpositions of two
    /// adjacent characters from `a` to `b` (optimal string alignment distance).
    /// - Parameters:
    ///   - a: one word.
    ///   - b: another word.
    /// - Returns: the edit distance (0 when equal).
    static func between(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
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
