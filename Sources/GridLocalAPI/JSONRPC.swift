/// JSON-RPC 2.0 as the local API uses it (Protocol/local-api.md): one request or response per line.

/// A request or response ID: a number or a string, echoed back unchanged.
public enum RPCID: Codable, Hashable, Sendable, CustomStringConvertible {
    case number(Int64)
    case string(String)

    /// As JSON writes it: `7`, or `"node-7"` with its quotes.
    public var description: String {
        switch self {
        case .number(let number): String(number)
        case .string(let string): "\"" + string + "\""
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            self = .number(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let number): try container.encode(number)
        case .string(let string): try container.encode(string)
        }
    }
}

/// The part of every request the server reads first, to learn which method's parameters follow.
public struct RPCRequestHead: Decodable, Sendable {
    public var jsonrpc: String?
    public var id: RPCID?
    public var method: String?
    /// No `method`, and a `result` or `error`: an answer to a request the reader sent.
    public var isResponse = false

    enum CodingKeys: String, CodingKey {
        case jsonrpc, id, method, result, error
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        jsonrpc = try container.decodeIfPresent(String.self, forKey: .jsonrpc)
        id = try container.decodeIfPresent(RPCID.self, forKey: .id)
        method = try container.decodeIfPresent(String.self, forKey: .method)
        isResponse = method == nil && (container.contains(.result) || container.contains(.error))
    }
}

public struct RPCRequest<Params: Codable & Sendable>: Codable, Sendable {
    public var jsonrpc = "2.0"
    public var id: RPCID?
    public var method: String
    public var params: Params?

    public init(id: RPCID?, method: String, params: Params?) {
        self.id = id
        self.method = method
        self.params = params
    }
}

public struct RPCResponse<Result: Codable & Sendable>: Codable, Sendable {
    public var jsonrpc = "2.0"
    public var id: RPCID?
    public var result: Result?
    public var error: RPCError?

    public init(id: RPCID?, result: Result) {
        self.id = id
        self.result = result
    }

    public init(id: RPCID?, error: RPCError) {
        self.id = id
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case jsonrpc, id, result, error
    }

    /// Always writes "id" — null when the request's ID could not be read, as JSON-RPC 2.0 asks.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(jsonrpc, forKey: .jsonrpc)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(result, forKey: .result)
        try container.encodeIfPresent(error, forKey: .error)
    }
}

/// A response that carries no result, for errors whose request could not be read.
public struct NoResult: Codable, Sendable {
    public init() {}
}

/// A JSON-RPC error object. `message` tells the user what to do; `data` carries details.
public struct RPCError: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: Details?

    public struct Details: Codable, Sendable, Equatable {
        /// The task concerned, when there is one.
        public var taskId: String?
        /// For a failed task: the TaskFailure code (`skill_failed`, `no_provider`, `timed_out`...).
        public var reason: String?

        public init(taskId: String? = nil, reason: String? = nil) {
            self.taskId = taskId
            self.reason = reason
        }
    }

    public init(code: Int, message: String, data: Details? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String { message }

    // JSON-RPC 2.0's own codes.
    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603
    // Grid's codes.
    /// The task ran and failed, or could not be run; `data.reason` says why.
    public static let taskFailed = -32001
    /// No task with that ID is known to this node.
    public static let taskNotFound = -32002
    /// The node cannot serve the request now: its store cannot be read or written.
    public static let unavailable = -32003
    /// `faults.set` on a node not started with `--allow-faults`.
    public static let faultsNotAllowed = -32004
}
