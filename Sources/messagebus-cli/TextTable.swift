/// A plain-text table with a header row and left-aligned, space-padded columns, for `check` and `stats`.
struct TextTable: CustomStringConvertible {
    /// The column titles.
    var headers: [String]
    /// The rows; a short row is padded with empty cells.
    var rows: [[String]] = []

    /// The table, one line per row, columns two spaces apart, without trailing spaces.
    var description: String {
        let all = [self.headers] + self.rows
        let columns = all.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in all.map { $0.count > column ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            var line = ""
            for column in 0..<columns {
                let cell = column < row.count ? row[column] : ""
                line += cell + String(repeating: " ", count: widths[column] - cell.count + 2)
            }
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }
}
