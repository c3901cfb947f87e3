import ArgumentParser

/// A `name=value` command-line value, for `--header`, `--config` and `--arg`.
struct KeyValue: ExpressibleByArgument, Sendable, Hashable {
    /// The part before the first `=`.
    var key: String
    /// The part after it (may be empty, and may contain `=`).
    var value: String

    init?(argument: String) {
        guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else { return nil }
        self.key = String(argument[..<equals])
        self.value = String(argument[argument.index(after: equals)...])
    }

    static var defaultValueDescription: String { "name=value" }
}

extension Array where Element == KeyValue {
    /// The pairs as a dictionary; a repeated name keeps its last value.
    var dictionary: [String: String] {
        Dictionary(self.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    }
}
