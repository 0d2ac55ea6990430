/// "Did you mean" by edit distance (Damerau–Levenshtein with adjacent swaps), as compilers do.
public enum Suggestions {
    /// The edit distance between `a` and `b`, counting an adjacent swap as one edit; case differences count.
    public static func distance(_ a: String, _ b: String) -> Int {
        let s = Array(a.unicodeScalars), t = Array(b.unicodeScalars)
        if s.isEmpty { return t.count }
        if t.isEmpty { return s.count }
        var previous2 = [Int](repeating: 0, count: t.count + 1)
        var previous = Array(0...t.count)
        var current = [Int](repeating: 0, count: t.count + 1)
        for i in 1...s.count {
            current[0] = i
            for j in 1...t.count {
                let cost = s[i - 1] == t[j - 1] ? 0 : 1
                var best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, s[i - 1] == t[j - 2], s[i - 2] == t[j - 1] {
                    best = min(best, previous2[j - 2] + 1)
                }
                current[j] = best
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[t.count]
    }

    /// The closest candidate within a distance that grows with the word's length (1 for short words, up to 3),
    /// preferring a case-insensitive exact match; nil when nothing is close.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        guard !word.isEmpty, word.unicodeScalars.count <= 64 else { return nil }
        if let sameLetters = candidates.first(where: { $0 != word && $0.lowercased() == word.lowercased() }) {
            return sameLetters
        }
        let limit = max(1, min(3, word.unicodeScalars.count / 3))
        var best: (String, Int)?
        for c in candidates where c != word && c.unicodeScalars.count <= 64 {
            let d = distance(word, c)
            if d <= limit, d < (best?.1 ?? Int.max) { best = (c, d) }
        }
        return best?.0
    }

    /// `; did you mean "x"?` or an empty string.
    public static func hint(for word: String, in candidates: [String], quoted: Bool = true) -> String {
        guard let c = closest(to: word, in: candidates) else { return "" }
        return quoted ? "; did you mean \"\(c)\"?" : "; did you mean \(c)?"
    }
}
