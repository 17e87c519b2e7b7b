/// One distinct set of what turns CPU time into watts and grams, as the ledger stores it
/// (`model_version`): every bucket row names the version in force when its energy was sampled.
///
/// The canonical text is one `NAME=value` line per parameter, sorted by name: `REG_COEFF`,
/// `MODEL_INPUT`, `MODEL_INPUT_MAX`, `CINERGY_RATIO` or `CINERGY_RATIO_COEFF`, `SERVER_CORES`,
/// `DC_PUE`, `EMISSION_FACTOR`, and with a factor file in force `EMISSION_FACTOR_FILE` (its path)
/// and `EMISSION_FACTOR_FILE_SHA256` (the hex SHA-256 of its content). Buckets written by ledger
/// v1 belong to one version whose text is ``unrecordedParameters``.
public struct ModelVersion: Sendable, Equatable {
    public var id: Int64
    /// The parameters, sorted by name.
    public var parameters: [(name: String, value: String)]
    /// When the version was first and last in force in a flushed bucket, Unix seconds.
    public var firstUsedUnixSeconds: Double
    public var lastUsedUnixSeconds: Double

    public init(id: Int64, parameters: [(name: String, value: String)], firstUsedUnixSeconds: Double, lastUsedUnixSeconds: Double) {
        self.id = id
        self.parameters = parameters
        self.firstUsedUnixSeconds = firstUsedUnixSeconds
        self.lastUsedUnixSeconds = lastUsedUnixSeconds
    }

    public init(id: Int64, canonicalText: String, firstUsedUnixSeconds: Double, lastUsedUnixSeconds: Double) {
        self.init(
            id: id, parameters: Self.parse(canonicalText), firstUsedUnixSeconds: firstUsedUnixSeconds,
            lastUsedUnixSeconds: lastUsedUnixSeconds
        )
    }

    /// The version of buckets written before model versions existed (ledger v1).
    public static let unrecordedParameters = LedgerSchema.v1Parameters

    /// The canonical text of `parameters`: sorted by name, one `NAME=value` per line.
    public static func canonicalText(_ parameters: [(name: String, value: String)]) -> String {
        parameters.sorted { $0.name < $1.name }.map { "\($0.name)=\($0.value)" }.joined(separator: "\n")
    }

    /// The parameters of a canonical text (a line without `=` is a name with an empty value).
    public static func parse(_ text: String) -> [(name: String, value: String)] {
        text.split(separator: "\n").map { line in
            guard let equals = line.firstIndex(of: "=") else { return (String(line), "") }
            return (String(line[..<equals]), String(line[line.index(after: equals)...]))
        }
    }

    public var canonicalText: String { Self.canonicalText(parameters) }

    public static func == (left: ModelVersion, right: ModelVersion) -> Bool {
        left.id == right.id && left.canonicalText == right.canonicalText
            && left.firstUsedUnixSeconds == right.firstUsedUnixSeconds && left.lastUsedUnixSeconds == right.lastUsedUnixSeconds
    }
}
