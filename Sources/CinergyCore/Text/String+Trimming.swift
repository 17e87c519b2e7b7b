extension StringProtocol {
    /// The text without its leading and trailing white space: the Unicode scalars with the
    /// White_Space property (spaces, tabs, line ends, no-break spaces), U+200B ZERO WIDTH SPACE and
    /// U+FEFF, the byte-order mark some editors leave at the start of a file. The one trimming rule
    /// of every file and value the agent reads (env files, CSV files, sysfs values, Nova metadata).
    public func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.isTrimmedSpace }),
            let last = scalars.lastIndex(where: { !$0.isTrimmedSpace })
        else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}

extension Unicode.Scalar {
    /// Whether ``StringProtocol/trimmingWhitespace()`` trims this scalar.
    fileprivate var isTrimmedSpace: Bool {
        properties.isWhitespace || self == "\u{200B}" || self == "\u{FEFF}"
    }
}
