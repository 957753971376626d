// An application that serves a skill from Swift: `text.reverse`, four tasks at once, with progress.
//
//     swift run grid-serve-example --data-dir /tmp/grid/node2
//
// It serves for as long as it runs (Ctrl-C stops it; its tasks then go to another provider).
import Foundation
import GridClient

let arguments = CommandLine.arguments
let dataDir = arguments.firstIndex(of: "--data-dir").flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
    ?? ProcessInfo.processInfo.environment["GRIDNODE_HOME"] ?? (NSHomeDirectory() + "/.gridnode")

do {
    try await GridClient.withConnection(socketPath: dataDir + "/gridnode.sock") { node in
        try await node.serve("text.reverse", capacity: 4, description: "reverses UTF-8 text") { task in
            await task.progress(0.5, message: "reversing \(task.input.count) bytes")
            return Array(String(task.text.reversed()).utf8)
        }
        print("serving text.reverse on the node at \(dataDir); Ctrl-C to stop")
        await node.untilClosed()
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
