/// Columns of text for the terminal: each cell padded to its column's width (the widest cell, or
/// at least the width given), two spaces between columns, the last column never padded.
enum TextTable {
    static func render(_ rows: [[String]], minimumWidths: [Int] = []) -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        for (column, minimum) in minimumWidths.enumerated() where column < columns { widths[column] = max(widths[column], minimum) }
        return rows.map { cells in
            cells.enumerated().map { column, cell in
                column == cells.count - 1 || cell.count >= widths[column] ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
