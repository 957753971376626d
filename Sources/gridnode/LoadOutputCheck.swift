import Foundation
import GridCrypto
import GridLocalAPI

/// The output a built-in skill must give for an input, where it is known: `echo` returns its
/// input, `sha256` its lower-case hex digest. `gridnode load` and scenarios compare every output
/// with it, so a wrong result that reached the application is counted, not only those the node
/// caught itself.
enum LoadOutputCheck {
    static func expected(skill: String, input: [UInt8]) -> [UInt8]? {
        switch skill {
        case "echo": input
        case "sha256": Array(SHA256.hex(input).utf8)
        default: nil
        }
    }

    /// The input `params` carries, as bytes.
    static func input(of params: SubmitParams) -> [UInt8] {
        if let text = params.input { return Array(text.utf8) }
        return params.inputBase64.flatMap { Data(base64Encoded: $0) }.map { Array($0) } ?? []
    }

    /// A task's output, as bytes.
    static func output(of view: TaskView) -> [UInt8] {
        if let text = view.output { return Array(text.utf8) }
        return view.outputBase64.flatMap { Data(base64Encoded: $0) }.map { Array($0) } ?? []
    }
}
