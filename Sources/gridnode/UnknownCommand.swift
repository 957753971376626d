/// What to say when the first word is no command: the closest command's name, if one is close
/// (at most two letters apart), else the list of commands.
enum UnknownCommand {
    static func message(for word: String, commands: [String]) -> String {
        let closest = commands.map { (name: $0, distance: distance(word, $0)) }.min { $0.distance < $1.distance }
        if let closest, closest.distance <= 2 {
            return "'\(word)' is not a gridnode command; did you mean '\(closest.name)'? (gridnode --help lists them all)"
        }
        return "'\(word)' is not a gridnode command; the commands are \(commands.joined(separator: ", "))"
    }

    /// Levenshtein distance between `a` and `b`.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
