import GridCore

/// A "host:port" address: an IPv4 address, a DNS name, or an IPv6 address in brackets ("[::1]:7401").
public struct HostPort: Sendable, Hashable, CustomStringConvertible, Codable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws(GridError) {
        let bad = GridError(.invalidAddress, "'\(text)' is not an address: write host:port, e.g. 127.0.0.1:7401 or [::1]:7401")
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { throw bad }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { throw bad }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText) else { throw bad }
        try self.init(validatingHost: String(host), port: port)
    }

    public init(validatingHost host: String, port: Int) throws(GridError) {
        guard (0...65535).contains(port) else {
            throw GridError(.invalidAddress, "port \(port) is out of range: use 1-65535 (0 picks a free port when listening)")
        }
        guard !host.isEmpty, host.utf8.count <= 253, !host.contains(where: { $0 == " " || $0 == "/" }) else {
            throw GridError(.invalidAddress, "'\(host)' is not a host name or IP address")
        }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// True for 0.0.0.0 and ::, which mean "every interface" when listening but are not dialable.
    public var isUnspecified: Bool { host == "0.0.0.0" || host == "::" }

    public init(from decoder: any Decoder) throws {
        self = try HostPort(parsing: decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension GridError.Code {
    public static let invalidAddress = Self("config.invalid_address")
}
