import GridCore

/// What makes a line not a request the node can act on, checked before its params are decoded
/// (Protocol/local-api.md, "Requests and responses"). Pure.
public enum RequestChecks {
    /// The error for a line whose head could not be read, or that is not plain JSON: `-32700`
    /// for text that is not JSON, `-32600` for JSON that is not a request object (a list, a
    /// value, an `id` of the wrong kind, a key given twice). Nil when the line is well formed.
    public static func malformed(_ line: [UInt8], headRead: Bool) -> RPCError? {
        if let problem = JSONText.problem(in: line) {
            switch problem.kind {
            case .syntax:
                return RPCError(code: RPCError.parseError, message: "the request is \(problem.message); send one JSON-RPC 2.0 request object per line")
            case .duplicateKey:
                return RPCError(code: RPCError.invalidRequest, message: "in the request, \(problem.message)")
            }
        }
        guard !headRead else { return nil }
        switch JSONText.kind(at: "", in: line) {
        case "an object"?, "an empty object"?:
            let id = JSONText.kind(at: "id", in: line) ?? "absent"
            return RPCError(
                code: RPCError.invalidRequest,
                message: "\"id\" is \(id); it must be a whole number, a string, or null (or left out, for a notification)"
                    + "; and \"jsonrpc\" and \"method\" must be strings")
        case let kind:
            return RPCError(
                code: RPCError.invalidRequest,
                message: "the request is \(kind ?? "empty"), not an object: send one JSON-RPC 2.0 request object per line (batches are not supported)")
        }
    }

    /// The error for `params` of the wrong shape: they must be an object, `null` or left out; and
    /// for a method that takes none, absent, `null` or `{}`. Nil when they are fine.
    public static func paramsProblem(_ line: [UInt8], method: String, takesNone: Bool) -> RPCError? {
        switch JSONText.kind(at: "params", in: line) {
        case nil, "null"?, "an empty object"?:
            return nil
        case "an object"?:
            guard takesNone else { return nil }
            return RPCError(code: RPCError.invalidParams, message: "\(method) takes no params; leave \"params\" out")
        case let kind?:
            return RPCError(
                code: RPCError.invalidParams, message: "\"params\" is \(kind); give the parameters by name in an object, or leave \"params\" out")
        }
    }
}
